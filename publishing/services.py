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


def credentials_key_rotate() -> int:
    """Re-encrypt every account's credentials with the first key; return how many.

    Loading decrypts with whichever listed key fits; saving encrypts with the first.
    Run it after putting the new key first in CRIEUR_CREDENTIALS_KEYS; then the old key
    can be removed from the list.
    """
    from .models import SocialAccount

    rotated = 0
    with transaction.atomic():
        for account in (
            SocialAccount.objects.select_for_update().exclude(credentials="").order_by("pk")
        ):
            account.save(update_fields=["credentials"])
            rotated += 1
    return rotated
