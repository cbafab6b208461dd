"""What networks hand up to the apps above them, and what they ask of them.

networks imports no other Crieur app: the apps above subscribe here instead.

- `webhook_item_received` is sent once per item of a webhook event (a citizen's
  message or comment, a receipt, a preference), after the raw event was stored and
  committed, inside the transaction that records the item as handled: a receiver that
  raises rolls the item back, and it is handled again when the event is. Arguments:
  `item` (a `networks.base.Received`: network, account remote id, kind, the network's
  own ids, and the `Inbound`, `Receipt` or `Preference` itself, with its author and
  text) and `event_id` (the stored `WebhookEvent`). Publishing subscribes for its
  WhatsApp list; the inbox will for what citizens write. Receivers only hand over to a
  service.
- The WhatsApp broadcast list (who gets a post, what each got) belongs to publishing,
  which registers it with `broadcast_list_register`; the WhatsApp module asks it with
  `broadcast_list()` when it publishes.
"""

from __future__ import annotations

from django.dispatch import Signal
from django.utils.translation import gettext as _

from .base import BroadcastList, Rejected

webhook_item_received = Signal()

_broadcast_lists: list[BroadcastList] = []


def broadcast_list_register(broadcast_list: BroadcastList) -> None:
    """Make `broadcast_list` the one the WhatsApp module asks (the last one registered)."""
    _broadcast_lists[:] = [broadcast_list]


def broadcast_list() -> BroadcastList:
    """The registered broadcast list; Rejected when no app keeps one."""
    if not _broadcast_lists:
        raise Rejected(
            _("No WhatsApp broadcast list is installed: nothing can be sent."),
            network="whatsapp",
        )
    return _broadcast_lists[0]
