"""Webhook doors: refuse what is not signed by the network, store each event once.

Meta (Pages, Instagram, WhatsApp), X and LinkedIn sign their webhooks with the app's
secret; the network module checks the signature. Subscription handshakes (Meta's
hub.challenge, X's CRC) are answered here too.
"""

import base64
import hashlib
import hmac
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from publishing import networks
from publishing.networks import config

from .models import WebhookEvent

# Webhook path → the network module that checks its signature.
VERIFIERS = {"x": "x", "meta": "facebook", "linkedin": "linkedin", "whatsapp": "whatsapp"}


def _handshake(request, source: str):
    if source in ("meta", "whatsapp") and request.GET.get("hub.mode") == "subscribe":
        expected = settings.CRIEUR_WHATSAPP_VERIFY_TOKEN or config.client("meta")[1]
        token = request.GET.get("hub.verify_token", "")
        if expected and hmac.compare_digest(token, expected):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("verify token mismatch")
    if source == "x" and "crc_token" in request.GET:
        digest = hmac.new(
            config.client("x")[1].encode(), request.GET["crc_token"].encode(), hashlib.sha256
        ).digest()
        return JsonResponse({"response_token": "sha256=" + base64.b64encode(digest).decode()})
    return HttpResponse(status=400)


def store_event(*, source: str, body: bytes) -> tuple[WebhookEvent | None, bool]:
    """Keep the raw event once; return (event, created)."""
    payload = json.loads(body)
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(network=source, digest=digest, payload=payload), True
    except IntegrityError:
        return WebhookEvent.objects.filter(network=source, digest=digest).first(), False


@csrf_exempt
def receive(request, source: str):
    if source not in VERIFIERS:
        return HttpResponse(status=404)
    if request.method == "GET":
        return _handshake(request, source)
    if request.method != "POST":
        return HttpResponse(status=405)
    body = request.body
    headers = {key.lower(): value for key, value in request.headers.items()}
    network = networks.get(VERIFIERS[source])
    if not network.verify_webhook(body, headers):
        return HttpResponseForbidden("invalid signature")
    try:
        event, created = store_event(source=source, body=body)
    except ValueError:
        return HttpResponse("not JSON", status=400)
    if created and source == "whatsapp":
        from publishing.broadcast_services import whatsapp_webhook_handle

        whatsapp_webhook_handle(payload=event.payload)
    return HttpResponse("ok")
