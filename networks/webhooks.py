"""The webhook door: refuse what is not signed by the network, keep each event once.

Meta (Pages, Instagram, WhatsApp), X and LinkedIn sign their webhooks with the app's
secret; the network module checks the signature and answers the subscription checks
(Meta's hub.challenge, X's CRC): each implements `base.WebhookReceiver`. A signed body
that is not an event of the network (not a JSON object, too deep, too large, odd types,
an envelope the network's module cannot read) is refused with a 400 and one log line,
and is not stored. An accepted event is stored raw by a service, and handled after the
commit by a task (`receiving.webhook_event_handle`): nothing is handled inside the
request.
"""

import hashlib
import json
import logging
import math
from typing import cast

from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt

import networks

from .base import HandshakeAnswer, WebhookReceiver
from .receiving import WEBHOOK_SOURCES, item_key
from .services import webhook_event_store
from .webhook_items import SHAPE_ERRORS

__all__ = ["MalformedWebhook", "item_key", "receive", "webhook_payload"]

logger = logging.getLogger(__name__)

# Networks send events of a few kilobytes; a larger body is refused before it is read.
MAX_BODY_BYTES = 1024 * 1024
# Meta's deepest events are about eight levels deep.
MAX_DEPTH = 32
# The keys every event of a network carries (Meta's "object"/"entry", X's Account Activity
# "for_user_id", LinkedIn's notification "type").
ENVELOPES = {
    "meta": ("object", "entry"),
    "whatsapp": ("object", "entry"),
    "x": ("for_user_id",),
    "linkedin": ("type",),
}


class MalformedWebhook(Exception):
    """A signed body that is not an event the network's module can read."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _receiver(source: str) -> WebhookReceiver:
    return cast(WebhookReceiver, networks.get(WEBHOOK_SOURCES[source]))


def _answer(answer: HandshakeAnswer | None) -> HttpResponse:
    if answer is None:
        return HttpResponse(status=400)
    if answer.json is not None:
        return JsonResponse(answer.json, status=answer.status)
    return HttpResponse(answer.text, status=answer.status, content_type="text/plain")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _check_values(payload: dict) -> None:
    """Depth, and values the database's JSON refuses (NUL, lone surrogates, infinities)."""
    stack: list[tuple[object, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MalformedWebhook(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if "\x00" in value:
                raise MalformedWebhook("a string holds a NUL character")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise MalformedWebhook("a string holds a lone surrogate") from None
        elif isinstance(value, float) and not math.isfinite(value):
            raise MalformedWebhook("a number is out of range")


def _check_readable(source: str, payload: dict) -> None:
    """The payload carries the network's envelope, and its module can read it item by
    item (an item it cannot read is skipped later, when the event is handled)."""
    missing = [key for key in ENVELOPES[source] if key not in payload]
    if missing:
        raise MalformedWebhook(f"not an event of this network (no {', '.join(missing)})")
    try:
        _receiver(source).webhook_items(payload)
    except SHAPE_ERRORS as error:  # WebhookMalformed included
        raise MalformedWebhook(f"not an event of this network ({type(error).__name__})") from None


def webhook_payload(*, source: str, body: bytes) -> dict:
    """The signed body as the JSON object the network sent; MalformedWebhook otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedWebhook("not UTF-8") from None
    try:
        payload = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise MalformedWebhook(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise MalformedWebhook("not JSON") from None
    if not isinstance(payload, dict):
        raise MalformedWebhook(f"a JSON {type(payload).__name__}, not an object")
    _check_values(payload)
    _check_readable(source, payload)
    return payload


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt
def receive(request, source: str):
    if source not in WEBHOOK_SOURCES:
        return HttpResponse(status=404)
    if request.method == "GET":
        return _answer(_receiver(source).webhook_handshake(request.GET.dict()))
    if request.method != "POST":
        return HttpResponse(status=405)
    if _declared_length(request) > MAX_BODY_BYTES:
        logger.warning("Refused a %s webhook of %d bytes", source, _declared_length(request))
        return HttpResponse("too large", status=413)
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        logger.warning("Refused a %s webhook of %d bytes", source, len(body))
        return HttpResponse("too large", status=413)
    headers = {key.lower(): value for key, value in request.headers.items()}
    if not _receiver(source).verify_webhook(body, headers):
        return HttpResponseForbidden("invalid signature")
    try:
        payload = webhook_payload(source=source, body=body)
    except MalformedWebhook as malformed:
        logger.warning(
            "Refused a signed %s webhook of %d bytes (sha256 %s): %s",
            source,
            len(body),
            hashlib.sha256(body).hexdigest()[:16],
            malformed.reason,
        )
        return HttpResponse("malformed event", status=400)
    webhook_event_store(network=source, payload=payload)
    return HttpResponse("ok")
