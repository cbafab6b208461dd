"""Blocked periods (the pre-election reserve, freezes) hold at every door that sends."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from policies.models import Period
from publishing import scheduler
from publishing.models import Publication
from tests.publishing.test_scheduler import creates, schedule
from tests.publishing.test_send_now import approved_post
from workflows import roles

pytestmark = pytest.mark.django_db
State = Publication.State


def period(kind, *, starts, ends, name):
    return Period.objects.create(
        name=name, kind=kind, starts_at=starts, ends_at=ends, reason="Code électoral L52-1."
    )


def test_sending_now_during_the_pre_election_reserve_is_refused_with_the_reason(
    client, roles_people, sandbox, five_accounts
):
    post = approved_post({"x": five_accounts["x"]})
    now = timezone.now()
    period(
        Period.Kind.RESERVE,
        starts=now - timedelta(days=10),
        ends=now + timedelta(days=30),
        name="Réserve des municipales",
    )
    client.force_login(roles_people[roles.ADMINISTRATOR.key])

    response = client.post(reverse("publishing_send_now", args=[post.pk]))

    assert response.status_code == 200
    assert not Publication.objects.exists()
    assert [r for r in sandbox.received if r.network == "x"] == []
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "Réserve des municipales" in shown


def test_a_publication_planned_before_a_freeze_is_held_during_it_then_goes_out(
    sandbox, five_accounts
):
    x = five_accounts["x"]
    now = timezone.now()
    publication = schedule(approved_post({"x": x}), x, now)
    freeze = period(
        Period.Kind.FREEZE,
        starts=now - timedelta(minutes=1),
        ends=now + timedelta(hours=1),
        name="Deuil national",
    )

    scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.FROZEN
    assert "Deuil national" in publication.error
    assert publication.not_before == freeze.ends_at
    assert creates(sandbox, "x") == []
    with time_machine.travel(now + timedelta(minutes=30), tick=False):
        scheduler.publications_thaw(now=timezone.now())
        scheduler.publication_deliver(publication_id=publication.pk)
    assert Publication.objects.get(pk=publication.pk).state == State.FROZEN  # still during it

    after = freeze.ends_at + timedelta(seconds=5)
    with time_machine.travel(after, tick=False):
        scheduler.scheduler_tick()
        assert Publication.objects.get(pk=publication.pk).state == State.SCHEDULED
        scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    assert len(creates(sandbox, "x")) == 1
    reasons = [h.history_change_reason for h in publication.history.order_by("history_date")]
    assert "frozen: blocked period" in reasons


def test_a_freeze_that_outlasts_the_cut_off_leaves_the_publication_missed(sandbox, five_accounts):
    x = five_accounts["x"]
    now = timezone.now()
    publication = schedule(approved_post({"x": x}), x, now)
    freeze = period(
        Period.Kind.FREEZE,
        starts=now - timedelta(minutes=1),
        ends=now + timedelta(hours=5),
        name="Crise inondations",
    )
    scheduler.publication_deliver(publication_id=publication.pk)

    with time_machine.travel(freeze.ends_at + timedelta(seconds=5), tick=False):
        scheduler.publications_thaw(now=timezone.now())

    publication.refresh_from_db()
    assert publication.state == State.MISSED
    assert creates(sandbox, "x") == []


def test_retrying_during_a_freeze_is_refused(sandbox, five_accounts, roles_people):
    x = five_accounts["x"]
    now = timezone.now()
    publication = schedule(approved_post({"x": x}), x, now)
    Publication.objects.filter(pk=publication.pk).update(state=State.FAILED)
    period(
        Period.Kind.FREEZE,
        starts=now - timedelta(minutes=1),
        ends=now + timedelta(hours=1),
        name="Deuil national",
    )

    with pytest.raises(ValidationError, match="Deuil national"):
        scheduler.publication_retry(
            publication=publication, by=roles_people[roles.ADMINISTRATOR.key]
        )

    assert Publication.objects.get(pk=publication.pk).state == State.FAILED
    assert creates(sandbox, "x") == []


def test_a_frozen_publication_moved_out_of_the_freeze_goes_out_at_its_new_time(
    sandbox, five_accounts, roles_people
):
    from publishing.services import publication_reschedule

    x = five_accounts["x"]
    now = timezone.now()
    publication = schedule(approved_post({"x": x}), x, now)
    freeze = period(
        Period.Kind.FREEZE,
        starts=now - timedelta(minutes=1),
        ends=now + timedelta(hours=1),
        name="Deuil national",
    )
    scheduler.publication_deliver(publication_id=publication.pk)
    new_time = freeze.ends_at + timedelta(minutes=30)

    publication_reschedule(
        publication=publication, at=new_time, by=roles_people[roles.COMMUNITY_MANAGER.key]
    )
    with time_machine.travel(new_time + timedelta(seconds=1), tick=False):
        scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    assert len(creates(sandbox, "x")) == 1
