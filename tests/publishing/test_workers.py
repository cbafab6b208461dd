"""Several worker processes on one PostgreSQL: exactly once, even when one is killed."""

import multiprocessing
import os
import signal
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from publishing import scheduler
from publishing.models import Publication
from tests.publishing.test_scheduler import creates, schedule
from tests.publishing.test_send_now import approved_post

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]
State = Publication.State


def _fork(target, *args):
    """A worker process running the same code as a Celery worker's task."""
    connections.close_all()  # each process opens its own connection
    process = multiprocessing.get_context("fork").Process(target=target, args=args)
    process.start()
    return process


def _deliver_all(pks):
    # A connection the parent still held is its socket, not ours: open our own.
    for conn in connections.all(initialized_only=True):
        conn.connection = None
    try:
        for pk in pks:
            scheduler.publication_deliver(publication_id=pk)
    finally:
        connections.close_all()
        os._exit(0)


def test_two_workers_racing_on_the_same_due_publications_send_each_once(sandbox, five_accounts):
    assert connection.vendor == "postgresql"
    x, linkedin = five_accounts["x"], five_accounts["linkedin"]
    now = timezone.now()
    pks = []
    for i in range(8):
        post = approved_post(
            {"x": x, "linkedin": linkedin}, texts={"x": f"Course {i}", "linkedin": f"Course {i}"}
        )
        pks += [schedule(post, x, now).pk, schedule(post, linkedin, now).pk]

    workers = [_fork(_deliver_all, pks), _fork(_deliver_all, list(reversed(pks)))]
    for worker in workers:
        worker.join(timeout=120)

    assert [w.exitcode for w in workers] == [0, 0]
    assert set(Publication.objects.values_list("state", flat=True)) == {State.PUBLISHED}
    assert len(creates(sandbox, "x")) == 8
    assert len(creates(sandbox, "linkedin")) == 8
    # Each publication was tried once, by one of the two workers.
    assert all(p.attempts.count() == 1 for p in Publication.objects.all())


def test_a_worker_killed_while_publishing_is_reconciled_without_a_duplicate(
    sandbox, five_accounts, settings
):
    x = five_accounts["x"]
    publication = schedule(approved_post({"x": x}, texts={"x": "Tué en vol"}), x, timezone.now())
    settings.CRIEUR_NETWORK_TIMEOUT = 30  # the worker waits for the held answer
    sandbox.inject("x", "timeout", path="/2/tweets", method="POST")

    worker = _fork(_deliver_all, [publication.pk])
    deadline = time.monotonic() + 30
    while not creates(sandbox, "x") and time.monotonic() < deadline:
        time.sleep(0.02)  # waiting for the other process to reach the network
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()

    publication.refresh_from_db()
    assert worker.exitcode == -signal.SIGKILL
    assert publication.state == State.PUBLISHING  # what a dead worker leaves
    later = timezone.now() + timedelta(seconds=settings.CRIEUR_PUBLISH_LEASE_SECONDS + 5)
    with time_machine.travel(later, tick=False):
        scheduler.scheduler_tick()
        scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == State.PUBLISHED
    assert publication.remote_id
    assert len(creates(sandbox, "x")) == 1
    outcomes = [a.outcome for a in publication.attempts.order_by("started_at")]
    assert outcomes == ["unconfirmed", "published"]  # the dead try, then the look-up
