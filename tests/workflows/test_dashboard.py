"""The dashboard's approval panels: what waits for my decision, what was sent back to me,
and what is approved but needs a date."""

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext

from cms.models import Post, Variant
from publishing.models import Publication
from tests.factories import PostFactory, UserFactory
from workflows import roles
from workflows.dashboard_hooks import (
    PANEL_SIZE,
    SentBackPanel,
    ToSchedulePanel,
    WaitingForDecisionPanel,
)
from workflows.models import Quorum, RoleRound, round_decide
from workflows.selectors import approved_to_schedule, sent_back_to, waiting_for_decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


@pytest.fixture
def director(roles_people):
    return roles_people[roles.DIRECTOR.key]


def director_round():
    return RoleRound.objects.get(name=roles.DIRECTOR_ROUND.name)


def submitted(author, *, title=None, accounts=(), at=None):
    """A post written and submitted by `author` to the Standard circuit: the automatic
    check passes it on to the director round."""
    post = PostFactory(created_by=author, planned_at=at, **({"title": title} if title else {}))
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


def approved(post_fields=None, *, at=None):
    """An approved post as finishing a circuit leaves it (no circuit: quick to make)."""
    post = PostFactory(planned_at=at, **(post_fields or {}))
    post.save_revision().publish()
    return Post.objects.get(pk=post.pk)


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode()


def panel(page, panel_id):
    """The HTML of one dashboard panel (empty when the panel is not shown)."""
    found = re.search(rf'<section[^>]*id="{panel_id}-section".*?</section>', page, re.S)
    return found.group(0) if found else ""


def edit_url(post):
    return reverse("wagtailsnippets_cms_post:edit", args=[post.pk])


def local(moment):
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


# -- Waiting for my decision -------------------------------------------------------------


def test_a_director_sees_the_post_waiting_in_the_director_round_with_its_deadline(
    client, author, director
):
    director_round_ = director_round()
    director_round_.deadline_hours = 24
    director_round_.save()
    post = submitted(author, title="Travaux rue Victor-Hugo")
    deadline = post.current_workflow_task_state.specific.deadline

    waiting = panel(home(client, director), "approval-waiting")

    assert escape(post.title) in waiting
    assert edit_url(post) in waiting
    assert escape(roles.DIRECTOR_ROUND.name) in waiting
    assert local(deadline) in waiting
    assert 'data-overdue="true"' not in waiting


def test_a_round_past_its_deadline_is_flagged_overdue(client, author, director):
    director_round_ = director_round()
    director_round_.deadline_hours = 2
    director_round_.save()
    post = submitted(author)

    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        waiting = panel(home(client, director), "approval-waiting")
        [item] = waiting_for_decision(user=director)

    assert item.overdue
    assert f'data-post="{post.pk}" data-overdue="true"' in waiting
    assert escape(gettext("Overdue")) in waiting


def test_a_director_does_not_see_his_own_post_four_eyes(director):
    other_director = UserFactory(role=roles.DIRECTOR)
    post = submitted(director)

    assert list(waiting_for_decision(user=director)) == []
    assert [s.post_id for s in waiting_for_decision(user=other_director)] == [post.pk]


def test_a_director_no_longer_sees_the_post_once_he_has_decided(author, director):
    director_round_ = director_round()
    director_round_.quorum = Quorum.ALL
    director_round_.save()
    other_director = UserFactory(role=roles.DIRECTOR)
    post = submitted(author)

    decide(post, director, "approve")

    # The round waits for the other director: it is still open, but not for him.
    assert Post.objects.get(pk=post.pk).current_workflow_task_state.status == "in_progress"
    assert list(waiting_for_decision(user=director)) == []
    assert [s.post_id for s in waiting_for_decision(user=other_director)] == [post.pk]


def test_with_nothing_waiting_the_panel_says_what_will_appear(client, author, director):
    submitted(author)
    idle_director = UserFactory(role=roles.DIRECTOR)
    decide(Post.objects.get(), director, "approve")

    assert list(waiting_for_decision(user=author)) == []
    # A sentence of the template: compared as the reader sees it.
    assert (
        gettext(
            "Nothing waits for your decision. When a post is submitted to a round you "
            "approve in, it appears here with its deadline."
        )
    ) in unescape(panel(home(client, idle_director), "approval-waiting"))
    # Someone who approves in no round gets no empty panel.
    assert panel(home(client, UserFactory(role=roles.MODERATOR)), "approval-waiting") == ""


# -- Sent back to me ---------------------------------------------------------------------


def test_a_community_manager_sees_his_sent_back_post_with_the_comment(client, author, director):
    post = submitted(author, title="Fête de la musique")
    comment = "<script>alert('x')</script> Précisez les horaires, svp."

    decide(post, director, "reject", comment)

    sent_back = panel(home(client, author), "approval-sent-back")
    assert edit_url(post) in sent_back
    assert escape(post.title) in sent_back
    assert escape(comment) in sent_back
    assert comment not in sent_back
    assert escape(roles.DIRECTOR_ROUND.name) in sent_back
    assert escape(director.get_full_name()) in sent_back
    [state] = sent_back_to(user=author)
    assert state.post_id == post.pk


def test_a_post_sent_back_to_someone_else_is_not_in_my_panel(client, author, director):
    post = submitted(author)
    decide(post, director, "reject", "Non.")
    colleague = UserFactory(role=roles.COMMUNITY_MANAGER)

    assert list(sent_back_to(user=colleague)) == []
    # A sentence of the template: compared as the reader sees it.
    assert (
        gettext(
            "No post of yours is waiting for changes. When an approver requests changes on "
            "a post you wrote or submitted, it appears here with their comment: change the "
            "post, then submit it again."
        )
    ) in unescape(panel(home(client, colleague), "approval-sent-back"))


def test_the_post_leaves_the_sent_back_panel_once_submitted_again(author, director):
    post = submitted(author)
    decide(post, director, "reject", "Trop long.")
    post.text = "Version courte."
    post.save_revision(user=author)

    Post.objects.get(pk=post.pk).current_workflow_state.resume(user=author)

    assert list(sent_back_to(user=author)) == []


def test_a_post_the_automatic_check_sends_back_shows_why(author, five_accounts):
    post = PostFactory(created_by=author)
    post.variants = [Variant(account=five_accounts["x"], text="Trop long. " * 40)]
    post.save()
    post.save_revision(user=author)
    post.get_workflow().start(post, author)

    [state] = sent_back_to(user=author)

    assert state.post_id == post.pk
    assert state.current_task_state.refusals[0].via == "automatic"
    assert state.current_task_state.comment


# -- Approved, to be scheduled -----------------------------------------------------------


def test_an_approved_post_without_a_date_or_past_its_date_is_to_be_scheduled(client, author):
    no_date = approved({"title": "Sans date"})
    too_late = approved({"title": "Trop tard"}, at=timezone.now() - timedelta(hours=1))

    shown = panel(home(client, author), "approval-to-schedule")

    assert {p.pk for p in approved_to_schedule(user=author)} == {no_date.pk, too_late.pk}
    assert edit_url(no_date) in shown
    assert edit_url(too_late) in shown
    assert reverse("publishing_calendar_move_form", args=["post", too_late.pk]) in shown
    assert local(too_late.planned_at) in shown


def test_an_approved_post_with_future_publications_is_not_to_be_scheduled(
    author, director, five_accounts, django_capture_on_commit_callbacks
):
    post = submitted(author, accounts=[five_accounts["x"]], at=timezone.now() + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        post = decide(post, director, "approve")

    assert Publication.objects.filter(post=post, revision=post.live_revision).exists()
    assert list(approved_to_schedule(user=author)) == []


def test_a_post_approved_after_its_planned_time_is_to_be_scheduled_with_its_approver(
    author, director, five_accounts, django_capture_on_commit_callbacks
):
    at = timezone.now() + timedelta(hours=1)
    post = submitted(author, accounts=[five_accounts["x"]], at=at)

    with time_machine.travel(at + timedelta(minutes=5)):
        with django_capture_on_commit_callbacks(execute=True):
            post = decide(post, director, "approve")
        to_schedule = list(approved_to_schedule(user=author))

    assert not Publication.objects.filter(post=post).exists()
    assert [p.pk for p in to_schedule] == [post.pk]
    assert to_schedule[0].approved_by == director.get_full_name()


def test_a_cancelled_publication_puts_the_post_back_to_be_scheduled(
    author, director, five_accounts, django_capture_on_commit_callbacks
):
    at = timezone.now() + timedelta(hours=1)
    post = submitted(author, accounts=[five_accounts["x"]], at=at)
    with django_capture_on_commit_callbacks(execute=True):
        post = decide(post, director, "approve")
    Publication.objects.filter(post=post).update(state=Publication.State.CANCELLED)

    assert list(approved_to_schedule(user=author)) == []  # its time has not come yet
    with time_machine.travel(at + timedelta(minutes=1)):
        assert [p.pk for p in approved_to_schedule(user=author)] == [post.pk]


def test_only_the_people_who_schedule_see_the_posts_to_be_scheduled(client, roles_people):
    approved({"title": "Sans date"})

    for key in (roles.COMMUNITY_MANAGER.key, roles.CRISIS_CELL.key, roles.ADMINISTRATOR.key):
        assert len(approved_to_schedule(user=roles_people[key])) == 1
        assert "Sans date" in panel(home(client, roles_people[key]), "approval-to-schedule")
    for key in (roles.DIRECTOR.key, roles.MODERATOR.key, roles.ELECTED_OFFICIAL.key):
        assert list(approved_to_schedule(user=roles_people[key])) == []
        assert panel(home(client, roles_people[key]), "approval-to-schedule") == ""


def test_an_administrator_who_cannot_edit_posts_gets_the_trail_link(client, roles_people):
    post = approved({"title": "Sans date"})

    shown = panel(home(client, roles_people[roles.ADMINISTRATOR.key]), "approval-to-schedule")

    assert reverse("workflows_approval_trail", args=[post.pk]) in shown
    assert edit_url(post) not in shown


def test_the_panel_shows_the_latest_ten_and_links_to_the_full_list(client, author):
    posts = [approved({"title": f"Approuvé {n:02d}"}) for n in range(PANEL_SIZE + 2)]

    shown = panel(home(client, author), "approval-to-schedule")
    full = client.get(reverse("workflows_approval_list", args=["to-schedule"]))

    assert shown.count("data-post=") == PANEL_SIZE
    assert "Approuvé 11" in shown and "Approuvé 00" not in shown
    assert reverse("workflows_approval_list", args=["to-schedule"]) in shown
    assert full.status_code == 200
    assert full.content.decode().count("data-post=") == len(posts)
    assert client.get(reverse("workflows_approval_list", args=["nothing"])).status_code == 404


def test_the_full_lists_of_waiting_and_sent_back_posts(client, author, director):
    waiting = submitted(author, title="En attente")
    sent_back = submitted(author, title="Renvoyé")
    decide(sent_back, director, "reject", "À revoir.")

    client.force_login(director)
    page = client.get(reverse("workflows_approval_list", args=["waiting"])).content.decode()
    assert f'data-post="{waiting.pk}"' in page
    client.force_login(author)
    page = client.get(reverse("workflows_approval_list", args=["sent-back"])).content.decode()
    assert f'data-post="{sent_back.pk}"' in page
    assert "À revoir." in page


# -- Query counts ------------------------------------------------------------------------


def render_queries(panel_class, user):
    request = RequestFactory().get("/admin/")
    request.user = type(user).objects.get(pk=user.pk)  # no permissions cached yet
    with CaptureQueriesContext(connection) as queries:
        panel_class().render_html({"request": request})
    return len(queries)


def test_the_panels_read_a_bounded_number_of_queries(
    author, director, django_assert_max_num_queries
):
    second_author = UserFactory(role=roles.COMMUNITY_MANAGER)

    def more_posts(count):
        for _ in range(count):
            submitted(author)
            decide(submitted(author), director, "reject", "Non.")
            decide(submitted(second_author), director, "reject", "Non.")
            approved()

    more_posts(2)
    few = {
        WaitingForDecisionPanel: render_queries(WaitingForDecisionPanel, director),
        SentBackPanel: render_queries(SentBackPanel, author),
        ToSchedulePanel: render_queries(ToSchedulePanel, author),
    }
    more_posts(5)

    for panel_class, user in (
        (WaitingForDecisionPanel, director),
        (SentBackPanel, author),
        (ToSchedulePanel, author),
    ):
        with django_assert_max_num_queries(6):
            many = render_queries(panel_class, user)
        assert many == few[panel_class], panel_class


def test_the_waiting_list_agrees_with_what_each_round_says(roles_people, author, director):
    """One query stands for the rounds' own get_task_states_user_can_moderate."""
    from wagtail.models import TaskState, Workflow

    from workflows.models import RoundState

    other_director = UserFactory(role=roles.DIRECTOR)
    submitted(author)
    submitted(director)
    sensitive = PostFactory(
        created_by=author, approval_workflow=Workflow.objects.get(name=roles.SENSITIVE.name)
    )
    sensitive.save_revision(user=author)
    sensitive.get_workflow().start(sensitive, author)
    decide(sensitive, director, "approve")  # now in the elected official's round
    escalated = submitted(author)
    RoundState.objects.filter(pk=escalated.current_workflow_task_state.pk).update(
        escalated_to=Group.objects.get(name=roles.CRISIS_CELL.group_name)
    )

    for user in [*roles_people.values(), other_director]:
        expected = set(
            TaskState.objects.reviewable_by(user)
            .filter(status=TaskState.STATUS_IN_PROGRESS)
            .values_list("pk", flat=True)
        )
        assert set(waiting_for_decision(user=user).values_list("pk", flat=True)) == expected
    assert waiting_for_decision(user=roles_people[roles.ELECTED_OFFICIAL.key]).count() == 1
    assert waiting_for_decision(user=roles_people[roles.CRISIS_CELL.key]).count() == 1


def test_wagtails_own_approval_panels_give_way_to_crieurs(client, author, director):
    submitted(author)
    client.force_login(director)

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert 'id="approval-waiting-section"' in page
    assert 'id="awaiting-review' not in page  # Wagtail's "Awaiting your review"
    assert 'id="objects-in-workflow' not in page
