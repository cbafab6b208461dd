"""Webhook doors: refuse what is not signed by the network, store each event once.

Meta (Pages, Instagram, WhatsApp), X and LinkedIn sign their webhooks with the app's
secret; the network module checks the signature. Subscription handshakes (Meta's
hub.challenge, X's CRC) are answered here too. A signed body that is not an event the
network module can read (not a JSON object, too deep, too large, odd types) is refused
with a 400 and one log line, and is not stored.
"""

import base64
import hashlib
import hmac
import json
import logging
import math
import re
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt

import networks
from networks import config
from networks.base import Inbound

from .models import WebhookEvent, WebhookItem

logger = logging.getLogger(__name__)

# Webhook path → the network module that checks its signature.
VERIFIERS = {"x": "x", "meta": "facebook", "linkedin": "linkedin", "whatsapp": "whatsapp"}

# Networks send events of a few kilobytes; a larger body is refused before it is read.
MAX_BODY_BYTES = 1024 * 1024
# Meta's deepest events are about eight levels deep.
MAX_DEPTH = 32
# X's CRC tokens are short opaque strings (base64 or a UUID). X signs its webhook bodies
# with the same key as the CRC answer, so the CRC must never answer for a token that
# could be a body: no braces, brackets, quotes or spaces, and not a bare JSON value.
CRC_TOKEN = re.compile(r"[A-Za-z0-9_+/=-]{1,100}")
# The keys every event of a network carries (Meta's "object"/"entry", X's Account Activity
# "for_user_id", LinkedIn's notification "type").
ENVELOPES = {
    "meta": ("object", "entry"),
    "whatsapp": ("object", "entry"),
    "x": ("for_user_id",),
    "linkedin": ("type",),
}
# Exceptions a network's parser raises on a payload of the wrong shape ("x".get, [1]["id"],
# a timestamp out of range): the door turns them into a 400, never a 500.
SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError, OverflowError)
ITEM_KEY_MAX = WebhookItem._meta.get_field("key").max_length or 255


class MalformedWebhook(Exception):
    """A signed body that is not an event the network's module can read."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def crc_token_acceptable(token: str) -> bool:
    """Whether a CRC token has X's shape; its signature can then never sign a body."""
    if not CRC_TOKEN.fullmatch(token):
        return False
    try:
        json.loads(token)  # digits, true, false, null: valid JSON documents
    except ValueError:
        return True
    return False


def _handshake(request, source: str):
    if source in ("meta", "whatsapp") and request.GET.get("hub.mode") == "subscribe":
        expected = settings.CRIEUR_WHATSAPP_VERIFY_TOKEN
        token = request.GET.get("hub.verify_token", "")
        if expected and hmac.compare_digest(token, expected):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("verify token mismatch")
    if source == "x" and "crc_token" in request.GET:
        token = request.GET["crc_token"]
        if not crc_token_acceptable(token):
            logger.warning("Refused an X CRC check with a token of %d characters", len(token))
            return HttpResponse("not a CRC token", status=400)
        digest = hmac.new(config.client("x")[1].encode(), token.encode(), hashlib.sha256).digest()
        return JsonResponse({"response_token": "sha256=" + base64.b64encode(digest).decode()})
    return HttpResponse(status=400)


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
    """The network's module reads the payload into the types it promises."""
    missing = [key for key in ENVELOPES[source] if key not in payload]
    if missing:
        raise MalformedWebhook(f"not an event of this network (no {', '.join(missing)})")
    network = networks.get(VERIFIERS[source])
    try:
        found = network.parse_webhook(payload)
        receipts = network.parse_statuses(payload) if source == "whatsapp" else []
    except SHAPE_ERRORS as error:
        raise MalformedWebhook(f"not an event of this network ({type(error).__name__})") from None
    for inbound in found:
        if not _inbound_typed(inbound):
            raise MalformedWebhook("an event field has the wrong type")
    for receipt in receipts:
        if not all(isinstance(value, str) for value in receipt.values()):
            raise MalformedWebhook("a receipt field has the wrong type")


def _inbound_typed(inbound: Inbound) -> bool:
    texts = (
        inbound.remote_id,
        inbound.kind,
        inbound.text,
        inbound.author_id,
        inbound.author_name,
        inbound.in_reply_to,
        inbound.raw.get("phone_number_id", ""),
    )
    return (
        all(isinstance(text, str) for text in texts)
        and isinstance(inbound.raw, dict)
        and isinstance(inbound.created_at, datetime)
    )


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


def payload_digest(payload: dict) -> str:
    """The event's fingerprint, whatever the formatting of the body that carried it
    (spaces, key order): the same event re-sent is stored once."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def item_key(*identity: str) -> str:
    """The key of a handled item from the network's own identifiers ("message", id)."""
    key = ":".join(str(part) for part in identity)
    if len(key) > ITEM_KEY_MAX:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def webhook_item_claim(*, source: str, event: WebhookEvent | None, identity: tuple) -> bool:
    """Whether an item is seen for the first time; it is then recorded as handled.

    Call it inside the transaction that handles the item: when the handling fails, the
    claim is rolled back with it and a re-delivery handles the item again. A second
    delivery arriving while the first is being handled waits for it, then is refused.
    """
    try:
        with transaction.atomic():
            WebhookItem.objects.create(network=source, key=item_key(*identity), event=event)
    except IntegrityError:
        return False
    return True


def store_event(*, source: str, body: bytes, payload: dict) -> tuple[WebhookEvent | None, bool]:
    """Keep the raw event once; return (event, created)."""
    digest = payload_digest(payload)
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(network=source, digest=digest, payload=payload), True
    except IntegrityError:
        return WebhookEvent.objects.filter(network=source, digest=digest).first(), False


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt
def receive(request, source: str):
    if source not in VERIFIERS:
        return HttpResponse(status=404)
    if request.method == "GET":
        return _handshake(request, source)
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
    network = networks.get(VERIFIERS[source])
    if not network.verify_webhook(body, headers):
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
    event, _created = store_event(source=source, body=body, payload=payload)
    if source == "whatsapp":
        # Each message, receipt and preference is handled once, known by its own id:
        # a re-delivery (whatever its body) only handles what was not handled yet.
        from publishing.broadcast_services import whatsapp_webhook_handle

        whatsapp_webhook_handle(
            payload=payload,
            once=lambda *identity: webhook_item_claim(
                source=source, event=event, identity=identity
            ),
        )
    return HttpResponse("ok")
