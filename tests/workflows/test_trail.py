"""The approval trail: who approved which revision, when, how, with what comment, in which
round, and where that revision went out; on the post and as CSV for the records."""

import csv
import datetime as dt
import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext, pgettext

from cms.models import Post, Variant
from publishing.models import Publication
from tests.factories import PostFactory, UserFactory
from workflows import roles
from workflows.models import Decision, round_decide
from workflows.selectors import RunStatus, approval_trail_rows, post_approval_trail
from workflows.trail_views import safe_cell

pytestmark = pytest.mark.django_db

COLUMNS = [
    "Post id",
    "Post title",
    "Publication id",
    "Account",
    "Network",
    "Scheduled at",
    "Publication state",
    "Revision id",
    "Round",
    "Decision",
    "Name",
    "How",
    "Date",
]


@pytest.fixture
def author(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


@pytest.fixture
def director(roles_people):
    return roles_people[roles.DIRECTOR.key]


def submitted(author, *, accounts=(), at=None, **fields):
    post = PostFactory(created_by=author, planned_at=at, **fields)
    if accounts:
        post.variants = [Variant(account=account) for account in accounts]
        post.save()
    post.save_revision(user=author)
    post.get_workflow().start(post, author)
    return Post.objects.get(pk=post.pk)


def decide(post, user, verdict, comment=""):
    task_state = Post.objects.get(pk=post.pk).current_workflow_task_state.specific
    round_decide(task_state=task_state, verdict=verdict, comment=comment, user=user)
    return Post.objects.get(pk=post.pk)


@pytest.fixture
def approve(django_capture_on_commit_callbacks):
    def approve(post, director, comment=""):
        with django_capture_on_commit_callbacks(execute=True):
            return decide(post, director, "approve", comment)

    return approve


def local(moment):
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def trail_page(client, user, post):
    client.force_login(user)
    return client.get(reverse("workflows_approval_trail", args=[post.pk]))


def csv_rows(response):
    body = response.content
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


# -- The trail of a post -------------------------------------------------------------------


def test_the_trail_of_a_standard_approval_shows_the_check_and_the_director_for_the_sent_revision(
    client, author, director, five_accounts, approve
):
    accounts = [five_accounts["x"], five_accounts["facebook"]]
    at = timezone.now() + timedelta(days=1)
    post = submitted(author, accounts=accounts, at=at)

    post = approve(post, director, "Très bien, on publie.")

    [run] = post_approval_trail(post=post)
    publications = list(Publication.objects.filter(post=post))
    assert len(publications) == 2
    assert run.status == RunStatus.APPROVED
    assert run.revision_id == post.live_revision_id == publications[0].revision_id
    assert [(d.round_name, d.via, d.verdict) for d in run.decisions] == [
        (roles.POLICY_ROUND.name, Decision.Via.AUTOMATIC, Decision.Verdict.APPROVE),
        (roles.DIRECTOR_ROUND.name, Decision.Via.ADMIN, Decision.Verdict.APPROVE),
    ]
    assert run.decisions[1].name == director.get_full_name()
    assert run.decisions[1].comment == "Très bien, on publie."
    assert {p.pk for p in run.publications} == {p.pk for p in publications}

    response = trail_page(client, director, post)
    page = response.content.decode()
    assert response.status_code == 200
    assert escape(gettext("Automatic check")) in page
    assert escape(str(Decision.Via.AUTOMATIC.label)) in page
    assert escape(str(Decision.Via.ADMIN.label)) in page
    assert escape(director.get_full_name()) in page
    assert escape("Très bien, on publie.") in page
    assert escape(roles.DIRECTOR_ROUND.name) in page
    assert local(at) in page
    for publication in publications:
        assert f'data-publication="{publication.pk}"' in page
        assert escape(publication.account.display_name) in page
    assert escape(str(Publication.State.SCHEDULED.label)) in page
    assert f'data-revision="{post.live_revision_id}"' in page


def test_a_round_that_sent_the_post_back_stays_on_record_and_is_escaped(
    client, author, director, approve
):
    post = submitted(author)
    comment = "<script>alert('trail')</script> Précisez les horaires."
    post = decide(post, director, "reject", comment)

    [run] = post_approval_trail(post=post)
    assert run.status == RunStatus.NEEDS_CHANGES
    page = trail_page(client, director, post).content.decode()
    assert escape(comment) in page
    assert comment not in page
    assert escape(gettext("Sent back for changes")) in page

    first = post.latest_revision
    post.text = "Réunion publique jeudi à 18 h 30 à la mairie."
    post.save_revision(user=author)
    post.current_workflow_state.resume(user=author)
    post = approve(post, director, "Parfait.")

    [run] = post_approval_trail(post=post)
    assert run.status == RunStatus.APPROVED
    assert run.revision_id == post.live_revision_id != first.pk
    verdicts = [(d.verdict, d.revision_id, d.revision_number) for d in run.decisions]
    assert verdicts == [
        (Decision.Verdict.APPROVE, first.pk, 1),
        (Decision.Verdict.REJECT, first.pk, 1),
        (Decision.Verdict.APPROVE, post.live_revision_id, 2),
        # The automatic check passed version 1 only: it runs again on version 2.
        (Decision.Verdict.APPROVE, post.live_revision_id, 2),
    ]
    page = trail_page(client, director, post).content.decode()
    assert escape(comment) in page
    assert escape(gettext("on version %(number)s") % {"number": 1}) in page


def test_runs_are_listed_newest_first_and_a_withdrawn_run_keeps_its_decisions(
    author, director, approve
):
    post = decide(submitted(author), director, "reject", "Non.")
    post.current_workflow_state.cancel(user=author)
    post.save_revision(user=author)
    post.get_workflow().start(post, author)
    post = approve(Post.objects.get(pk=post.pk), director)

    runs = post_approval_trail(post=post)

    assert [run.status for run in runs] == [RunStatus.APPROVED, RunStatus.CANCELLED]
    assert runs[0].started_at > runs[1].started_at
    assert [d.verdict for d in runs[1].decisions] == ["approve", "reject"]


def test_a_run_withdrawn_before_anyone_decided_is_not_on_the_trail(roles_people):
    from wagtail.models import Workflow

    crisis = roles_people[roles.CRISIS_CELL.key]
    fast_track = Workflow.objects.get(name=roles.FAST_TRACK.name)
    post = PostFactory(created_by=crisis, approval_workflow=fast_track)
    post.save_revision(user=crisis)
    fast_track.start(post, crisis)

    Post.objects.get(pk=post.pk).current_workflow_state.cancel(user=crisis)

    assert post_approval_trail(post=post) == []


def test_a_revision_sent_without_a_recorded_circuit_is_on_the_trail(
    client, director, five_accounts
):
    post = PostFactory(title="Sapins")
    post.variants = [Variant(account=five_accounts["x"])]
    post.save()
    post.save_revision().publish()
    post = Post.objects.get(pk=post.pk)
    publication = Publication.objects.create(
        post=post,
        revision=post.live_revision,
        account=five_accounts["x"],
        scheduled_at=timezone.now(),
        state=Publication.State.PUBLISHED,
    )

    [run] = post_approval_trail(post=post)

    assert run.status == RunStatus.OUTSIDE
    assert run.publications == [publication]
    page = trail_page(client, director, post).content.decode()
    assert escape(gettext("Approved without a recorded circuit")) in page
    assert escape(str(Publication.State.PUBLISHED.label)) in page


def test_a_post_never_submitted_has_an_empty_trail_that_says_so(client, author, director):
    post = PostFactory(created_by=author)
    post.save_revision(user=author)

    page = trail_page(client, director, post).content.decode()

    assert post_approval_trail(post=post) == []
    assert 'data-testid="trail-empty"' in page


def test_the_post_editor_links_to_the_trail(client, author):
    post = PostFactory(created_by=author)
    post.save_revision(user=author)
    client.force_login(author)

    page = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk])).content.decode()

    assert reverse("workflows_approval_trail", args=[post.pk]) in page
    assert escape(gettext("Approval trail")) in page


# -- CSV -----------------------------------------------------------------------------------


def test_the_csv_of_a_post_has_a_line_per_decision_and_publication(
    client, author, director, five_accounts, approve
):
    at = timezone.now() + timedelta(days=1)
    post = submitted(author, accounts=[five_accounts["x"], five_accounts["linkedin"]], at=at)
    post = approve(post, director, "Bon pour publication.")
    client.force_login(director)

    response = client.get(reverse("workflows_approval_trail_csv", args=[post.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert f"post-{post.pk}" in disposition and timezone.localdate().isoformat() in disposition
    header, *lines = csv_rows(response)
    assert header == [gettext(column) for column in COLUMNS] + [
        pgettext("what an approver wrote", "Comment")
    ]
    assert len(lines) == 2 * 2  # two decisions, each with the two publications
    x = Publication.objects.get(post=post, account=five_accounts["x"])
    director_decision = Decision.objects.get(user=director)
    assert [
        str(post.pk),
        post.title,
        str(x.pk),
        x.account.display_name,
        x.account.get_network_display(),
        local(at),
        str(Publication.State.SCHEDULED.label),
        str(post.live_revision_id),
        roles.DIRECTOR_ROUND.name,
        str(Decision.Verdict.APPROVE.label),
        director.get_full_name(),
        str(Decision.Via.ADMIN.label),
        local(director_decision.at),
        "Bon pour publication.",
    ] in lines
    automatic = [line for line in lines if line[11] == str(Decision.Via.AUTOMATIC.label)]
    assert len(automatic) == 2 and automatic[0][10] == gettext("Automatic check")


def test_the_csv_cannot_smuggle_a_formula_into_a_spreadsheet(client, author, director, approve):
    post = submitted(author, title='=HYPERLINK("http://exemple.test";"clic")')
    approve(post, director, "@SUM(A1:A9)")
    client.force_login(director)

    _header, *lines = csv_rows(client.get(reverse("workflows_approval_trail_csv", args=[post.pk])))

    assert {line[1] for line in lines} == {'\'=HYPERLINK("http://exemple.test";"clic")'}
    assert "'@SUM(A1:A9)" in {line[13] for line in lines}
    assert [safe_cell(v) for v in ("-1+2", "+33 6", "\tx", "ok", 12, None)] == [
        "'-1+2",
        "'+33 6",
        "'\tx",
        "ok",
        "12",
        "",
    ]


def test_the_export_of_a_period_has_only_the_decisions_taken_then(client, author, director):
    march = dt.datetime(2025, 3, 10, 10, tzinfo=dt.UTC)
    april = dt.datetime(2025, 4, 15, 10, tzinfo=dt.UTC)
    with time_machine.travel(march, tick=False):
        in_march = decide(submitted(author, title="Mars"), director, "approve", "Mars ok")
    with time_machine.travel(april, tick=False):
        decide(submitted(author, title="Avril"), director, "reject", "Avril non")
    client.force_login(director)

    response = client.get(
        reverse("workflows_approval_trail_export"), {"start": "2025-03-01", "end": "2025-03-31"}
    )

    assert response.status_code == 200
    assert "2025-03-01" in response["Content-Disposition"]
    _header, *lines = csv_rows(response)
    assert {line[0] for line in lines} == {str(in_march.pk)}
    assert [line[13] for line in lines] == ["", "Mars ok"]  # the check, then the director
    whole = approval_trail_rows(start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 30))
    assert [row.post_title for row in whole] == ["Mars", "Mars", "Avril", "Avril"]


def test_the_export_page_asks_for_a_period_and_says_what_is_wrong(client, director):
    client.force_login(director)
    url = reverse("workflows_approval_trail_export")

    blank = client.get(url)
    backwards = client.get(url, {"start": "2025-03-31", "end": "2025-03-01"})

    assert blank.status_code == 200 and 'data-testid="trail-export-form"' in blank.content.decode()
    assert backwards.status_code == 200
    assert (
        escape(
            gettext("The period ends before it starts: choose a day on or after %(start)s.")
            % {"start": "31/03/2025"}
        )
        in backwards.content.decode()
    )


def test_the_export_is_in_the_reports_menu_for_people_who_see_posts(client, director):
    client.force_login(director)

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert reverse("workflows_approval_trail_export") in page


# -- Permission ----------------------------------------------------------------------------


def test_someone_who_may_not_see_posts_gets_a_403(client, author, director, approve):
    post = approve(submitted(author), director)
    outsider = UserFactory()
    outsider.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(outsider)

    for url in (
        reverse("workflows_approval_trail", args=[post.pk]),
        reverse("workflows_approval_trail_csv", args=[post.pk]),
        reverse("workflows_approval_trail_export"),
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize(
    "role", [roles.DIRECTOR, roles.ELECTED_OFFICIAL, roles.MODERATOR, roles.ADMINISTRATOR]
)
def test_the_people_who_see_posts_read_the_trail(client, roles_people, author, role):
    post = submitted(author)

    assert trail_page(client, roles_people[role.key], post).status_code == 200


# -- Query counts --------------------------------------------------------------------------


def test_the_trail_and_the_exports_read_a_bounded_number_of_queries(
    client, author, director, five_accounts, approve, django_assert_max_num_queries
):
    def approved_posts(count):
        made = []
        for _ in range(count):
            post = submitted(
                author,
                accounts=[five_accounts["x"], five_accounts["facebook"]],
                at=timezone.now() + timedelta(days=1),
            )
            post = decide(post, director, "reject", "Non.")
            post.save_revision(user=author)
            post.current_workflow_state.resume(user=author)
            made.append(approve(post, director, "Oui."))
        return made

    def export_queries():
        with django_assert_max_num_queries(30) as captured:
            response = client.get(
                reverse("workflows_approval_trail_export"),
                {"start": timezone.localdate().isoformat(), "end": timezone.localdate()},
            )
        assert response.status_code == 200
        return len(captured), len(csv_rows(response))

    client.force_login(director)
    first = approved_posts(2)
    few, few_lines = export_queries()
    with django_assert_max_num_queries(30) as page_few:
        trail_page(client, director, first[0])
    more = approved_posts(4)
    many, many_lines = export_queries()
    with django_assert_max_num_queries(30) as page_many:
        trail_page(client, director, more[-1])

    # Four decisions (check, sent back, approved, check of the new version), each with
    # the two publications.
    assert (few_lines, many_lines) == (1 + 2 * 4 * 2, 1 + 6 * 4 * 2)
    assert many == few
    assert len(page_many) == len(page_few)
