"""Publications change state by one table; only the people allowed change them through the
services; each try's attempt keeps what the network answered."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from publishing import scheduler, services
from publishing.models import Attempt, Publication, TransitionRefused
from tests.factories import SocialAccountFactory, UserFactory, approved_publication
from workflows import roles

pytestmark = pytest.mark.django_db
State = Publication.State


@pytest.fixture
def x(db):
    return SocialAccountFactory(network="x")


def later(hours=1):
    return timezone.now() + timedelta(hours=hours)


# -- The state machine ------------------------------------------------------------------------


def test_a_published_publication_cannot_go_back_to_the_schedule(x):
    publication = approved_publication(x, state=State.PUBLISHED)

    with pytest.raises(TransitionRefused):
        publication.transition(State.SCHEDULED)

    assert publication.state == State.PUBLISHED


def test_every_change_of_state_in_the_history_is_one_the_table_allows(
    sandbox, five_accounts, roles_people, settings
):
    settings.CRIEUR_PUBLISH_MAX_TRIES = 2
    manager = roles_people[roles.COMMUNITY_MANAGER.key]
    failing = approved_publication(five_accounts["x"])
    cancelled = approved_publication(five_accounts["x"], at=later())
    sandbox.inject("x", "server_error", times=2, path="/2/tweets", method="POST")

    scheduler.publication_deliver(publication_id=failing.pk)  # fails, retried later
    failing.refresh_from_db()
    with time_machine.travel(failing.not_before + timedelta(seconds=1), tick=False):
        scheduler.publication_deliver(publication_id=failing.pk)  # fails again: failed
    scheduler.publication_retry(publication=failing, by=manager)
    scheduler.publication_deliver(publication_id=failing.pk)
    services.publication_cancel(publication=cancelled, by=manager)

    assert Publication.objects.get(pk=failing.pk).state == State.PUBLISHED
    assert Publication.objects.get(pk=cancelled.pk).state == State.CANCELLED
    for publication in (failing, cancelled):
        states = list(publication.history.order_by("history_id").values_list("state", flat=True))
        changes = [(a, b) for a, b in zip(states, states[1:], strict=False) if a != b]
        assert changes
        assert all(b in Publication.TRANSITIONS[a] for a, b in changes), changes


# -- Who may change them ----------------------------------------------------------------------


def test_a_moderator_cannot_cancel_a_publication_through_the_service(x, roles_people):
    publication = approved_publication(x, at=later())

    with pytest.raises(PermissionDenied):
        services.publication_cancel(publication=publication, by=roles_people[roles.MODERATOR.key])

    assert Publication.objects.get(pk=publication.pk).state == State.SCHEDULED


def test_a_director_cannot_reschedule_a_publication_through_the_service(x, roles_people):
    at = later()
    publication = approved_publication(x, at=at)

    with pytest.raises(PermissionDenied):
        services.publication_reschedule(
            publication=publication, at=later(24), by=roles_people[roles.DIRECTOR.key]
        )

    assert Publication.objects.get(pk=publication.pk).scheduled_at == at


def test_a_director_cannot_move_a_post_through_the_service(x, roles_people):
    publication = approved_publication(x, at=later())

    with pytest.raises(PermissionDenied):
        services.post_schedule(
            post=publication.post, at=later(24), by=roles_people[roles.DIRECTOR.key]
        )

    publication.post.refresh_from_db()
    assert publication.post.planned_at is None


def test_a_moderator_cannot_send_a_failed_publication_again_through_the_service(x, roles_people):
    publication = approved_publication(x, state=State.FAILED)

    with pytest.raises(PermissionDenied):
        scheduler.publication_retry(publication=publication, by=roles_people[roles.MODERATOR.key])

    assert Publication.objects.get(pk=publication.pk).state == State.FAILED


def test_a_community_manager_cannot_send_a_post_at_once_through_the_service(x, roles_people):
    publication = approved_publication(x, at=later())

    with pytest.raises(PermissionDenied):
        scheduler.post_send_now(post=publication.post, by=roles_people[roles.COMMUNITY_MANAGER.key])

    assert Publication.objects.filter(post=publication.post).count() == 1


def test_the_author_may_cancel_the_publications_of_their_post_and_a_stranger_may_not(x):
    author = UserFactory()  # no role: only the authorship
    publication = approved_publication(x, at=later(), author=author)

    with pytest.raises(PermissionDenied):
        services.post_publications_cancel(post=publication.post, by=UserFactory())
    cancelled = services.post_publications_cancel(post=publication.post, by=author)

    assert [p.pk for p in cancelled] == [publication.pk]
    assert Publication.objects.get(pk=publication.pk).state == State.CANCELLED


# -- What each try keeps ----------------------------------------------------------------------


def test_a_failed_try_keeps_the_network_status_code_and_answer(sandbox, five_accounts):
    publication = approved_publication(five_accounts["x"])
    sandbox.inject("x", "server_error", path="/2/tweets", method="POST")

    scheduler.publication_deliver(publication_id=publication.pk)

    attempt = Attempt.objects.get(publication=publication)
    assert attempt.outcome == Attempt.Outcome.TRANSIENT
    assert attempt.status_code == 503
    assert attempt.answer["title"] == "Service Unavailable"


def test_a_rate_limited_try_keeps_the_429_and_spends_no_try(sandbox, five_accounts):
    publication = approved_publication(five_accounts["x"])
    sandbox.inject("x", "rate_limited", path="/2/tweets", method="POST")

    scheduler.publication_deliver(publication_id=publication.pk)

    attempt = Attempt.objects.get(publication=publication)
    assert (attempt.outcome, attempt.status_code) == (Attempt.Outcome.RATE_LIMITED, 429)
    assert Publication.objects.get(pk=publication.pk).tries == 0


def test_a_long_answer_is_kept_cut_to_its_beginning(x):
    attempt = Attempt.objects.create(publication=approved_publication(x), started_at=timezone.now())
    page = "<html><body>Bad gateway " + "panne " * 5000

    scheduler.attempt_update(
        attempt, scheduler.Answer(Attempt.Outcome.TRANSIENT, "Bad gateway", 502, page)
    )

    attempt.refresh_from_db()
    assert attempt.status_code == 502
    assert attempt.answer.startswith("<html><body>Bad gateway panne")
    assert len(attempt.answer) <= Attempt.ANSWER_MAX_CHARS + 1
