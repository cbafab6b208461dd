"""Webhook events after the door: each item of a stored event handed on once.

The door (`webhooks.py`) keeps the raw event (`services.webhook_event_store`) and, once
it is committed, a task (`tasks.py`) calls `webhook_event_handle`: the event's network
module reads it into plain items (`base.Received`, item by item: `webhook_items.py`),
each is recorded as handled (`WebhookItem`, known by the network's own ids) and handed
on through `signals.webhook_item_received`, in one transaction per item.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

import networks

from .base import Received
from .models import WebhookEvent, WebhookItem
from .signals import webhook_item_received
from .webhook_items import SHAPE_ERRORS

logger = logging.getLogger(__name__)

# Webhook path → the network module that checks, answers and reads it (Meta sends Page
# and Instagram events to one address; the Facebook module reads both).
WEBHOOK_SOURCES = {"x": "x", "meta": "facebook", "linkedin": "linkedin", "whatsapp": "whatsapp"}
ITEM_KEY_MAX = WebhookItem._meta.get_field("key").max_length or 255


def item_key(*identity: str) -> str:
    """The key of a handled item from the network's own identifiers ("message", id)."""
    key = ":".join(str(part) for part in identity)
    if len(key) > ITEM_KEY_MAX:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def webhook_item_claim(*, source: str, event: WebhookEvent | None, identity: tuple) -> bool:
    """Whether an item is seen for the first time; it is then recorded as handled.

    Call it inside the transaction that handles the item: when the handling fails, the
    claim is rolled back with it and the item is handled again with the event. A second
    handling running at the same time waits for the first, then is refused.
    """
    try:
        with transaction.atomic():
            WebhookItem.objects.create(network=source, key=item_key(*identity), event=event)
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class Handled:
    """What handling one event did: items handed on, already handled, failed."""

    handed_on: int = 0
    already: int = 0
    failed: int = 0


def webhook_event_handle(*, event_id: int) -> Handled:
    """Read a stored event and hand on each of its items not handled yet.

    Each item is claimed and handed on in its own transaction: a receiver that fails
    rolls back that item only (logged; `failed` counts it, and handling the event again
    retries it), the others stand. Handling an event again hands on nothing twice.
    """
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None or event.network not in WEBHOOK_SOURCES:
        return Handled()
    network = networks.get(WEBHOOK_SOURCES[event.network])
    try:
        read = network.webhook_items(event.payload)
    except SHAPE_ERRORS as error:  # WebhookMalformed included; the door refuses those
        logger.warning("%s event %s cannot be read: %s", event.network, event.pk, error)
        return Handled()
    for skipped in read.skipped:
        logger.warning("%s event %s: skipped %s", event.network, event.pk, skipped)
    handed_on = already = failed = 0
    for item in read.items:
        try:
            with transaction.atomic():
                if not webhook_item_claim(
                    source=event.network, event=event, identity=item.identity
                ):
                    already += 1
                    continue
                webhook_item_received.send(sender=Received, item=item, event_id=event.pk)
        except Exception:
            # The item and its claim are rolled back; the other items go on.
            logger.exception(
                "%s event %s: handling the %s %s failed",
                event.network,
                event.pk,
                item.kind,
                item_key(*item.identity),
            )
            failed += 1
        else:
            handed_on += 1
    return Handled(handed_on=handed_on, already=already, failed=failed)
