"""The publishing engine: exactly once, on time, retries bounded, holds, cut-offs."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from networks import budget
from networks.models import SocialAccount
from publishing import scheduler
from publishing.models import Attempt, Publication
from publishing.services import publication_cancel
from tests.publishing.test_send_now import approved_post
from workflows import roles

pytestmark = pytest.mark.django_db
State = Publication.State


def schedule(post, account, at):
    return Publication.objects.create(
        post=post, revision=post.live_revision, account=account, scheduled_at=at
    )


def creates(sandbox, network):
    """What the network accepted and created."""
    return [r for r in list(sandbox.received) if r.network == network and r.created_a_post]


def run_until_settled(now, *, limit=200):
    """Run the workers' job over and over, moving the clock to each next try."""
    clock = now
    for _round in range(limit):
        pending = list(
            Publication.objects.filter(state=State.SCHEDULED).values_list("pk", "not_before")
        )
        if not pending:
            return clock
        waits = [nb for _pk, nb in pending if nb]
        clock = max(clock, min(waits) if waits else clock) + timedelta(seconds=3)
        with time_machine.travel(clock, tick=False):
            for pk, _nb in pending:
                scheduler.publication_deliver(publication_id=pk)
    raise AssertionError("publications never settled")


def test_a_due_publication_is_sent_once_and_its_state_history_kept(sandbox, five_accounts):
    post = approved_post({"x": five_accounts["x"]})
    publication = schedule(post, five_accounts["x"], timezone.now())

    scheduler.publication_deliver(publication_id=publication.pk)
    scheduler.publication_deliver(publication_id=publication.pk)  # a redelivered task

    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    assert len(creates(sandbox, "x")) == 1
    states = [h.state for h in publication.history.order_by("history_date")]
    assert states[0] == State.SCHEDULED and State.PUBLISHING in states
    assert states[-1] == State.PUBLISHED


def test_a_publication_not_yet_due_is_not_claimed(sandbox, five_accounts):
    post = approved_post({"x": five_accounts["x"]})
    publication = schedule(post, five_accounts["x"], timezone.now() + timedelta(minutes=5))

    assert scheduler.publication_deliver(publication_id=publication.pk) is None

    assert Publication.objects.get().state == State.SCHEDULED
    assert creates(sandbox, "x") == []


def test_with_30_percent_of_calls_failing_every_publication_ends_sent_once(
    sandbox, five_accounts, settings
):
    settings.CRIEUR_PUBLISH_MAX_TRIES = 12
    for account in five_accounts.values():
        account.cutoff = timedelta(days=3)  # LinkedIn's limits reset at midnight UTC
        account.save()
    now = timezone.now()
    posts = [
        approved_post(five_accounts, texts=dict.fromkeys(five_accounts, f"Annonce n°{i}"))
        for i in range(3)
    ]
    for post in posts:
        for account in five_accounts.values():
            schedule(post, account, now)
    sandbox.set_failure_rate("*", 0.3, kinds=("server_error", "timeout", "rate_limited"))

    run_until_settled(now)

    sandbox.set_failure_rate("*", 0)
    states = {p.state for p in Publication.objects.all()}
    assert states <= {State.PUBLISHED, State.UNCONFIRMED, State.AWAITING_CONFIRMATION}, [
        (p.account.network, p.state, p.error, [a.message for a in p.attempts.all()])
        for p in Publication.objects.exclude(state__in=[State.PUBLISHED, State.UNCONFIRMED])
    ]
    assert Attempt.objects.filter(outcome=Attempt.Outcome.TRANSIENT).exists()
    for network in five_accounts:
        made = creates(sandbox, network)
        published = Publication.objects.filter(account__network=network, state=State.PUBLISHED)
        # Never more than one post per publication; an unconfirmed one may or may not
        # have reached the network (that is why nobody sent it again).
        assert published.count() <= len(made) <= 3, network
        announced = [re.search(r"Annonce n°\d", f"{r.json} {r.form} {r.query}") for r in made]
        texts = [m.group(0) for m in announced if m]
        assert len(texts) == len(set(texts)), network


def test_a_timeout_after_the_request_left_is_unconfirmed_and_never_retried(sandbox, five_accounts):
    post = approved_post({"x": five_accounts["x"]})
    publication = schedule(post, five_accounts["x"], timezone.now())
    sandbox.inject("x", "timeout", path="/2/tweets", method="POST")

    scheduler.publication_deliver(publication_id=publication.pk)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        scheduler.scheduler_tick()

    publication.refresh_from_db()
    assert publication.state == State.UNCONFIRMED
    assert "vérifiez sur le réseau" in publication.error
    assert len(creates(sandbox, "x")) == 1


def test_a_passing_failure_is_retried_later_with_backoff(sandbox, five_accounts):
    post = approved_post({"x": five_accounts["x"]})
    now = timezone.now()
    publication = schedule(post, five_accounts["x"], now)
    sandbox.inject("x", "server_error", path="/2/tweets", method="POST")

    scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.SCHEDULED
    assert publication.tries == 1
    assert timedelta(seconds=7) <= publication.not_before - now <= timedelta(seconds=15)
    # Not before its time…
    assert scheduler.publication_deliver(publication_id=publication.pk) is None
    # …then once.
    with time_machine.travel(publication.not_before + timedelta(seconds=1), tick=False):
        scheduler.publication_deliver(publication_id=publication.pk)
    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    assert [a.outcome for a in publication.attempts.all()] == ["transient", "published"]


def test_retries_are_bounded(sandbox, five_accounts, settings):
    settings.CRIEUR_PUBLISH_MAX_TRIES = 3
    post = approved_post({"x": five_accounts["x"]})
    schedule(post, five_accounts["x"], timezone.now())
    sandbox.inject("x", "server_error", times=10, path="/2/tweets", method="POST")

    run_until_settled(timezone.now())

    publication = Publication.objects.get()
    assert publication.state == State.FAILED
    assert publication.attempts.count() == 3
    assert "échoué 3 fois" in publication.error


def test_a_retried_thread_resumes_and_never_posts_a_part_twice(sandbox, five_accounts):
    x = five_accounts["x"]
    post = approved_post({"x": x}, texts={"x": "Partie un"})
    draft = post.get_latest_revision_as_object()
    [variant] = draft.variants.all()
    variant.format = "thread"
    variant.thread_text = "Partie deux\n---\nPartie trois"
    draft.variants = [variant]
    draft.save_revision().publish()
    post.refresh_from_db()
    publication = schedule(post, x, timezone.now())

    with second_tweet_fails(sandbox):
        scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.SCHEDULED
    assert publication.remote_id and publication.remote_parts == []
    with time_machine.travel(publication.not_before + timedelta(seconds=1), tick=False):
        scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    texts = [r.json["text"] for r in creates(sandbox, "x")]
    assert texts == ["Partie un", "Partie deux", "Partie trois"]
    assert len(publication.remote_parts) == 2


@contextmanager
def second_tweet_fails(sandbox):
    """The sandbox answers 503 to the second tweet created (the thread's second part)."""
    sandbox.inject("x", "server_error", path="/2/tweets", method="POST", after=1)
    yield


def test_an_expired_token_means_one_attempt_one_alert_and_no_more_calls(
    sandbox, five_accounts, roles_people
):
    x = five_accounts["x"]
    now = timezone.now()
    publications = [schedule(approved_post({"x": x}), x, now) for _ in range(3)]
    sandbox.inject("x", "expired_token", times=10)

    for publication in publications:
        scheduler.publication_deliver(publication_id=publication.pk)
    with time_machine.travel(now + timedelta(minutes=5)):
        scheduler.scheduler_tick()
        for publication in publications:
            scheduler.publication_deliver(publication_id=publication.pk)

    x.refresh_from_db()
    assert x.status == SocialAccount.Status.NEEDS_RECONNECT
    assert Attempt.objects.count() == 1
    assert Attempt.objects.get().outcome == Attempt.Outcome.AUTH_EXPIRED
    assert len([r for r in sandbox.received if r.network == "x"]) == 1
    assert {p.state for p in Publication.objects.all()} == {State.SCHEDULED}  # held
    assert len(mail.outbox) == 1
    assert roles_people[roles.ADMINISTRATOR.key].email in mail.outbox[0].to
    assert "3 publications programmées sont en attente" in mail.outbox[0].body


def test_a_rate_limit_is_respected_before_the_next_call(sandbox, five_accounts):
    x = five_accounts["x"]
    now = timezone.now()
    first, second = (schedule(approved_post({"x": x}), x, now) for _ in range(2))
    sandbox.inject("x", "rate_limited", path="/2/tweets", method="POST")

    scheduler.publication_deliver(publication_id=first.pk)
    calls_after_limit = len(sandbox.received)
    scheduler.publication_deliver(publication_id=second.pk)

    assert len(sandbox.received) == calls_after_limit  # nothing called while blocked
    second.refresh_from_db()
    assert second.state == State.SCHEDULED and second.attempts.count() == 0
    reset = budget.blocked_until("x", account_id=x.pk)
    assert reset is not None and second.not_before >= reset
    with time_machine.travel(second.not_before + timedelta(seconds=1), tick=False):
        scheduler.publication_deliver(publication_id=second.pk)
    second.refresh_from_db()
    assert second.state == State.PUBLISHED


def test_meta_usage_near_its_ceiling_blocks_calls_before_a_refusal():
    budget.reset()
    budget.observe("graph_api", {"x-app-usage": '{"call_count": 12, "total_time": 5}'})
    assert budget.blocked_until("facebook", account_id=1) is None

    budget.observe(
        "graph_api",
        {
            "x-business-use-case-usage": '{"1234": [{"type": "pages", "call_count": 96, '
            '"total_time": 20, "total_cputime": 10, "estimated_time_to_regain_access": 7}]}'
        },
        account_id=1,
    )

    until = budget.blocked_until("instagram", account_id=1)
    assert until is not None
    assert timedelta(minutes=6) < until - timezone.now() <= timedelta(minutes=7)
    budget.reset()


def test_a_publication_past_its_cut_off_is_missed_not_sent(sandbox, five_accounts):
    x = five_accounts["x"]
    post = approved_post({"x": x})
    late = schedule(post, x, timezone.now() - timedelta(hours=3))
    x.cutoff = timedelta(minutes=10)
    x.save()
    short = schedule(approved_post({"x": x}), x, timezone.now() - timedelta(minutes=15))
    facebook = five_accounts["facebook"]  # the default cut-off, two hours
    in_time = schedule(
        approved_post({"facebook": facebook}), facebook, timezone.now() - timedelta(minutes=30)
    )

    scheduler.publications_mark_missed(now=timezone.now())

    assert Publication.objects.get(pk=late.pk).state == State.MISSED
    missed = Publication.objects.get(pk=short.pk)
    assert missed.state == State.MISSED
    assert "délai limite de 10 minutes" in missed.error
    assert Publication.objects.get(pk=in_time.pk).state == State.SCHEDULED
    assert sandbox.received == []


def test_frozen_and_cancelled_publications_are_never_sent(sandbox, five_accounts, roles_people):
    x = five_accounts["x"]
    frozen = schedule(approved_post({"x": x}), x, timezone.now())
    frozen.state = State.FROZEN
    frozen.save()
    cancelled = schedule(approved_post({"x": x}), x, timezone.now())

    publication_cancel(publication=cancelled, by=roles_people[roles.COMMUNITY_MANAGER.key])

    scheduler.scheduler_tick()
    for publication in (frozen, cancelled):
        scheduler.publication_deliver(publication_id=publication.pk)

    assert Publication.objects.get(pk=frozen.pk).state == State.FROZEN
    assert Publication.objects.get(pk=cancelled.pk).state == State.CANCELLED
    assert sandbox.received == []


def test_a_stale_claim_is_reconciled_found_on_the_network(sandbox, five_accounts, settings):
    x = five_accounts["x"]
    post = approved_post({"x": x}, texts={"x": "Déjà parti"})
    publication = schedule(post, x, timezone.now())
    # A worker sent it, then died before writing the answer down.
    import networks
    from cms.adaptation import outgoing

    variant = post.live_revision.as_object().variants.first()
    networks.get("x").publish(outgoing(variant), account=x, key="crieur-dead")
    Publication.objects.filter(pk=publication.pk).update(
        state=State.PUBLISHING, claimed_at=timezone.now()
    )

    with time_machine.travel(timezone.now() + timedelta(seconds=10), tick=False):
        assert scheduler.publications_reconcile_stale(now=timezone.now()) == 0  # lease runs
    later = timezone.now() + timedelta(seconds=settings.CRIEUR_PUBLISH_LEASE_SECONDS + 5)
    with time_machine.travel(later, tick=False):
        scheduler.scheduler_tick()
        scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    assert publication.remote_id
    assert len(creates(sandbox, "x")) == 1


def test_a_stale_claim_not_on_the_network_is_sent_again_once(sandbox, five_accounts, settings):
    x = five_accounts["x"]
    publication = schedule(approved_post({"x": x}), x, timezone.now())
    Publication.objects.filter(pk=publication.pk).update(
        state=State.PUBLISHING, claimed_at=timezone.now()
    )
    later = timezone.now() + timedelta(seconds=settings.CRIEUR_PUBLISH_LEASE_SECONDS + 5)

    with time_machine.travel(later, tick=False):
        scheduler.publications_reconcile_stale(now=timezone.now())
        scheduler.publication_deliver(publication_id=publication.pk)
        scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    assert len(creates(sandbox, "x")) == 1


def test_an_unconfirmed_publication_retried_from_the_dashboard_is_checked_first(
    sandbox, five_accounts, roles_people, django_capture_on_commit_callbacks
):
    x = five_accounts["x"]
    publication = schedule(approved_post({"x": x}), x, timezone.now())
    sandbox.inject("x", "timeout", path="/2/tweets", method="POST")
    scheduler.publication_deliver(publication_id=publication.pk)
    assert Publication.objects.get().state == State.UNCONFIRMED

    scheduler.publication_retry(
        publication=publication, by=roles_people[roles.COMMUNITY_MANAGER.key]
    )

    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED  # found there: nothing sent again
    assert len(creates(sandbox, "x")) == 1


def test_a_token_about_to_expire_is_renewed_ahead(sandbox, five_accounts):
    x = five_accounts["x"]
    # The refresh token the network issued when the account was connected.
    sandbox.bucket("x", "tokens")["sandbox-x-refresh-1"] = {
        "user": x.remote_id,
        "scope": "tweet.read tweet.write users.read offline.access",
        "refresh": True,
    }
    x.credentials = {**x.credentials, "refresh_token": "sandbox-x-refresh-1"}
    x.token_expires_at = timezone.now() + timedelta(hours=1)
    x.save()

    renewed = scheduler.accounts_refresh(now=timezone.now())

    x.refresh_from_db()
    assert renewed == 1
    assert x.token_expires_at > timezone.now() + timedelta(hours=1)
    assert x.status == SocialAccount.Status.CONNECTED


def test_a_token_that_cannot_be_renewed_holds_the_account_and_alerts(
    sandbox, five_accounts, roles_people
):
    x = five_accounts["x"]
    x.token_expires_at = timezone.now() + timedelta(hours=1)
    x.credentials = {k: v for k, v in x.credentials.items() if k != "refresh_token"}
    x.save()

    scheduler.accounts_refresh(now=timezone.now())

    x.refresh_from_db()
    assert x.status == SocialAccount.Status.NEEDS_RECONNECT
    assert len(mail.outbox) == 1


@pytest.fixture
def eager_celery():
    """Tasks run where they are sent (no broker, no worker): what a tick hands over."""
    from crieur.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_tick_hands_due_publications_over_once_and_leaves_the_later_ones(
    sandbox, five_accounts, eager_celery
):
    x = five_accounts["x"]
    now = timezone.now()
    due = [schedule(approved_post({"x": x}, texts={"x": f"Dû {i}"}), x, now) for i in range(3)]
    later = schedule(approved_post({"x": x}), x, now + timedelta(minutes=10))

    assert scheduler.due_dispatch(now=now) == 3
    assert scheduler.due_dispatch(now=now) == 0  # already handed over

    assert {p.state for p in Publication.objects.filter(pk__in=[p.pk for p in due])} == {
        State.PUBLISHED
    }
    assert Publication.objects.get(pk=later.pk).state == State.SCHEDULED
    assert len(creates(sandbox, "x")) == 3


def test_publications_due_together_travel_in_small_groups(settings):
    settings.CRIEUR_DISPATCH_GROUP = 3
    settings.CRIEUR_DISPATCH_GROUP_SECONDS = 0.25
    t = timezone.now()
    items = [(i, t + timedelta(seconds=0.1 * i)) for i in range(5)] + [
        (9, t + timedelta(seconds=5))
    ]

    batches = list(scheduler._batches(items))

    assert [ids for ids, _eta in batches] == [[0, 1, 2], [3, 4], [9]]
    # Each group goes at the latest due time in it: none is sent early.
    assert [eta for _ids, eta in batches] == [items[2][1], items[4][1], items[5][1]]


def test_approval_schedules_the_post_at_its_planned_time_and_a_late_one_waits_for_a_date(
    sandbox, five_accounts
):
    from wagtail.models import ModelLogEntry

    from cms.models import Post

    x = five_accounts["x"]
    post = approved_post({"x": x})  # approved without a date: nothing scheduled
    assert not Publication.objects.filter(post=post).exists()
    Post.objects.filter(pk=post.pk).update(planned_at=timezone.now() + timedelta(hours=2))
    post.refresh_from_db()

    post.save_revision().publish()  # approved again, now with a date

    publication = Publication.objects.get(post=post)
    assert publication.scheduled_at == post.planned_at
    assert publication.revision_id == Post.objects.get(pk=post.pk).live_revision_id

    late = approved_post({"x": x}, texts={"x": "En retard"})
    Post.objects.filter(pk=late.pk).update(planned_at=timezone.now() - timedelta(minutes=5))
    late.refresh_from_db()
    late.save_revision().publish()

    assert not Publication.objects.filter(post=late).exists()
    entry = ModelLogEntry.objects.get(action="publishing.needs_date", object_id=str(late.pk))
    assert str(x) in entry.data["accounts"]
