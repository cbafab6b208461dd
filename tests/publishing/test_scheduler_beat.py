"""A real Celery worker, on the configured broker, runs the scheduler's beat."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from crieur.celery import app
from publishing.models import Heartbeat
from publishing.selectors import scheduler_health
from publishing.services import SCHEDULER
from publishing.tasks import scheduler_beat


def wait_for(condition, *, attempts=200, every=0.05):
    """Poll a condition the worker makes true; the bound only stops a broken test."""
    for _ in range(attempts):
        if condition():
            return True
        time.sleep(every)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_broker_records_the_scheduler_beat():
    assert scheduler_health()["alive"] is False

    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        scheduler_beat.delay()
        assert wait_for(lambda: Heartbeat.objects.filter(name=SCHEDULER).exists())

    assert Heartbeat.objects.get(name=SCHEDULER).count == 1
    assert scheduler_health()["alive"] is True


def test_the_beat_is_scheduled_often_enough_for_the_dashboard(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["scheduler-beat"]
    assert entry["task"] == scheduler_beat.name
    assert entry["schedule"].total_seconds() <= 60
