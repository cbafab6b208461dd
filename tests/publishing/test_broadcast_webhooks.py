"""The WhatsApp list as French subscribers use it, through the signed webhook door:
leaving in their own words or in WhatsApp's settings, segments, re-delivered events."""

import hashlib
import hmac
import json

import pytest
import requests
from django.test import TestCase
from django.utils import timezone, translation

import networks
from cms.adaptation import outgoing
from cms.models import Theme
from networks.models import WebhookEvent
from publishing.broadcast import BroadcastSetup, Subscriber
from publishing.broadcast_services import segment_for
from tests.factories import SocialAccountFactory, TerritoryFactory, post_with_variant

pytestmark = pytest.mark.django_db

PHONE_ID = "4004"
SECRET = "sandbox-meta-secret"
ALICE, BOB, CHLOE = "+33611111111", "+33622222222", "+33633333333"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def setup():
    account = SocialAccountFactory(
        network="whatsapp",
        display_name="Bourg-sur-Lac Infos",
        remote_id=PHONE_ID,
        credentials={"access_token": "sandbox-whatsapp-token", "waba_id": "4005"},
    )
    return BroadcastSetup.objects.create(account=account, template_name="actualites")


def subscribe(account, phone, *, themes=(), territory=None):
    subscriber = Subscriber.objects.create(
        account=account,
        phone=phone,
        territory=territory,
        opted_in_at=timezone.now(),
        source=Subscriber.Source.KEYWORD,
    )
    subscriber.themes.set(themes)
    return subscriber


def sent_messages(sandbox):
    return sandbox.requests_to("whatsapp", method="POST", path="/messages")


@pytest.fixture(autouse=True)
def _webhooks_handled_at_once(celery_eager):
    """The door's after-commit task runs in the test (see `post_body`)."""


def post_body(client, body: bytes):
    """Post a signed event to the door, then run what it hands over after the commit."""
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(
            "/webhooks/whatsapp/",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=signature,
        )
    assert answer.status_code == 200
    return answer


def post_webhook(client, payload):
    return post_body(client, json.dumps(payload).encode())


def from_sandbox(sandbox, route, **data):
    answer = requests.post(
        f"{sandbox.url}/_sandbox/whatsapp/{route}",
        json={"phone_number_id": PHONE_ID, **data},
        timeout=5,
    )
    assert answer.status_code == 200
    return answer.json()["payload"]


def citizen_writes(sandbox, phone, text):
    return from_sandbox(sandbox, "incoming", **{"from": phone, "text": text})


def citizen_sets_marketing(sandbox, phone, value):
    return from_sandbox(sandbox, "preference", **{"from": phone, "value": value})


def is_subscribed(phone):
    return Subscriber.objects.get(phone=phone).is_active


# -- Leaving in WhatsApp's own settings ----------------------------------------------------


def test_stopping_marketing_messages_in_whatsapp_unsubscribes_and_sends_nothing(
    sandbox, client, setup
):
    subscribe(setup.account, ALICE)
    payload = citizen_sets_marketing(sandbox, "33611111111", "stop")

    post_webhook(client, payload)

    change = payload["entry"][0]["changes"][0]
    assert change["field"] == "user_preferences"
    assert change["value"]["user_preferences"][0]["category"] == "marketing_messages"
    assert not is_subscribed(ALICE)
    assert sent_messages(sandbox) == []


def test_resuming_marketing_messages_does_not_put_anyone_back_on_the_list(sandbox, client, setup):
    subscribe(setup.account, ALICE)
    post_webhook(client, citizen_sets_marketing(sandbox, "33611111111", "stop"))

    post_webhook(client, citizen_sets_marketing(sandbox, "33611111111", "resume"))

    assert not is_subscribed(ALICE)
    assert Subscriber.objects.count() == 1
    assert sent_messages(sandbox) == []


# -- Leaving in French -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop svp",
        "Stop, merci !",
        "ARRET",
        "Arrêt",
        "arrêter",
        "ARRÊTER",
        "désabonner",
        "DESABONNER",
        "se désinscrire",
        "Se desinscrire.",
        "je ne veux plus recevoir",
        "Je ne veux plus recevoir vos messages",
        "Je veux me désabonner de la liste, s'il vous plaît",
        "Désabonnez-moi",
        "Arrêtez de m'envoyer des messages",
        "Merci de ne plus m'envoyer de messages",
    ],
)
def test_a_french_way_of_leaving_unsubscribes_and_confirms(sandbox, client, setup, text):
    subscribe(setup.account, ALICE)

    post_webhook(client, citizen_writes(sandbox, "33611111111", text))

    assert not is_subscribed(ALICE)
    (confirmation,) = sent_messages(sandbox)
    assert confirmation.json["to"] == "33611111111"
    assert "unsubscribed" in confirmation.json["text"]["body"]


@pytest.mark.parametrize(
    "text",
    [
        "je ne veux pas arrêter de recevoir",
        "Je ne veux pas me désabonner, c'est très utile !",
        "Quand vont s'arrêter les travaux rue Haute ?",
        "Bonjour, la piscine est-elle ouverte ?",
    ],
)
def test_a_sentence_that_does_not_ask_to_leave_keeps_the_subscription(sandbox, client, setup, text):
    subscribe(setup.account, ALICE)

    post_webhook(client, citizen_writes(sandbox, "33611111111", text))

    assert is_subscribed(ALICE)
    assert sent_messages(sandbox) == []


@pytest.mark.parametrize("text", ["Stop aux travaux la nuit !", "Comment se désabonner ?"])
def test_an_ambiguous_message_gets_one_question_and_keeps_the_subscription(
    sandbox, client, setup, text
):
    subscribe(setup.account, ALICE)

    post_webhook(client, citizen_writes(sandbox, "33611111111", text))

    assert is_subscribed(ALICE)
    (question,) = sent_messages(sandbox)
    assert question.json["text"]["body"].startswith("Do you want to unsubscribe?")


@pytest.mark.parametrize("text", ["STOP", "désabonner", "Stop aux travaux la nuit !"])
def test_a_number_that_never_subscribed_gets_no_message(sandbox, client, setup, text):
    post_webhook(client, citizen_writes(sandbox, "33677777777", text))

    assert Subscriber.objects.count() == 0
    assert sent_messages(sandbox) == []


# -- Segments ----------------------------------------------------------------------------


def test_a_post_without_theme_goes_to_every_subscriber_of_its_territory(sandbox, setup):
    account = setup.account
    north, south = TerritoryFactory(), TerritoryFactory()
    works = Theme.objects.create(name="Travaux", slug="travaux")
    subscribe(account, ALICE)  # « tout », everywhere
    subscribe(account, BOB, themes=[works], territory=north)
    subscribe(account, CHLOE, themes=[works], territory=south)
    variant = post_with_variant(account)
    variant.post.territory = north
    variant.post.save()

    networks.get("whatsapp").publish(outgoing(variant), account=account, key="crieur-1")

    assert [r.json["to"] for r in sent_messages(sandbox)] == ["33611111111", "33622222222"]


def tagged(account, *themes):
    post = post_with_variant(account).post
    post.themes.add(*themes)
    post.save()
    return post


def test_a_post_with_themes_goes_to_who_chose_one_of_them_or_every_theme(setup):
    account = setup.account
    works, culture, sport = (
        Theme.objects.create(name=name, slug=name.lower())
        for name in ("Travaux", "Culture", "Sport")
    )
    everything = subscribe(account, "+33600000001")
    works_fan = subscribe(account, "+33600000002", themes=[works, sport])
    culture_fan = subscribe(account, "+33600000003", themes=[culture])
    both = tagged(account, works, culture)
    works_only = tagged(account, works)
    untagged = tagged(account)

    assert list(segment_for(account=account, post=both)) == [everything, works_fan, culture_fan]
    assert list(segment_for(account=account, post=works_only)) == [everything, works_fan]
    assert list(segment_for(account=account, post=untagged)) == [
        everything,
        works_fan,
        culture_fan,
    ]


# -- The same event, delivered again ------------------------------------------------------


def reformatted(payload) -> bytes:
    """The same event as another sender would write it: indented, keys sorted."""
    return json.dumps(payload, indent=2, sort_keys=True).encode()


def test_a_message_delivered_again_in_another_format_is_handled_once(sandbox, client, setup):
    subscribe(setup.account, ALICE)
    payload = citizen_writes(sandbox, "33611111111", "STOP")

    post_webhook(client, payload)
    post_body(client, reformatted(payload))

    assert len(sent_messages(sandbox)) == 1  # one confirmation
    assert WebhookEvent.objects.count() == 1  # and the raw event kept once


def test_a_message_delivered_again_with_another_one_is_handled_once(sandbox, client, setup):
    subscribe(setup.account, ALICE)
    stop = citizen_writes(sandbox, "33611111111", "STOP")
    batched = citizen_writes(sandbox, "33688888888", "INFOS")
    value = batched["entry"][0]["changes"][0]["value"]
    value["messages"] = stop["entry"][0]["changes"][0]["value"]["messages"] + value["messages"]

    post_webhook(client, stop)
    post_body(client, reformatted(batched))

    assert not is_subscribed(ALICE) and is_subscribed("+33688888888")
    # Alice's confirmation once, then the newcomer's welcome.
    assert [r.json["to"] for r in sent_messages(sandbox)] == ["33611111111", "33688888888"]
