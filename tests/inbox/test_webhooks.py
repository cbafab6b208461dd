"""Webhooks: refused without a valid signature, each event stored once with its raw payload."""

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from inbox.models import WebhookEvent

pytestmark = pytest.mark.django_db

SECRETS = {
    "x": "sandbox-x-secret",
    "meta": "sandbox-meta-secret",
    "linkedin": "sandbox-linkedin-secret",
}


def signed(source: str, body: bytes, secret: str | None = None) -> dict:
    key = (secret or SECRETS["meta" if source == "whatsapp" else source]).encode()
    # LinkedIn signs "hmacsha256=" followed by the body; the others sign the body.
    signed_bytes = b"hmacsha256=" + body if source == "linkedin" else body
    digest = hmac.new(key, signed_bytes, hashlib.sha256)
    if source == "x":
        return {
            "HTTP_X_TWITTER_WEBHOOKS_SIGNATURE": "sha256="
            + base64.b64encode(digest.digest()).decode()
        }
    if source == "linkedin":
        return {"HTTP_X_LI_SIGNATURE": digest.hexdigest()}
    return {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + digest.hexdigest()}


PAYLOADS = {
    "meta": {
        "object": "page",
        "entry": [
            {
                "id": "104001",
                "time": 1767225600,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "104001_1_2",
                            "post_id": "104001_1",
                            "message": "<b>Et le parking ?</b>",
                            "from": {"id": "9", "name": "Jeanne"},
                            "created_time": 1767225600,
                        },
                    }
                ],
            }
        ],
    },
    "x": {"for_user_id": "2001", "tweet_create_events": []},
    "linkedin": {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": []},
    "whatsapp": {"object": "whatsapp_business_account", "entry": []},
}


SOURCES = ["meta", "x", "linkedin", "whatsapp"]


@pytest.fixture
def sandbox_secrets(settings):
    settings.CRIEUR_SANDBOX_URL = "http://127.0.0.1:9"  # the sandbox app credentials
    return settings


@pytest.mark.parametrize("source", SOURCES)
def test_a_signed_webhook_is_stored_once_even_when_replayed(client, sandbox_secrets, source):
    body = json.dumps(PAYLOADS[source]).encode()
    url = reverse("webhook", args=[source])

    first = client.post(url, body, content_type="application/json", **signed(source, body))
    again = client.post(url, body, content_type="application/json", **signed(source, body))

    assert (first.status_code, again.status_code) == (200, 200)
    event = WebhookEvent.objects.get()
    assert event.network == source
    assert event.payload == PAYLOADS[source]


@pytest.mark.parametrize("source", SOURCES)
def test_a_webhook_with_a_wrong_or_no_signature_is_refused(client, sandbox_secrets, source):
    body = json.dumps(PAYLOADS[source]).encode()
    url = reverse("webhook", args=[source])

    forged = client.post(
        url, body, content_type="application/json", **signed(source, body, secret="guess")
    )
    unsigned = client.post(url, body, content_type="application/json")

    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert not WebhookEvent.objects.exists()


def test_meta_subscription_handshake_echoes_the_challenge_only_with_the_token(
    client, sandbox_secrets
):
    sandbox_secrets.CRIEUR_WHATSAPP_VERIFY_TOKEN = "verify-me"
    url = reverse("webhook", args=["meta"])

    good = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
    )
    bad = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"}
    )

    assert (good.status_code, good.content) == (200, b"42")
    assert bad.status_code == 403


def test_x_crc_check_answers_with_the_hmac_of_the_token(client, sandbox_secrets):
    response = client.get(reverse("webhook", args=["x"]), {"crc_token": "abc"})

    expected = base64.b64encode(
        hmac.new(b"sandbox-x-secret", b"abc", hashlib.sha256).digest()
    ).decode()
    assert response.json() == {"response_token": f"sha256={expected}"}
