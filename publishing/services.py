"""Changing publishing state: heartbeats now; scheduling and sending as they land."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Heartbeat

SCHEDULER = "scheduler"


def heartbeat_record(*, name: str = SCHEDULER) -> Heartbeat:
    """Record that the named process is alive now; safe to call from many workers."""
    now = timezone.now()
    with transaction.atomic():
        updated = Heartbeat.objects.filter(name=name).update(beat_at=now, count=F("count") + 1)
        if not updated:
            Heartbeat.objects.get_or_create(name=name, defaults={"beat_at": now, "count": 1})
    return Heartbeat.objects.get(name=name)
