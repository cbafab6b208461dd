"""The external round: elected officials decide from a signed, single-use, expiring link."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext
from wagtail.models import TaskState, Workflow, WorkflowState

from cms.models import Post, Variant
from networks.models import Network, SocialAccount
from tests.factories import PostFactory
from workflows import roles
from workflows.external import (
    SALT,
    approval_link_token,
    approval_links_remind,
    approval_links_send,
    external_decide,
)
from workflows.models import (
    ApprovalLink,
    Decision,
    ExternalApprover,
    ExternalRound,
    Quorum,
    round_decide,
)

pytestmark = pytest.mark.django_db

START = timezone.make_aware(timezone.datetime(2025, 3, 10, 9, 0))


def t(message, **values):
    """A sentence as the approver reads it: in the installation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(message)
    return text % values if values else text


def when(moment):
    with translation.override(settings.LANGUAGE_CODE):
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def verdict_label(verdict):
    with translation.override(settings.LANGUAGE_CODE):
        return str(Decision.Verdict(verdict).label)


@pytest.fixture
def elise():
    approver = ExternalApprover.objects.create(
        name="Élise Martin", function="Maire adjointe", email="elise.martin@example.org"
    )
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(approver)
    return approver


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def at_elected_round(roles_people, elise, clock, django_capture_on_commit_callbacks):
    """A post of the Sensitive circuit the director approved: it waits for the elected
    official, whose link is in the outbox."""

    def make(variants=(), **post_fields):
        author = roles_people[roles.COMMUNITY_MANAGER.key]
        circuit = Workflow.objects.get(name=roles.SENSITIVE.name)
        post = PostFactory(approval_workflow=circuit, created_by=author, **post_fields)
        if variants:
            post.variants = list(variants)
            post.save()
        post.save_revision(user=author)
        with django_capture_on_commit_callbacks(execute=True):
            circuit.start(post, author)
        with django_capture_on_commit_callbacks(execute=True):
            round_decide(
                task_state=post.current_workflow_task_state.specific,
                verdict="approve",
                user=roles_people[roles.DIRECTOR.key],
            )
        post.refresh_from_db()
        assert post.current_workflow_task.name == roles.ELECTED_ROUND.name
        return post

    return make


def mails_to(approver):
    return [message for message in mail.outbox if message.to == [approver.email]]


def link_path(message):
    base = re.escape(settings.WAGTAILADMIN_BASE_URL)
    return re.search(base + r"(/approve/[^/\s\"<]+/)", message.body).group(1)


def fresh_client():
    """A browser with no session, no cookie, and CSRF checks on, like a phone's mail app."""
    return Client(enforce_csrf_checks=True)


# -- The e-mail -----------------------------------------------------------------------------


def test_the_link_is_emailed_to_the_approver_with_what_to_decide_and_until_when(
    at_elected_round, elise, roles_people
):
    post = at_elected_round(title="Inauguration de la médiathèque")

    [message] = mails_to(elise)

    link = ApprovalLink.objects.get()
    assert link.approver == elise
    assert link.expires_at == START + timedelta(hours=72)
    assert link.used_at is None
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    assert post.title in message.subject
    assert message.subject == t("Your approval is requested — %(title)s", title=post.title)
    url = settings.WAGTAILADMIN_BASE_URL + reverse(
        "workflows:external_approval", args=[approval_link_token(link)]
    )
    assert url in message.body
    assert author.get_full_name() in message.body
    assert roles.ELECTED_ROUND.name in message.body
    assert when(link.expires_at) in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert escape(url) in html
    assert escape(post.title) in html


def test_the_email_says_the_deadline_when_the_round_has_one(
    at_elected_round, elise, django_capture_on_commit_callbacks
):
    ExternalRound.objects.filter(name=roles.ELECTED_ROUND.name).update(deadline_hours=48)

    at_elected_round()

    [message] = mails_to(elise)
    assert when(START + timedelta(hours=48)) in message.body


def test_sending_the_links_again_for_the_same_round_sends_nothing(at_elected_round, elise):
    post = at_elected_round()
    mail.outbox.clear()

    approval_links_send(task_state_id=post.current_workflow_task_state.pk)

    assert mails_to(elise) == []
    assert ApprovalLink.objects.count() == 1


def test_an_address_that_fails_keeps_no_link_and_does_not_stop_the_others(
    at_elected_round, elise, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    paul = ExternalApprover.objects.create(name="Paul Durand", email="refused@example.org")
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(paul)
    send_messages = EmailBackend.send_messages

    def refuse_paul(backend, messages):
        if any(message.to == [paul.email] for message in messages):
            raise ConnectionRefusedError("SMTP server refused the recipient")
        return send_messages(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_paul)

    at_elected_round()

    assert len(mails_to(elise)) == 1
    assert list(ApprovalLink.objects.values_list("approver", flat=True)) == [elise.pk]


def test_an_inactive_approver_gets_no_link(at_elected_round, elise):
    other = ExternalApprover.objects.create(name="Paul", email="paul@example.org", active=False)
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(other)

    at_elected_round()

    assert mails_to(other) == []
    assert list(ApprovalLink.objects.values_list("approver", flat=True)) == [elise.pk]


# -- Opening the link -----------------------------------------------------------------------


def test_the_link_opens_without_an_account_says_whose_it_is_and_changes_nothing(
    at_elected_round, elise
):
    post = at_elected_round(text="Ouverture samedi, entrée <libre> #Culture")
    path = link_path(mails_to(elise)[0])
    browser = fresh_client()

    response = browser.get(path)
    browser.get(path)
    browser.head(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert escape(t("This link is for %(name)s.", name=str(elise))) in page
    assert escape(post.title) in page
    assert "entrée &lt;libre&gt;" in page
    assert '<meta name="viewport"' in page
    assert "wagtailadmin" not in page  # no admin chrome
    assert response["Referrer-Policy"] == "no-referrer"
    assert "sessionid" not in response.cookies
    assert ApprovalLink.objects.get().used_at is None
    assert not Decision.objects.filter(external_approver=elise).exists()
    assert Post.objects.get(pk=post.pk).current_workflow_task.name == roles.ELECTED_ROUND.name


def test_the_approver_sees_every_network_version_before_deciding(at_elected_round, elise):
    x = SocialAccount.objects.create(network=Network.X, display_name="Ville <sur> X")
    linkedin = SocialAccount.objects.create(network=Network.LINKEDIN, display_name="Ville LI")
    post = at_elected_round(
        text="Le texte maître, pour LinkedIn.",
        variants=[
            Variant(account=x, text="Version courte pour X"),
            Variant(account=linkedin, first_comment="Inscriptions en mairie."),
        ],
    )

    page = fresh_client().get(link_path(mails_to(elise)[0])).content.decode()

    assert post.variants.count() == 2
    assert 'data-network="x"' in page and 'data-network="linkedin"' in page
    assert "Version courte pour X" in page
    assert "Le texte maître, pour LinkedIn." in page
    assert "Inscriptions en mairie." in page
    assert "Ville &lt;sur&gt; X" in page


def test_the_page_shows_the_version_under_review_not_a_later_draft(at_elected_round, elise):
    post = at_elected_round(text="Texte soumis.")
    post.text = "Brouillon plus récent, jamais soumis."
    post.save_revision(user=post.created_by)

    page = fresh_client().get(link_path(mails_to(elise)[0])).content.decode()

    assert "Texte soumis." in page
    assert "Brouillon plus récent" not in page


# -- Deciding -------------------------------------------------------------------------------


def test_approving_by_link_records_the_decision_in_the_approvers_name_and_publishes(
    at_elected_round, elise
):
    post = at_elected_round()
    path = link_path(mails_to(elise)[0])
    browser = fresh_client()

    response = browser.post(path, {"verdict": "approve", "comment": "Parfait, merci."})

    assert response.status_code == 302
    decision = Decision.objects.get(external_approver=elise)
    assert decision.name == "Élise Martin"
    assert decision.verdict == Decision.Verdict.APPROVE
    assert decision.comment == "Parfait, merci."
    assert decision.via == Decision.Via.LINK
    assert decision.round_name == roles.ELECTED_ROUND.name
    assert ApprovalLink.objects.get().used_at == START
    post = Post.objects.get(pk=post.pk)
    assert post.live  # the last round of the circuit: the post is approved
    assert post.current_workflow_state is None
    done = browser.get(response["Location"])
    assert done.status_code == 200
    assert escape(verdict_label("approve")) in done.content.decode()
    assert "Parfait, merci." in done.content.decode()


def test_requesting_changes_sends_the_post_back_with_the_comment(at_elected_round, elise):
    post = at_elected_round()

    response = fresh_client().post(
        link_path(mails_to(elise)[0]),
        {"verdict": "reject", "comment": "Retirez le nom du prestataire, svp."},
    )

    assert response.status_code == 302
    decision = Decision.objects.get(external_approver=elise)
    assert decision.verdict == Decision.Verdict.REJECT
    assert decision.comment == "Retirez le nom du prestataire, svp."
    post = Post.objects.get(pk=post.pk)
    assert not post.live
    assert post.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    rejected = TaskState.objects.get(status=TaskState.STATUS_REJECTED)
    assert rejected.get_comment() == "Retirez le nom du prestataire, svp."


def test_requesting_changes_without_a_comment_says_what_to_do_and_records_nothing(
    at_elected_round, elise
):
    at_elected_round()
    path = link_path(mails_to(elise)[0])

    response = fresh_client().post(path, {"verdict": "reject", "comment": "   "})

    assert response.status_code == 200
    page = response.content.decode()
    assert escape(t("Say what should change: a comment is required to request changes.")) in page
    assert 'aria-invalid="true"' in page
    assert not Decision.objects.filter(external_approver=elise).exists()
    assert ApprovalLink.objects.get().used_at is None


def test_what_the_approver_typed_is_kept_when_the_form_comes_back(at_elected_round, elise):
    at_elected_round()
    path = link_path(mails_to(elise)[0])

    response = fresh_client().post(path, {"comment": "Je relis <b>ce soir</b>."})

    assert response.status_code == 200
    page = response.content.decode()
    assert escape(t("Choose Approve or Request changes.")) in page
    assert ">Je relis &lt;b&gt;ce soir&lt;/b&gt;.</textarea>" in page
    assert not Decision.objects.filter(external_approver=elise).exists()


def test_the_service_refuses_a_request_for_changes_without_a_comment(at_elected_round, elise):
    from django.core.exceptions import ValidationError

    at_elected_round()
    token = approval_link_token(ApprovalLink.objects.get())

    with pytest.raises(ValidationError) as refused:
        external_decide(token=token, verdict="reject", comment="")

    assert "comment" in refused.value.message_dict
    assert not Decision.objects.filter(external_approver=elise).exists()


def test_the_email_says_the_decision_is_recorded_in_the_name_of_the_approver_elided(
    at_elected_round, elise
):
    at_elected_round()

    [message] = mails_to(elise)
    [(html, _mimetype)] = message.alternatives

    # French elides « de » before a vowel: « au nom d'Élise Martin », never « de Élise ».
    assert "au nom d'Élise Martin" in message.body
    assert "au nom d'Élise Martin" in html
    assert "de Élise" not in message.body


def test_the_page_writes_the_first_of_the_month_1er(at_elected_round, elise):
    planned = timezone.make_aware(timezone.datetime(2025, 4, 1, 10, 0))
    at_elected_round(planned_at=planned)

    page = fresh_client().get(link_path(mails_to(elise)[0])).content.decode()

    planned_shown = re.search(r'data-testid="planned-at">([^<]*)<', page).group(1)
    assert planned_shown == "1er avril 2025 10:00"


# -- Links that do nothing but say why ------------------------------------------------------


def test_a_used_link_only_says_it_was_used_with_the_decision_and_date(at_elected_round, elise):
    at_elected_round()
    path = link_path(mails_to(elise)[0])
    fresh_client().post(path, {"verdict": "approve"})

    again = fresh_client().get(path)
    posted_again = fresh_client().post(path, {"verdict": "reject", "comment": "Finalement non."})

    expected = t(
        "This link has already been used: the decision “%(verdict)s” of %(name)s was "
        "recorded on %(date)s. It cannot be used again.",
        verdict=verdict_label("approve"),
        name="Élise Martin",
        date=when(START),
    ).replace("de Élise", "d'Élise")  # French elides « de » before a vowel
    assert "d'Élise Martin" in expected
    for response in (again, posted_again):
        assert response.status_code == 410
        assert escape(expected) in response.content.decode()
        assert "<form" not in response.content.decode()
    assert Decision.objects.filter(external_approver=elise).count() == 1


def test_the_confirmation_is_shown_only_right_after_the_decision(at_elected_round, elise, clock):
    at_elected_round()
    path = link_path(mails_to(elise)[0])
    done = fresh_client().post(path, {"verdict": "approve", "comment": "Vu en séance."})["Location"]
    clock.move_to(START + timedelta(minutes=16))

    later = fresh_client().get(done)

    assert later.status_code == 410
    assert "Vu en séance." not in later.content.decode()


def test_an_expired_link_says_until_when_and_changes_nothing(at_elected_round, elise, clock):
    post = at_elected_round()
    path = link_path(mails_to(elise)[0])
    clock.move_to(START + timedelta(hours=72, minutes=1))

    opened = fresh_client().get(path)
    posted = fresh_client().post(path, {"verdict": "approve"})

    expected = t(
        "This link expired on %(date)s. Ask the communication team to send you a new link.",
        date=when(START + timedelta(hours=72)),
    )
    for response in (opened, posted):
        assert response.status_code == 410
        assert escape(expected) in response.content.decode()
    assert not Decision.objects.filter(external_approver=elise).exists()
    assert ApprovalLink.objects.get().used_at is None
    assert not Post.objects.get(pk=post.pk).live


def test_a_link_still_works_just_before_it_expires(at_elected_round, elise, clock):
    at_elected_round()
    path = link_path(mails_to(elise)[0])
    clock.move_to(START + timedelta(hours=71, minutes=59))

    assert fresh_client().post(path, {"verdict": "approve"}).status_code == 302


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"), id="signature"),
        pytest.param(lambda token: token.split(":", 1)[0] + "0:" + token.split(":", 1)[1], id="pk"),
        pytest.param(lambda token: token[: len(token) // 2], id="cut"),
        pytest.param(
            lambda token: signing.Signer(salt=SALT).sign(token.split(":")[0] + ":guessed"),
            id="guessed-nonce",
        ),
        pytest.param(
            lambda token: signing.Signer(salt="another").sign(":".join(token.split(":")[:2])),
            id="other-salt",
        ),
    ],
)
def test_a_tampered_link_says_so_and_changes_nothing(at_elected_round, elise, tamper):
    post = at_elected_round()
    token = approval_link_token(ApprovalLink.objects.get())
    path = reverse("workflows:external_approval", args=[tamper(token)])

    opened = fresh_client().get(path)
    posted = fresh_client().post(path, {"verdict": "approve"})

    invalid = t(
        "This link is not valid: it may be incomplete or altered. Open the link exactly "
        "as it is in the e-mail you received, or ask the communication team for a new one."
    )
    for response in (opened, posted):
        assert response.status_code == 404
        assert escape(invalid) in response.content.decode()
    assert not Decision.objects.filter(external_approver=elise).exists()
    assert not Post.objects.get(pk=post.pk).live


def test_a_link_to_a_withdrawn_version_says_it_no_longer_waits(at_elected_round, elise):
    post = at_elected_round()
    path = link_path(mails_to(elise)[0])
    post.current_workflow_state.cancel(user=post.created_by)

    response = fresh_client().post(path, {"verdict": "approve"})

    assert response.status_code == 410
    assert (
        escape(
            t(
                "This version of the post no longer waits for your decision: it was withdrawn "
                "or replaced by a newer version. If a new version needs your approval, you "
                "will receive a new link."
            )
        )
        in response.content.decode()
    )
    assert not Decision.objects.filter(external_approver=elise).exists()


def test_when_one_approver_is_enough_the_other_link_says_the_round_is_over(at_elected_round, elise):
    paul = ExternalApprover.objects.create(name="Paul Durand", email="paul@example.org")
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(paul)
    post = at_elected_round()
    fresh_client().post(link_path(mails_to(elise)[0]), {"verdict": "approve"})

    response = fresh_client().get(link_path(mails_to(paul)[0]))

    assert Post.objects.get(pk=post.pk).live
    assert response.status_code == 410
    assert (
        escape(
            t(
                "This approval round is over: the post was already approved or sent back to "
                "its author. Nothing waits for your decision."
            )
        )
        in response.content.decode()
    )


def test_when_all_must_approve_the_post_waits_for_the_last_one(at_elected_round, elise):
    paul = ExternalApprover.objects.create(name="Paul Durand", email="paul@example.org")
    # Only the two officials decide (the round also counts its role's members otherwise).
    ExternalRound.objects.filter(name=roles.ELECTED_ROUND.name).update(
        quorum=Quorum.ALL, group=None
    )
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(paul)
    post = at_elected_round()

    fresh_client().post(link_path(mails_to(elise)[0]), {"verdict": "approve"})
    assert not Post.objects.get(pk=post.pk).live

    fresh_client().post(link_path(mails_to(paul)[0]), {"verdict": "approve"})
    assert Post.objects.get(pk=post.pk).live
    assert set(Decision.objects.exclude(external_approver=None).values_list("name", flat=True)) == {
        "Élise Martin",
        "Paul Durand",
    }


def test_a_link_of_an_approver_removed_from_the_round_decides_nothing(at_elected_round, elise):
    post = at_elected_round()
    path = link_path(mails_to(elise)[0])
    elise.active = False
    elise.save()

    response = fresh_client().post(path, {"verdict": "approve"})

    assert response.status_code == 410
    assert escape(t("You are not one of the approvers of this round.")) in (
        response.content.decode()
    )
    assert not Post.objects.get(pk=post.pk).live


# -- Reminders ------------------------------------------------------------------------------


def test_a_reminder_sends_the_same_link_again(at_elected_round, elise, clock):
    post = at_elected_round()
    first = link_path(mails_to(elise)[0])
    mail.outbox.clear()
    clock.move_to(START + timedelta(hours=24))

    approval_links_remind(task_state_id=post.current_workflow_task_state.pk)

    [reminder] = mails_to(elise)
    assert link_path(reminder) == first
    assert reminder.subject == t(
        "Reminder: your approval is requested — %(title)s", title=post.title
    )
    assert ApprovalLink.objects.count() == 1


def test_a_reminder_after_the_link_expired_sends_a_fresh_one(at_elected_round, elise, clock):
    post = at_elected_round()
    first = link_path(mails_to(elise)[0])
    mail.outbox.clear()
    clock.move_to(START + timedelta(hours=80))

    approval_links_remind(task_state_id=post.current_workflow_task_state.pk)

    fresh = link_path(mails_to(elise)[0])
    assert fresh != first
    assert fresh_client().get(first).status_code == 410
    assert fresh_client().post(fresh, {"verdict": "approve"}).status_code == 302
    assert Post.objects.get(pk=post.pk).live


def test_no_reminder_for_an_approver_who_decided(at_elected_round, elise):
    paul = ExternalApprover.objects.create(name="Paul Durand", email="paul@example.org")
    # Only the two officials decide (the round also counts its role's members otherwise).
    ExternalRound.objects.filter(name=roles.ELECTED_ROUND.name).update(
        quorum=Quorum.ALL, group=None
    )
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(paul)
    post = at_elected_round()
    fresh_client().post(link_path(mails_to(elise)[0]), {"verdict": "approve"})
    mail.outbox.clear()

    approval_links_remind(task_state_id=post.current_workflow_task_state.pk)

    assert mails_to(elise) == []
    assert len(mails_to(paul)) == 1


# -- Administration -------------------------------------------------------------------------


def test_administrators_list_and_search_external_approvers(client, roles_people, elise):
    ExternalApprover.objects.create(name="Paul Durand", email="paul.durand@example.org")
    client.force_login(roles_people[roles.ADMINISTRATOR.key])
    url = reverse("wagtailsnippets_workflows_externalapprover:list")

    everyone = client.get(url).content.decode()
    by_name = client.get(url, {"q": "MARTIN"}).content.decode()
    by_email = client.get(url, {"q": "paul.durand@"}).content.decode()

    assert "Élise Martin" in everyone and "Paul Durand" in everyone
    assert "Élise Martin" in by_name and "Paul Durand" not in by_name
    assert "Paul Durand" in by_email and "Élise Martin" not in by_email


def test_administrators_add_an_external_approver(client, roles_people):
    client.force_login(roles_people[roles.ADMINISTRATOR.key])

    response = client.post(
        reverse("wagtailsnippets_workflows_externalapprover:add"),
        {"name": "Nadia Benali", "function": "Maire", "email": "maire@example.org", "active": "on"},
    )

    assert response.status_code == 302
    assert ExternalApprover.objects.get().email == "maire@example.org"


def test_other_roles_do_not_manage_external_approvers(client, roles_people):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    response = client.get(reverse("wagtailsnippets_workflows_externalapprover:list"))

    assert response.status_code in (302, 403)


# -- A change of address --------------------------------------------------------------------


def change_address(client, roles_people, approver, email):
    """An administrator changes the approver's e-mail address in the admin."""
    client.force_login(roles_people[roles.ADMINISTRATOR.key])
    response = client.post(
        reverse("wagtailsnippets_workflows_externalapprover:edit", args=[approver.pk]),
        {"name": approver.name, "function": approver.function, "email": email, "active": "on"},
    )
    assert response.status_code == 302
    approver.refresh_from_db()


def test_changing_the_address_voids_the_link_sent_to_the_old_one(
    client, roles_people, at_elected_round, elise
):
    post = at_elected_round()
    old_link = link_path(mails_to(elise)[0])

    change_address(client, roles_people, elise, "elise.martin@mairie.example.org")

    opened = fresh_client().get(old_link)
    decided = fresh_client().post(old_link, {"verdict": "approve"})
    assert opened.status_code == decided.status_code == 410
    assert (
        escape(
            t(
                "This link no longer works: it was sent to an address that is no longer the one "
                "the communication team has for you. If your approval is still needed, a new "
                "link goes to your current address."
            )
        )
        in decided.content.decode()
    )
    assert not Decision.objects.filter(external_approver=elise).exists()
    assert not Post.objects.get(pk=post.pk).live


def test_after_an_address_change_the_reminder_sends_a_new_link_to_the_new_address(
    client, roles_people, at_elected_round, elise, clock
):
    post = at_elected_round()
    old_link = link_path(mails_to(elise)[0])
    change_address(client, roles_people, elise, "elise.martin@mairie.example.org")
    mail.outbox.clear()
    clock.move_to(START + timedelta(hours=24))

    approval_links_remind(task_state_id=post.current_workflow_task_state.pk)

    [reminder] = mail.outbox
    assert reminder.to == ["elise.martin@mairie.example.org"]
    new_link = link_path(reminder)
    assert new_link != old_link
    assert fresh_client().post(old_link, {"verdict": "approve"}).status_code == 410
    assert fresh_client().post(new_link, {"verdict": "approve"}).status_code == 302
    assert Post.objects.get(pk=post.pk).live


def test_an_approver_s_changes_are_kept_in_their_history(client, roles_people, elise):
    change_address(client, roles_people, elise, "elise.martin@mairie.example.org")

    changed, created = elise.history.all()
    assert (created.history_type, created.email) == ("+", "elise.martin@example.org")
    assert (changed.history_type, changed.email) == ("~", "elise.martin@mairie.example.org")
    assert changed.history_user == roles_people[roles.ADMINISTRATOR.key]
