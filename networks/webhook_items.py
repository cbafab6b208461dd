"""Reading a webhook payload item by item, for the network modules' `webhook_items`.

One item that cannot be read (a missing id, a field of the wrong type) is skipped and
named by its keys, never by what people wrote; the others are kept. Only an envelope
that cannot be read (`listed` on something that is no list) makes the whole payload
`WebhookMalformed`, which the door refuses.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings

from .base import (
    HandshakeAnswer,
    Inbound,
    Preference,
    Receipt,
    Received,
    WebhookItems,
    WebhookMalformed,
)

# The network modules import what they read payloads into from here, with the helpers.
__all__ = [
    "SHAPE_ERRORS",
    "HandshakeAnswer",
    "ItemReader",
    "Received",
    "WebhookItems",
    "WebhookMalformed",
    "hub_challenge",
    "listed",
    "received_problem",
]

# What reading an item of the wrong shape raises ("x".get, [1]["id"], a timestamp out of
# range): the item is skipped, never the event.
SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError, OverflowError)


def _keys(raw: Any) -> str:
    return str(sorted(map(str, raw))) if isinstance(raw, dict) else type(raw).__name__


def _strings(*values: Any) -> bool:
    return all(isinstance(value, str) for value in values)


def content_problem(content: Inbound | Receipt | Preference) -> str:
    """What makes an item's content unusable ("" when it is fine)."""
    if isinstance(content, Inbound):
        if not _strings(
            content.remote_id,
            content.kind,
            content.text,
            content.author_id,
            content.author_name,
            content.in_reply_to,
        ):
            return "a field has the wrong type"
        if not isinstance(content.raw, dict) or not isinstance(content.created_at, datetime):
            return "a field has the wrong type"
        return "" if content.remote_id else "no id"
    if isinstance(content, Receipt):
        if not _strings(content.message_id, content.status, content.recipient, content.error):
            return "a field has the wrong type"
        return "" if content.message_id and content.status else "no id or status"
    if isinstance(content, Preference):
        if not _strings(content.user_id, content.category, content.value, content.timestamp):
            return "a field has the wrong type"
        return "" if content.user_id else "no user"
    return "unknown content"


def received_problem(item: Received) -> str:
    """What makes an item unusable ("" when it is fine)."""
    if not _strings(item.network, item.account_remote_id, item.kind):
        return "a field has the wrong type"
    if not item.identity or not _strings(*item.identity):
        return "an identifier has the wrong type"
    return content_problem(item.content)


class ItemReader:
    """Collects the items of one payload; an item that cannot be read is skipped and
    named (its keys, never what people wrote), the others kept."""

    def __init__(self) -> None:
        self.items: list[Received] = []
        self.skipped: list[str] = []

    def read(self, what: str, raw: Any, build: Callable[[], Iterable[Received]]) -> None:
        """Add what `build` reads from `raw` (none, one or several items), or skip it."""
        try:
            found = list(build())
            problem = next((p for p in map(received_problem, found) if p), "")
        except SHAPE_ERRORS as error:
            found, problem = [], type(error).__name__
        if problem:
            self.skip(what, raw, problem)
        else:
            self.items.extend(found)

    def skip(self, what: str, raw: Any, problem: str) -> None:
        """Name something left out that holds items (a whole change of a Meta event)."""
        self.skipped.append(f"a {what} ({problem}; keys: {_keys(raw)})")

    def result(self) -> WebhookItems:
        return WebhookItems(items=tuple(self.items), skipped=tuple(self.skipped))


def listed(container: Any, key: str) -> list:
    """`container[key]` when it is a list (or missing); WebhookMalformed otherwise."""
    if not isinstance(container, dict):
        raise WebhookMalformed(f"not an object where {key} is expected")
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise WebhookMalformed(f"{key} is not a list")
    return value


def hub_challenge(query: dict[str, str]) -> HandshakeAnswer | None:
    """Meta's subscription check (Pages, Instagram, WhatsApp): echo `hub.challenge` when
    `hub.verify_token` is the one set up; never the app secret, which signs events."""
    if query.get("hub.mode") != "subscribe":
        return None
    expected = settings.CRIEUR_WHATSAPP_VERIFY_TOKEN
    token = query.get("hub.verify_token", "")
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return HandshakeAnswer(200, query.get("hub.challenge", ""))
    return HandshakeAnswer(403, "verify token mismatch")
