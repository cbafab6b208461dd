"""The engine under faults of its own services: a hung Redis, a refused broker, races."""

import logging
import os
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import redis
import time_machine
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from crieur.celery import QuietScheduler
from publishing import scheduler, tasks
from publishing.models import Attempt, Publication
from publishing.signals import publication_failed
from tests.publishing.test_scheduler import creates, schedule
from tests.publishing.test_send_now import approved_post

pytestmark = pytest.mark.django_db
State = Publication.State


# -- Loopback servers standing in for a Redis in trouble ----------------------------------


class Loopback:
    """A TCP server on loopback, run by a thread, for one test.

    `silent`: accepts connections and never answers (a hung Redis). Otherwise each
    connection is relayed to `upstream` (a real Redis), unless `refusing` (connections
    are closed at once) or the client sends what `hang_on` matches (that connection
    falls silent for good).
    """

    def __init__(self, *, upstream=None, hang_on=None):
        self.upstream = upstream
        self.hang_on = hang_on
        self.refusing = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.upstream is None:
                continue  # silent: never read, never answer
            if self.refusing:
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            self.sockets.append(server)
            threading.Thread(target=self._relay, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._relay, args=(server, client, False), daemon=True).start()

    def _relay(self, source, target, from_client):
        try:
            while data := source.recv(65536):
                if from_client and self.hang_on and self.hang_on(data):
                    return  # this connection never answers again
                target.sendall(data)
        except OSError:
            return

    def close(self):
        for sock in self.sockets:
            sock.close()


def redis_cache(url: str) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "crieur-faults",
        "OPTIONS": {"socket_timeout": 0.3, "socket_connect_timeout": 0.3},
    }


@contextmanager
def cache_at(settings, url: str):
    """Django's cache (the networks' budgets, the approved revisions) at `url`."""
    normal = settings.CACHES
    settings.CACHES = {**normal, "default": redis_cache(url)}
    try:
        yield
    finally:
        settings.CACHES = normal


def real_redis() -> tuple[str, int, int]:
    parts = urlsplit(os.environ["REDIS_URL"])
    return parts.hostname or "127.0.0.1", parts.port or 6379, int(parts.path.strip("/") or 0)


def is_decrement(data: bytes) -> bool:
    """Django's cache.decr is Redis's INCRBY with a negative amount."""
    return b"INCRBY" in data and b"\r\n$2\r\n-1\r\n" in data


# -- Failures of ours before the call give the claim back at once -------------------------


def test_a_redis_hung_after_the_claim_gives_the_publication_back_at_once(
    sandbox, five_accounts, settings
):
    whatsapp = five_accounts["whatsapp"]
    publication = schedule(approved_post({"whatsapp": whatsapp}), whatsapp, timezone.now())
    hung = Loopback()

    with cache_at(settings, hung.url()):
        scheduler.publication_deliver(publication_id=publication.pk)
    hung.close()

    publication.refresh_from_db()
    # Not left in publishing until the lease, not unconfirmed: nothing left for the network.
    assert publication.state == State.SCHEDULED
    assert publication.claimed_at is None
    assert timedelta(0) < publication.not_before - timezone.now() < timedelta(seconds=15)
    assert publication.tries == 0
    attempt = publication.attempts.get()
    assert attempt.outcome == Attempt.Outcome.ERROR
    assert "Timeout" in attempt.message
    assert sandbox.requests_to("whatsapp", method="POST") == []
    with time_machine.travel(publication.not_before + timedelta(seconds=1), tick=False):
        scheduler.publication_deliver(publication_id=publication.pk)
    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    assert len(sandbox.requests_to("whatsapp", method="POST", path="/messages")) == 1


@pytest.mark.services
def test_a_slot_that_cannot_be_given_back_after_a_send_holds_back_no_other_publication(
    sandbox, five_accounts, settings
):
    now = timezone.now()
    accounts = {n: five_accounts[n] for n in ("x", "facebook", "linkedin")}
    post = approved_post(accounts)
    pks = [schedule(post, account, now).pk for account in accounts.values()]
    host, port, db = real_redis()
    # Redis answers everything but giving a call slot back, which hangs: after each send.
    flaky = Loopback(upstream=(host, port), hang_on=is_decrement)

    with cache_at(settings, flaky.url(db)):
        tasks.publications_deliver_task(pks)  # the batch the tick handed over
    flaky.close()

    assert set(Publication.objects.values_list("state", flat=True)) == {State.PUBLISHED}
    for network in accounts:
        assert len(creates(sandbox, network)) == 1, network


# -- Tasks lost with a worker or a refused database come back soon ------------------------


def test_delivery_tasks_go_back_to_the_broker_when_their_worker_dies():
    for task in (tasks.publication_deliver_task, tasks.publications_deliver_task):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert task.max_retries > 0  # a database or cache outage hands them over again


def test_a_publication_whose_task_was_lost_is_handed_over_again_within_seconds(
    sandbox, five_accounts
):
    x = five_accounts["x"]
    now = timezone.now()
    schedule(approved_post({"x": x}), x, now)

    with time_machine.travel(now, tick=False):
        assert scheduler.due_dispatch(now=now) == 1
    with time_machine.travel(now + timedelta(seconds=5), tick=False):
        assert scheduler.due_dispatch(now=now + timedelta(seconds=5)) == 0  # its task runs
    # Its worker died with it (or its database refused it): still scheduled, handed over
    # again well before a minute.
    later = now + timedelta(seconds=django_settings.CRIEUR_DISPATCH_FORGET_SECONDS)
    assert django_settings.CRIEUR_DISPATCH_FORGET_SECONDS <= 20
    with time_machine.travel(later, tick=False):
        assert scheduler.due_dispatch(now=later) == 1


# -- Beat during a broker outage -----------------------------------------------------------


@pytest.mark.services
def test_beat_says_once_that_the_broker_is_down_and_once_that_it_is_back(
    tmp_path, caplog, settings
):
    host, port, db = real_redis()
    broker = Loopback(upstream=(host, port))
    app = Celery("beat-under-test", broker=broker.url(db), set_as_current=False)
    app.conf.broker_connection_retry_on_startup = False
    app.conf.task_publish_retry_policy = {"max_retries": 0}
    app.conf.task_default_queue = "crieur-beat-under-test"  # no worker ever reads it
    beat = QuietScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=True)
    beat.setup_schedule()
    entry = beat.Entry(
        name="scheduler-beat", task="publishing.tasks.scheduler_beat", schedule=1.0, app=app
    )

    with caplog.at_level(logging.INFO):
        broker.refusing = True
        for _tick in range(5):
            beat.apply_entry(entry)
        broker.refusing = False
        for _tick in range(3):
            beat.apply_entry(entry)
    broker.close()
    queue = "crieur-beat-under-test"
    redis.Redis(host=host, port=port, db=db).delete(
        queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
    )

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is None  # one line, not a traceback
    back = [r for r in caplog.records if "again" in r.getMessage()]
    assert len(back) == 1


# -- State changes are conditional on the state they leave --------------------------------


def test_the_cut_off_sweep_racing_a_worker_records_and_announces_each_miss_once(
    sandbox, five_accounts, django_capture_on_commit_callbacks
):
    x = five_accounts["x"]
    post = approved_post({"x": x})
    late = timezone.now() - timedelta(hours=3)
    pks = [schedule(post, x, late).pk for _ in range(15)]
    announced = []

    def count(publication, **kwargs):
        announced.append(publication.pk)

    publication_failed.connect(count, weak=False, dispatch_uid="test-announced")
    workers_ran = []

    def a_worker_gets_there_meanwhile(execute, sql, params, many, context):
        # The sweep has read the 15 publications and writes its first miss: meanwhile
        # workers take them (each task finds its publication past the cut-off).
        if sql.startswith('UPDATE "publishing_publication"') and not workers_ran:
            workers_ran.append(True)
            for pk in pks:
                scheduler.publication_deliver(publication_id=pk)
        return execute(sql, params, many, context)

    try:
        with (
            django_capture_on_commit_callbacks(execute=True),
            connection.execute_wrapper(a_worker_gets_there_meanwhile),
        ):
            scheduler.publications_mark_missed(now=timezone.now())
    finally:
        publication_failed.disconnect(dispatch_uid="test-announced")

    assert workers_ran
    assert set(Publication.objects.values_list("state", flat=True)) == {State.MISSED}
    for pk in pks:
        history = Publication.objects.get(pk=pk).history.filter(state=State.MISSED)
        assert history.count() == 1, pk
    assert sorted(announced) == sorted(pks)
    assert creates(sandbox, "x") == []


# -- Network failures that created nothing, and rate limits --------------------------------


def test_an_image_upload_left_unanswered_on_linkedin_is_tried_again(sandbox, five_accounts):
    linkedin = five_accounts["linkedin"]
    publication = schedule(approved_post({"linkedin": linkedin}), linkedin, timezone.now())
    sandbox.inject("linkedin", "timeout", path="/linkedin/upload/", method="PUT")

    scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.SCHEDULED  # nothing visible was created: retried
    assert publication.attempts.get().outcome == Attempt.Outcome.TRANSIENT
    assert creates(sandbox, "linkedin") == []
    with time_machine.travel(publication.not_before + timedelta(seconds=1), tick=False):
        scheduler.publication_deliver(publication_id=publication.pk)
    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    assert len(creates(sandbox, "linkedin")) == 1


def test_a_rate_limit_spends_none_of_the_tries(sandbox, five_accounts, settings):
    settings.CRIEUR_PUBLISH_MAX_TRIES = 2
    x = five_accounts["x"]
    publication = schedule(approved_post({"x": x}), x, timezone.now())
    sandbox.inject("x", "rate_limited", path="/2/tweets", method="POST", times=3, reset_in=30)

    clock = timezone.now()
    for _wait in range(4):
        with time_machine.travel(clock, tick=False):
            scheduler.publication_deliver(publication_id=publication.pk)
        publication.refresh_from_db()
        if publication.state != State.SCHEDULED:
            break
        clock = publication.not_before + timedelta(seconds=1)

    assert publication.state == State.PUBLISHED
    assert publication.tries == 1
    outcomes = list(publication.attempts.values_list("outcome", flat=True))
    assert outcomes.count(Attempt.Outcome.RATE_LIMITED) == 3
