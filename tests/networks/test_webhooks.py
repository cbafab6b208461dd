"""Webhooks: refused without a valid signature, each event stored once with its raw payload."""

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from networks.models import WebhookEvent

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


def test_the_meta_app_secret_never_stands_in_for_the_verify_token(client, sandbox_secrets):
    """The app secret signs every webhook: it must never travel in a query string."""
    sandbox_secrets.CRIEUR_WHATSAPP_VERIFY_TOKEN = ""
    url = reverse("webhook", args=["whatsapp"])

    answer = client.get(
        url,
        {"hub.mode": "subscribe", "hub.verify_token": "sandbox-meta-secret", "hub.challenge": "7"},
    )

    assert answer.status_code == 403


def crc_answer(token: str) -> str:
    digest = hmac.new(b"sandbox-x-secret", token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "9b4507b3-9040-4669-9ca3-6b94edb50553",  # a UUID
        "x0mYd8hz2goCTfcNAaMqENy2BFgJJfJOb4PdvTffpwg=",  # base64
        "Yjc5NjVkOTMtMWI0Yi00MDZj_LWI1MGYtMTljMjRi-MDkyYjg0",  # URL-safe base64
    ],
)
def test_x_crc_check_answers_with_the_hmac_of_a_token_of_x_shape(client, sandbox_secrets, token):
    url = reverse("webhook", args=["x"])

    response = client.get(url, {"crc_token": token})
    # Even signed with that answer, the token is no event the door takes.
    posted = client.post(
        url,
        token.encode(),
        content_type="application/json",
        HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=response.json()["response_token"],
    )

    assert response.status_code == 200
    assert response.json() == {"response_token": crc_answer(token)}
    assert posted.status_code == 400
    assert not WebhookEvent.objects.exists()


# Every token that is a JSON document, so a body that could be POSTed, and other odd ones.
BODIES_AS_TOKENS = [
    json.dumps(PAYLOADS["x"]),
    '{"for_user_id":"2001","tweet_create_events":[]}',
    "{}",
    " {}",
    "[]",
    '"str"',
    "123",
    "-1",
    "1e5",
    "true",
    "null",
    "[" * 5000,
    "[" * 5000 + "]" * 5000,
    "a" * 101,
    "",
    "abc def",
    "jeton-é",
]


@pytest.mark.parametrize("token", BODIES_AS_TOKENS)
def test_no_x_crc_answer_can_sign_a_webhook_body(client, sandbox_secrets, token):
    url = reverse("webhook", args=["x"])

    answer = client.get(url, {"crc_token": token})
    signature = answer.json()["response_token"] if answer.status_code == 200 else ""
    posted = client.post(
        url,
        token.encode(),
        content_type="application/json",
        HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=signature,
    )

    assert answer.status_code == 400
    assert posted.status_code in (400, 403)
    assert not WebhookEvent.objects.exists()


def deep(levels: int) -> dict:
    payload: dict = {}
    for _ in range(levels):
        payload = {"a": payload}
    return payload


# Signed bodies that are no event: refused at every door.
ODD_BODIES = {
    "list": b"[]",
    "string": b'"str"',
    "number": b"123",
    "entry as text": b'{"entry": "x"}',
    "entry of numbers": b'{"entry": [1]}',
    "nested 5000 deep": b"[" * 5000 + b"]" * 5000,
    "nested 40 deep": json.dumps(deep(40)).encode(),
    "not UTF-8": b'{"entry": "\xff\xfe"}',
    "not JSON": b"{entry",
    "NaN": b'{"a": NaN}',
    "infinite number": b'{"a": 1e999}',
    "NUL character": b'{"a": "\\u0000"}',
    "lone surrogate": b'{"a": "\\ud800"}',
}
# Signed objects that one network's module cannot read (each with the network's envelope).
ODD_EVENTS = {
    "meta": [
        {"object": "page", "entry": [{"changes": "x"}]},
        {"object": "page", "entry": [{"changes": [{"field": "feed", "value": [1]}]}]},
        {
            "object": "page",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "feed",
                            "value": {"item": "comment", "message": ["x"], "created_time": 1},
                        }
                    ],
                }
            ],
        },
        {
            "object": "instagram",
            "entry": [{"id": "1", "time": 1e300, "changes": [{"field": "comments", "value": {}}]}],
        },
    ],
    "x": [
        {"tweet_create_events": "x"},
        {"tweet_create_events": [{"user": "x"}]},
        {"tweet_create_events": [{"id": 1, "timestamp_ms": "9" * 30}]},
        {"tweet_create_events": [{"id": 1, "text": {"a": 1}}]},
    ],
    "linkedin": [
        {"notifications": [1]},
        {"notifications": [{"action": "COMMENT", "decoratedGeneratedActivity": "x"}]},
        {"notifications": [{"action": "COMMENT", "decoratedGeneratedActivity": {"comment": 1}}]},
        {"notifications": [{"action": "SHARE_MENTION", "lastModifiedAt": "9" * 30}]},
    ],
    "whatsapp": [
        {"entry": [{"changes": [{"value": {"messages": [1]}}]}]},
        {"entry": [{"changes": [{"value": {"metadata": ["x"], "messages": []}}]}]},
        {"entry": [{"changes": [{"value": {"messages": [{"type": "text", "text": "x"}]}}]}]},
        {
            "entry": [
                {"changes": [{"value": {"messages": [{"type": "text", "text": {"body": [1]}}]}}]}
            ]
        },
        {
            "entry": [
                {
                    "changes": [
                        {"value": {"metadata": {"phone_number_id": {"a": 1}}, "messages": [{}]}}
                    ]
                }
            ]
        },
        {"entry": [{"changes": [{"value": {"statuses": [{"id": "m", "status": ["read"]}]}}]}]},
        {"entry": [{"changes": [{"value": {"statuses": [{"errors": "x"}]}}]}]},
    ],
}
ODD_CASES = [
    pytest.param(source, body, id=f"{source}-{name}")
    for source in SOURCES
    for name, body in ODD_BODIES.items()
] + [
    pytest.param(
        source, json.dumps(PAYLOADS[source] | payload).encode(), id=f"{source}-event-{index}"
    )
    for source, payloads in ODD_EVENTS.items()
    for index, payload in enumerate(payloads)
]


@pytest.mark.parametrize(("source", "body"), ODD_CASES)
def test_a_signed_body_that_is_no_event_is_refused_logged_and_not_stored(
    client, sandbox_secrets, caplog, source, body
):
    url = reverse("webhook", args=[source])

    with caplog.at_level("WARNING", logger="networks.webhooks"):
        answers = [
            client.post(url, body, content_type="application/json", **signed(source, body))
            for _ in range(2)
        ]

    assert [answer.status_code for answer in answers] == [400, 400]
    assert len([r for r in caplog.records if r.name == "networks.webhooks"]) == 2
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("source", SOURCES)
def test_a_body_over_a_megabyte_is_refused_before_it_is_read(client, sandbox_secrets, source):
    payload = PAYLOADS[source] | {"padding": "a" * 1024 * 1024}
    body = json.dumps(payload).encode()

    response = client.post(
        reverse("webhook", args=[source]),
        body,
        content_type="application/json",
        **signed(source, body),
    )

    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_a_whatsapp_message_and_its_receipt_still_pass_the_door(client, sandbox_secrets):
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "metadata": {"phone_number_id": "unknown"},
                            "contacts": [{"wa_id": "33611111111", "profile": {"name": "Jo"}}],
                            "messages": [
                                {
                                    "from": "33611111111",
                                    "id": "wamid.1",
                                    "timestamp": "1767225600",
                                    "type": "text",
                                    "text": {"body": "Bonjour"},
                                }
                            ],
                            "statuses": [
                                {"id": "wamid.2", "status": "read", "recipient_id": "33622222222"}
                            ],
                        },
                    }
                ]
            }
        ],
    }
    body = json.dumps(payload).encode()

    response = client.post(
        reverse("webhook", args=["whatsapp"]),
        body,
        content_type="application/json",
        **signed("whatsapp", body),
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().payload == payload


@pytest.mark.parametrize("source", SOURCES)
def test_an_event_sent_again_in_another_format_is_stored_once(client, sandbox_secrets, source):
    url = reverse("webhook", args=[source])
    compact = json.dumps(PAYLOADS[source], separators=(",", ":")).encode()
    indented = json.dumps(PAYLOADS[source], indent=4, sort_keys=True).encode()

    client.post(url, compact, content_type="application/json", **signed(source, compact))
    client.post(url, indented, content_type="application/json", **signed(source, indented))

    assert WebhookEvent.objects.get().payload == PAYLOADS[source]


def test_a_whatsapp_preference_of_an_odd_shape_passes_the_door_and_is_skipped(
    client, sandbox_secrets
):
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {"field": "user_preferences", "value": "stop"},
                    {"field": "user_preferences", "value": {"user_preferences": [1, None]}},
                    {
                        "field": "user_preferences",
                        "value": {
                            "metadata": ["4004"],
                            "user_preferences": [
                                {"wa_id": 33611111111, "category": "marketing_messages"},
                                {"wa_id": "33611111111", "value": {"stop": True}},
                            ],
                        },
                    },
                ]
            }
        ],
    }
    body = json.dumps(payload).encode()

    response = client.post(
        reverse("webhook", args=["whatsapp"]),
        body,
        content_type="application/json",
        **signed("whatsapp", body),
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().payload == payload
