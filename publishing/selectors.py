"""Reading publishing state."""

from datetime import timedelta

from django.utils import timezone

from .models import Heartbeat
from .services import SCHEDULER

# Beyond this, the dashboard says the scheduler is not running.
BEAT_STALE_AFTER = timedelta(minutes=2)


def scheduler_health(*, now=None) -> dict:
    now = now or timezone.now()
    beat = Heartbeat.objects.filter(name=SCHEDULER).first()
    return {
        "last_beat": beat.beat_at if beat else None,
        "alive": bool(beat and now - beat.beat_at <= BEAT_STALE_AFTER),
    }
