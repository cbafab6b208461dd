"""The webhook door: refused without a valid signature, each event stored once with its
raw payload, then handled after the commit: each item handed on once to the apps above."""

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

import networks
from networks.base import Inbound, WebhookReceiver
from networks.models import WebhookEvent, WebhookItem
from networks.receiving import webhook_event_handle
from networks.signals import webhook_item_received
from networks.webhook_items import ItemReader

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
# Signed objects whose envelope one network's module cannot read (each with the network's
# envelope keys): refused. An item it cannot read is skipped instead (see below).
ODD_EVENTS = {
    "meta": [
        {"object": "page", "entry": "x"},
        {"object": "page", "entry": [1]},
        {"object": "page", "entry": [{"changes": "x"}]},
    ],
    "x": [
        {"tweet_create_events": "x"},
        {"tweet_create_events": {"id": 1}},
        {"for_user_id": {"a": 1}},
    ],
    "linkedin": [
        {"notifications": "x"},
        {"notifications": {"action": "COMMENT"}},
    ],
    "whatsapp": [
        {"entry": ["x"]},
        {"entry": [{"changes": "x"}]},
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


# -- Each event's items, handed on after the commit ------------------------------------------


@pytest.fixture
def received(webhook_items_received):
    return webhook_items_received


def post(client, source, payload):
    body = json.dumps(payload).encode()
    url = reverse("webhook", args=[source])
    return client.post(url, body, content_type="application/json", **signed(source, body))


WHATSAPP_MESSAGE = {
    "from": "33611111111",
    "id": "wamid.1",
    "timestamp": "1767225600",
    "type": "text",
    "text": {"body": "Bonjour, la piscine est-elle ouverte ?"},
}


def whatsapp_event(*changes) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"changes": list(changes)}]}


def whatsapp_change(*messages, metadata=None) -> dict:
    return {
        "field": "messages",
        "value": {
            "metadata": {"phone_number_id": "4004"} if metadata is None else metadata,
            "contacts": [{"wa_id": "33611111111", "profile": {"name": "Jo"}}],
            "messages": list(messages),
        },
    }


@pytest.mark.parametrize("name", ["x", "facebook", "instagram", "linkedin", "whatsapp"])
def test_every_network_that_sends_webhooks_is_a_webhook_receiver(name):
    assert isinstance(networks.get(name), WebhookReceiver)


def test_an_event_is_stored_by_the_door_and_handled_only_after_the_commit(
    client, sandbox_secrets, received, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as after_commit:
        response = post(client, "whatsapp", whatsapp_event(whatsapp_change(WHATSAPP_MESSAGE)))

    event = WebhookEvent.objects.get()
    assert response.status_code == 200
    assert (len(after_commit), received) == (1, [])  # nothing handled in the request
    after_commit[0]()

    ((item, event_id),) = received
    assert event_id == event.pk
    assert (item.network, item.account_remote_id, item.kind, item.identity) == (
        "whatsapp",
        "4004",
        "message",
        ("message", "wamid.1"),
    )
    assert isinstance(item.content, Inbound)
    assert (item.content.author_id, item.content.author_name, item.content.text) == (
        "+33611111111",
        "Jo",
        "Bonjour, la piscine est-elle ouverte ?",
    )
    assert WebhookItem.objects.get().event == event


def test_a_replayed_event_changes_nothing(
    client, sandbox_secrets, received, celery_eager, django_capture_on_commit_callbacks
):
    payload = whatsapp_event(whatsapp_change(WHATSAPP_MESSAGE))

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert post(client, "whatsapp", payload).status_code == 200

    assert len(received) == 1
    assert (WebhookEvent.objects.count(), WebhookItem.objects.count()) == (1, 1)


def test_the_same_item_in_another_event_is_handed_on_once(
    client, sandbox_secrets, received, celery_eager, django_capture_on_commit_callbacks
):
    other = {**WHATSAPP_MESSAGE, "id": "wamid.2", "text": {"body": "Merci"}}

    with django_capture_on_commit_callbacks(execute=True):
        post(client, "whatsapp", whatsapp_event(whatsapp_change(WHATSAPP_MESSAGE)))
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "whatsapp", whatsapp_event(whatsapp_change(WHATSAPP_MESSAGE, other)))

    assert WebhookEvent.objects.count() == 2
    assert [item.identity for item, _event in received] == [
        ("message", "wamid.1"),
        ("message", "wamid.2"),
    ]


# One readable item of each network, and items of the same network it cannot read.
GOOD_ITEMS = {
    "meta": {
        "id": "104001",
        "time": 1767225600,
        "changes": PAYLOADS["meta"]["entry"][0]["changes"],
    },
    "x": {
        "id_str": "3001",
        "text": "@BourgSurLac le pont est fermé ?",
        "user": {"id_str": "9", "name": "Jeanne"},
        "timestamp_ms": "1767225600000",
    },
    "linkedin": {
        "action": "COMMENT",
        "organizationalEntity": "urn:li:organization:5",
        "decoratedGeneratedActivity": {
            "comment": {
                "entity": "urn:li:comment:(urn:li:activity:1,2)",
                "text": "Merci pour l'information",
                "owner": "urn:li:person:7",
            }
        },
        "lastModifiedAt": 1767225600000,
    },
    "whatsapp": whatsapp_change(WHATSAPP_MESSAGE),
}
BAD_ITEMS = {
    "meta": [
        {"changes": [{"field": "feed", "value": [1]}]},
        {
            "id": "1",
            "changes": [
                {"field": "feed", "value": {"item": "comment", "message": ["x"], "created_time": 1}}
            ],
        },
        {
            "id": "1",
            "changes": [
                {
                    "field": "feed",
                    "value": {
                        "item": "comment",
                        "comment_id": "1_2",
                        "post_id": "1_1",
                        "created_time": "9" * 30,  # out of any calendar
                    },
                }
            ],
        },
        {"id": "1", "changes": [{"field": "feed", "value": {"item": "comment", "message": "x"}}]},
    ],
    "x": [
        {"user": "x"},
        {"id": 1, "timestamp_ms": "9" * 30},
        {"id": 1, "text": {"a": 1}},
        {"text": "no id"},
    ],
    "linkedin": [
        1,
        {"action": "COMMENT", "decoratedGeneratedActivity": "x"},
        {"action": "COMMENT", "decoratedGeneratedActivity": {"comment": 1}},
        {"action": "SHARE_MENTION", "lastModifiedAt": "9" * 30},
    ],
    "whatsapp": [
        whatsapp_change(1),
        whatsapp_change(metadata=["x"]),
        whatsapp_change({"type": "text", "text": "x"}),
        whatsapp_change({**WHATSAPP_MESSAGE, "id": "wamid.9", "text": {"body": [1]}}),
        whatsapp_change({**WHATSAPP_MESSAGE, "id": "wamid.9"}, metadata={"phone_number_id": {}}),
        whatsapp_change({**WHATSAPP_MESSAGE, "id": ""}),
        {"value": {"statuses": [{"id": "m", "status": ["read"]}]}},
        {"value": {"statuses": [{"errors": "x"}]}},
    ],
}


def with_items(source: str, *items) -> dict:
    if source == "meta":
        return {"object": "page", "entry": list(items)}
    if source == "x":
        return {"for_user_id": "2001", "tweet_create_events": list(items)}
    if source == "linkedin":
        return {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": list(items)}
    return whatsapp_event(*items)


MALFORMED_ITEMS = [
    pytest.param(source, bad, id=f"{source}-{index}")
    for source, items in BAD_ITEMS.items()
    for index, bad in enumerate(items)
]


@pytest.mark.parametrize(("source", "bad"), MALFORMED_ITEMS)
def test_an_item_that_cannot_be_read_is_skipped_and_the_others_are_handed_on(
    client,
    sandbox_secrets,
    received,
    caplog,
    celery_eager,
    django_capture_on_commit_callbacks,
    source,
    bad,
):
    payload = with_items(source, bad, GOOD_ITEMS[source])

    with (
        caplog.at_level("WARNING", logger="networks.receiving"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(client, source, payload)

    assert response.status_code == 200
    assert WebhookEvent.objects.get().payload == payload
    ((item, _event),) = received
    assert isinstance(item.content, Inbound) and item.content.remote_id
    skipped = [r.getMessage() for r in caplog.records if r.name == "networks.receiving"]
    assert len(skipped) == 1 and "skipped" in skipped[0]


def test_what_is_logged_of_a_skipped_item_is_its_keys_never_what_people_wrote():
    reader = ItemReader()
    secret = {"from": "33611111111", "text": {"body": ["Mon adresse : 3 rue Haute"]}}

    reader.read("message", secret, lambda: [][0])

    assert reader.result().items == ()
    (skipped,) = reader.result().skipped
    assert "from" in skipped and "text" in skipped
    assert "rue Haute" not in skipped and "33611111111" not in skipped


def test_an_item_whose_handling_fails_is_rolled_back_alone_and_handled_again(
    client, sandbox_secrets
):
    other = {**WHATSAPP_MESSAGE, "id": "wamid.2"}
    post(client, "whatsapp", whatsapp_event(whatsapp_change(WHATSAPP_MESSAGE, other)))
    event = WebhookEvent.objects.get()
    failing, handled = {"wamid.1"}, []

    def fragile(sender, item, event_id, **kwargs):
        if item.content.remote_id in failing:
            raise RuntimeError("the database went away")
        handled.append(item.content.remote_id)

    webhook_item_received.connect(fragile, dispatch_uid="test-fragile")
    try:
        first = webhook_event_handle(event_id=event.pk)
        failing.clear()
        again = webhook_event_handle(event_id=event.pk)
    finally:
        webhook_item_received.disconnect(dispatch_uid="test-fragile")

    assert (first.handed_on, first.failed) == (1, 1)
    assert (again.handed_on, again.already, again.failed) == (1, 1, 0)
    assert handled == ["wamid.2", "wamid.1"]
    assert WebhookItem.objects.count() == 2


def test_a_verify_token_out_of_ascii_is_refused_not_an_error(client, sandbox_secrets):
    sandbox_secrets.CRIEUR_WHATSAPP_VERIFY_TOKEN = "verify-me"

    answer = client.get(
        reverse("webhook", args=["whatsapp"]),
        {"hub.mode": "subscribe", "hub.verify_token": "jeton-é", "hub.challenge": "7"},
    )

    assert answer.status_code == 403
