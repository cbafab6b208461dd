"""WhatsApp through pywa against the sandbox: the broadcast list, the Channel assisted,
subscribing by keyword, STOP, receipts, faults and signed webhooks."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
import requests
from django.test import TestCase
from django.utils import timezone, translation

import networks
from cms.adaptation import outgoing, variant_problems
from cms.models import Post, Theme, Variant
from networks.base import (
    AuthExpired,
    Broadcast,
    Inbound,
    Outgoing,
    RateLimited,
    Recipient,
    Rejected,
    RemoteRef,
    Transient,
    Unconfirmed,
)
from networks.sandbox.whatsapp import phone_number_register
from networks.signals import broadcast_list_register
from publishing.broadcast import BroadcastSetup, Delivery, Subscriber
from publishing.broadcast_services import (
    BROADCAST_LIST,
    ListCommand,
    delivery_sent_record,
    segment_for,
    subscriber_opt_in,
    subscriber_opt_out,
    whatsapp_list_command,
)
from publishing.models import Publication
from publishing.scheduler import publication_send
from tests.factories import SocialAccountFactory, TerritoryFactory, post_with_variant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read the messages in English; the French catalogue is tested apart."""
    with translation.override("en"):
        yield


PHONE_ID = "4004"
TOKEN = "sandbox-whatsapp-token"
SECRET = "sandbox-meta-secret"
ALICE, BOB, CHLOE = "+33611111111", "+33622222222", "+33633333333"


@pytest.fixture
def network():
    return networks.get("whatsapp")


@pytest.fixture
def account():
    return SocialAccountFactory(
        network="whatsapp",
        display_name="Bourg-sur-Lac Infos",
        remote_id=PHONE_ID,
        credentials={"access_token": TOKEN, "waba_id": "4005"},
    )


@pytest.fixture
def setup(account):
    return BroadcastSetup.objects.create(account=account, template_name="actualites")


def subscribe(account, phone, *, themes=(), territory=None, opted_out=False):
    subscriber = Subscriber.objects.create(
        account=account,
        phone=phone,
        territory=territory,
        opted_in_at=timezone.now(),
        opted_out_at=timezone.now() if opted_out else None,
        source=Subscriber.Source.KEYWORD,
    )
    subscriber.themes.set(themes)
    return subscriber


def theme(name):
    return Theme.objects.create(name=name, slug=name.lower())


def tag(variant, *, themes=(), territory=None):
    post = variant.post
    for item in themes:
        post.themes.add(item)
    post.territory = territory
    post.save()
    return variant


def sent_messages(sandbox):
    return sandbox.requests_to("whatsapp", method="POST", path="/messages")


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture(autouse=True)
def _webhooks_handled_at_once(celery_eager):
    """The door's after-commit task runs in the test (see `post_webhook`)."""


def post_webhook(client, payload):
    """Post a signed event to the door, then run what it hands over after the commit."""
    body = json.dumps(payload).encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            "/webhooks/whatsapp/",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=signed(body),
        )


def send(network, variant, **kwargs):
    """What the scheduler sends: the version as plain data, for its account."""
    return network.publish(outgoing(variant), account=variant.account, **kwargs)


def citizen_writes(sandbox, phone, text):
    """A citizen texts the number: the sandbox builds and records the signed webhook."""
    answer = requests.post(
        f"{sandbox.url}/_sandbox/whatsapp/incoming",
        json={"phone_number_id": PHONE_ID, "from": phone, "text": text},
        timeout=5,
    )
    assert answer.status_code == 200
    return answer.json()["payload"]


# -- The broadcast list ------------------------------------------------------------------


def test_a_post_goes_to_each_subscriber_as_the_approved_template(sandbox, network, setup):
    account = setup.account
    alice, bob = subscribe(account, ALICE), subscribe(account, BOB)
    variant = post_with_variant(
        account, variant_text="Collecte des sapins du 2 au 20 janvier.", images=1
    )

    ref = send(network, variant, key="crieur-1")

    received = sent_messages(sandbox)
    assert [r.path for r in received] == [f"/graph/v24.0/{PHONE_ID}/messages"] * 2
    assert received[0].headers["authorization"] == f"Bearer {TOKEN}"
    image_url = outgoing(variant).images[0].url
    assert received[0].json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "33611111111",
        "type": "template",
        "biz_opaque_callback_data": "crieur-1",
        "template": {
            "name": "actualites",
            "language": {"code": "fr"},
            "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"link": image_url}}]},
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Collecte des sapins du 2 au 20 janvier."}
                    ],
                },
            ],
        },
    }
    assert received[1].json["to"] == "33622222222"
    ids = [r.response["messages"][0]["id"] for r in received]
    assert ref == RemoteRef(
        network="whatsapp",
        id=ids[0],
        parts=(ids[1],),
        data={"mode": "broadcast", "recipients": 2, "failed": 0, "template": "actualites"},
    )
    deliveries = Delivery.objects.order_by("pk")
    assert [(d.message_id, d.subscriber, d.post_id, d.status) for d in deliveries] == [
        (ids[0], alice, variant.post_id, "sent"),
        (ids[1], bob, variant.post_id, "sent"),
    ]


class PlainList:
    """A broadcast list of plain data: what the WhatsApp module needs of any list."""

    def __init__(self, broadcast):
        self.plan = broadcast
        self.outcomes = []

    def broadcast(self, *, account, post_id, done_parts):
        return self.plan

    def message_sent(self, *, account, post_id, recipient, message_id):
        self.outcomes.append(("sent", recipient.ref, post_id))

    def message_refused(self, *, account, post_id, recipient, reason):
        self.outcomes.append(("refused", recipient.ref, post_id))

    def message_statuses(self, *, account, message_ids):
        return []


@pytest.fixture
def plain_list():
    """Stands in for publishing's list for one test, then gives it back."""
    lists = []

    def install(broadcast):
        lists.append(PlainList(broadcast))
        broadcast_list_register(lists[-1])
        return lists[-1]

    yield install
    broadcast_list_register(BROADCAST_LIST)


def test_the_module_sends_to_whom_the_list_says_and_reports_each_message(
    sandbox, network, account, plain_list
):
    plan = plain_list(
        Broadcast(
            mode="broadcast",
            recipients=(
                Recipient(phone=ALICE, ref="a"),
                Recipient(phone=BOB, ref="b", reached=True),
                Recipient(phone=CHLOE, ref="c"),
            ),
            template_name="actualites",
            template_language="fr",
        )
    )
    out = Outgoing(network="whatsapp", text="Marché de Noël samedi.", post_id=41)

    ref = network.publish(out, account=account, key="crieur-9")

    assert [r.json["to"] for r in sent_messages(sandbox)] == ["33611111111", "33633333333"]
    assert plan.outcomes == [("sent", "a", 41), ("sent", "c", 41)]
    assert ref.data["recipients"] == 2
    assert not Delivery.objects.exists()  # the list keeps the record, not the module


def test_a_post_without_image_has_no_header_and_its_lines_are_joined(sandbox, network, setup):
    subscribe(setup.account, ALICE)
    variant = post_with_variant(setup.account, variant_text="Travaux rue Haute.\n\nDéviation.")

    send(network, variant, key="crieur-1")

    (message,) = sent_messages(sandbox)
    # WhatsApp refuses a template variable holding a line break (error 132018).
    assert message.json["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Travaux rue Haute. Déviation."}]}
    ]


def test_the_segment_follows_themes_and_territory_and_leaves_out_who_opted_out(setup):
    account = setup.account
    culture, works = theme("Culture"), theme("Travaux")
    north, south = TerritoryFactory(), TerritoryFactory()
    everything = subscribe(account, "+33600000001")
    culture_fan = subscribe(account, "+33600000002", themes=[culture])
    works_north = subscribe(account, "+33600000003", themes=[works], territory=north)
    works_south = subscribe(account, "+33600000004", themes=[works], territory=south)
    subscribe(account, "+33600000005", opted_out=True)
    subscribe(SocialAccountFactory(network="whatsapp"), "+33600000006")
    works_post = tag(post_with_variant(account), themes=[works], territory=north).post
    culture_post = tag(post_with_variant(account), themes=[culture, works]).post
    untagged = post_with_variant(account).post

    assert list(segment_for(account=account, post=works_post)) == [everything, works_north]
    assert list(segment_for(account=account, post=culture_post)) == [
        everything,
        culture_fan,
        works_north,
        works_south,
    ]
    # A post without themes is general information: every subscriber gets it.
    assert list(segment_for(account=account, post=untagged)) == [
        everything,
        culture_fan,
        works_north,
        works_south,
    ]


def test_only_the_segment_is_messaged(sandbox, network, setup):
    account = setup.account
    works = theme("Travaux")
    subscribe(account, ALICE, themes=[works])
    subscribe(account, BOB, themes=[theme("Culture")])
    subscribe(account, CHLOE, themes=[works], opted_out=True)
    variant = tag(post_with_variant(account), themes=[works])

    send(network, variant, key="crieur-1")

    assert [r.json["to"] for r in sent_messages(sandbox)] == ["33611111111"]


def test_a_text_too_long_for_the_template_is_a_problem_before_approval(setup):
    variant = post_with_variant(setup.account, variant_text="Concertation. " * 80)

    problems = variant_problems(variant)

    assert [problem.code for problem in problems] == ["too_long"]
    assert "1119 characters out of 1024" in problems[0].message


def test_the_channel_mode_allows_the_longer_free_message(channel):
    variant = post_with_variant(channel.account, variant_text="Concertation. " * 80)

    assert variant_problems(variant) == []


def test_an_empty_segment_is_rejected_and_nothing_is_sent(sandbox, network, setup):
    subscribe(setup.account, ALICE, themes=[theme("Culture")])
    variant = tag(post_with_variant(setup.account), themes=[theme("Travaux")])

    with pytest.raises(Rejected, match="Nobody has subscribed"):
        send(network, variant, key="crieur-1")
    assert sent_messages(sandbox) == []


def test_a_resumed_broadcast_never_messages_anyone_twice(sandbox, network, setup):
    for phone in (ALICE, BOB, CHLOE):
        subscribe(setup.account, phone)
    variant = post_with_variant(setup.account)
    recorded = []

    def on_part(message_id):
        recorded.append(message_id)
        if len(recorded) == 1:  # the throughput limit is hit after Alice's message
            sandbox.inject("whatsapp", "rate_limited", path="/messages")

    with pytest.raises(RateLimited):
        send(network, variant, key="crieur-1", on_part=on_part)
    assert len(recorded) == 1

    ref = send(network, variant, key="crieur-1", done_parts=list(recorded), on_part=on_part)

    assert [r.json["to"] for r in sent_messages(sandbox)] == [
        "33611111111",
        "33622222222",
        "33633333333",
    ]
    assert ref.id == recorded[0] and list(ref.parts) == recorded[1:]
    assert ref.data["recipients"] == 3


def test_a_retry_that_lost_the_recorded_ids_finds_them_in_the_deliveries(sandbox, network, setup):
    subscribe(setup.account, ALICE)
    subscribe(setup.account, BOB)
    variant = post_with_variant(setup.account)
    first = send(network, variant, key="crieur-1")

    again = send(network, variant, key="crieur-1", done_parts=())

    assert len(sent_messages(sandbox)) == 2
    assert (again.id, again.parts) == (first.id, first.parts)


def test_a_recipient_whatsapp_cannot_reach_is_recorded_and_the_rest_goes_on(
    sandbox, network, setup
):
    subscribe(setup.account, ALICE)
    subscribe(setup.account, BOB)
    variant = post_with_variant(setup.account)
    sandbox.inject("whatsapp", "whatsapp_outside_window", path="/messages", times=1)

    ref = send(network, variant, key="crieur-1")

    assert ref.data["recipients"] == 1 and ref.data["failed"] == 1
    failed = Delivery.objects.get(status="failed")
    assert (failed.recipient, failed.message_id) == (ALICE, "")
    assert "24 hours" in failed.error


def test_an_unknown_template_is_rejected_with_what_to_check(sandbox, network, setup):
    setup.template_name = "inconnu"
    setup.save()
    subscribe(setup.account, ALICE)

    with pytest.raises(Rejected, match="template"):
        send(network, post_with_variant(setup.account), key="crieur-1")
    assert sent_messages(sandbox)[0].json["template"]["name"] == "inconnu"


def test_without_a_template_the_broadcast_is_rejected_before_any_call(sandbox, network, account):
    subscribe(account, ALICE)

    with pytest.raises(Rejected, match="template"):
        send(network, post_with_variant(account), key="crieur-1")
    assert sandbox.requests_to("whatsapp") == []


# -- The Channel, assisted ---------------------------------------------------------------


@pytest.fixture
def channel(account):
    return BroadcastSetup.objects.create(
        account=account,
        mode=BroadcastSetup.Mode.CHANNEL,
        channel_admins="+33 6 44 44 44 44\n\n0655555555\n",
    )


def test_the_channel_post_goes_to_its_administrators_and_waits(sandbox, network, channel):
    subscribe(channel.account, ALICE)  # subscribers of the list are not messaged
    variant = post_with_variant(channel.account, variant_text="Fête de la musique.", images=1)

    ref = send(network, variant, key="crieur-1")

    received = sent_messages(sandbox)
    image_url = outgoing(variant).images[0].url
    assert [r.json for r in received] == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "image",
            "image": {"link": image_url, "caption": "Fête de la musique."},
            "biz_opaque_callback_data": "crieur-1",
        }
        for to in ("33644444444", "33655555555")
    ]
    assert ref.id == ""
    assert ref.data == {
        "mode": "channel",
        "awaiting_confirmation": True,
        "sent_to": ["+33644444444", "+33655555555"],
        "failed": [],
    }
    assert Delivery.objects.filter(subscriber=None, post=variant.post).count() == 2


def test_a_text_only_channel_post_is_a_text_message(sandbox, network, channel):
    variant = post_with_variant(channel.account, variant_text="Marché annulé.")

    send(network, variant, key="crieur-1")

    assert sent_messages(sandbox)[0].json["text"] == {
        "body": "Marché annulé.",
        "preview_url": False,
    }
    assert sent_messages(sandbox)[0].json["type"] == "text"


def test_a_retried_channel_post_skips_the_administrators_who_have_it(sandbox, network, channel):
    variant = post_with_variant(channel.account, variant_text="Marché annulé.")
    send(network, variant, key="crieur-1")

    ref = send(network, variant, key="crieur-1")

    assert len(sent_messages(sandbox)) == 2
    assert ref.data["sent_to"] == ["+33644444444", "+33655555555"]


def test_administrators_out_of_the_24_hour_window_reject_the_channel_post(
    sandbox, network, channel
):
    sandbox.inject("whatsapp", "whatsapp_outside_window", path="/messages", times=2)

    with pytest.raises(Rejected, match="24 hours"):
        send(network, post_with_variant(channel.account), key="crieur-1")


# -- Subscribing, unsubscribing, receipts -------------------------------------------------


def test_a_citizen_texting_the_keyword_subscribes_and_is_welcomed(sandbox, client, setup):
    payload = citizen_writes(sandbox, "33677777777", " infos ")

    answer = post_webhook(client, payload)

    assert answer.status_code == 200
    subscriber = Subscriber.objects.get()
    assert (subscriber.phone, subscriber.source, subscriber.is_active) == (
        "+33677777777",
        "keyword",
        True,
    )
    (welcome,) = sent_messages(sandbox)
    assert welcome.json["to"] == "33677777777"
    assert welcome.json["type"] == "text"
    assert "Bourg-sur-Lac Infos" in welcome.json["text"]["body"]
    assert Delivery.objects.get().message_id == welcome.response["messages"][0]["id"]


def test_the_welcome_message_is_the_one_set_up(sandbox, setup):
    setup.welcome_message = "Bienvenue sur la liste de Bourg-sur-Lac !"
    setup.save()

    subscriber_opt_in(account=setup.account, phone="06 77 77 77 77", source="keyword")

    assert sent_messages(sandbox)[0].json["text"] == {
        "body": "Bienvenue sur la liste de Bourg-sur-Lac !",
        "preview_url": False,
    }
    assert sent_messages(sandbox)[0].json["to"] == "33677777777"


def test_a_web_form_subscriber_is_welcomed_by_the_welcome_template(sandbox, setup):
    setup.welcome_template_name = "bienvenue"
    setup.save()
    culture = theme("Culture")
    north = TerritoryFactory()

    subscriber = subscriber_opt_in(
        account=setup.account,
        phone="+33677777777",
        themes=[culture],
        territory=north,
        source="web form",
    )

    assert list(subscriber.themes.all()) == [culture] and subscriber.territory == north
    assert sent_messages(sandbox)[0].json["template"] == {
        "name": "bienvenue",
        "language": {"code": "fr"},
        "components": [],
    }


def test_subscribing_twice_changes_nothing_and_welcomes_once(sandbox, setup):
    culture = theme("Culture")
    subscriber_opt_in(account=setup.account, phone=ALICE, themes=[culture], source="web form")

    again = subscriber_opt_in(account=setup.account, phone=ALICE, source="keyword")

    assert Subscriber.objects.count() == 1
    assert list(again.themes.all()) == [culture]
    assert len(sent_messages(sandbox)) == 1


def test_someone_who_opted_out_can_subscribe_again(sandbox, setup):
    subscriber_opt_in(account=setup.account, phone=ALICE, source="keyword")
    subscriber_opt_out(account=setup.account, phone=ALICE)
    assert Subscriber.objects.get().is_active is False

    subscriber = subscriber_opt_in(account=setup.account, phone=ALICE, source="keyword")

    assert subscriber.is_active and subscriber.opted_out_at is None
    assert len(sent_messages(sandbox)) == 2  # welcomed each time they joined


def test_a_welcome_that_fails_keeps_the_subscription(sandbox, setup):
    sandbox.inject("whatsapp", "server_error", path="/messages")

    subscriber = subscriber_opt_in(account=setup.account, phone=ALICE, source="keyword")

    assert subscriber.is_active
    assert Delivery.objects.get().status == "failed"


@pytest.mark.parametrize("word", ["STOP", "stop", "Arrêt", "ARRET"])
def test_stop_unsubscribes_and_confirms(sandbox, client, setup, word):
    subscribe(setup.account, ALICE)

    post_webhook(client, citizen_writes(sandbox, "33611111111", word))

    assert Subscriber.objects.get().opted_out_at is not None
    (confirmation,) = sent_messages(sandbox)
    assert confirmation.json["to"] == "33611111111"
    assert "INFOS" in confirmation.json["text"]["body"]


def test_other_messages_are_handed_on_and_change_nothing_on_the_list(
    sandbox, client, setup, webhook_items_received
):
    payload = citizen_writes(sandbox, "33611111111", "Bonjour, la piscine est-elle ouverte ?")

    post_webhook(client, payload)

    ((item, _event_id),) = webhook_items_received
    inbound = item.content
    assert isinstance(inbound, Inbound)
    assert (item.account_remote_id, inbound.kind, inbound.text, inbound.author_id) == (
        PHONE_ID,
        "message",
        "Bonjour, la piscine est-elle ouverte ?",
        "+33611111111",
    )
    assert whatsapp_list_command(setup=setup, text=inbound.text) is ListCommand.NONE
    assert Subscriber.objects.count() == 0
    assert sent_messages(sandbox) == []


def test_receipts_update_the_deliveries_and_the_metrics(sandbox, client, network, setup):
    subscribe(setup.account, ALICE)
    subscribe(setup.account, BOB)
    ref = send(network, post_with_variant(setup.account), key="crieur-1")
    statuses = sandbox.bucket("whatsapp", "statuses")

    for payload in statuses[ref.id]:  # sent, delivered, read
        assert post_webhook(client, payload).status_code == 200
    post_webhook(client, statuses[ref.parts[0]][1])  # delivered only

    assert Delivery.objects.get(message_id=ref.id).status == "read"
    assert Delivery.objects.get(message_id=ref.parts[0]).status == "delivered"
    metrics = network.metrics(ref, account=setup.account)
    assert metrics.impressions == 1
    assert metrics.raw == {"messages": 2, "sent": 2, "delivered": 2, "read": 1, "failed": 0}


def test_a_late_receipt_never_takes_a_status_back(sandbox, client, network, setup):
    subscribe(setup.account, ALICE)
    ref = send(network, post_with_variant(setup.account), key="crieur-1")
    sent, delivered, read = sandbox.bucket("whatsapp", "statuses")[ref.id]

    post_webhook(client, read)
    post_webhook(client, delivered)

    assert Delivery.objects.get(message_id=ref.id).status == "read"


def test_a_receipt_before_the_message_is_recorded_keeps_its_status(sandbox, client, network, setup):
    alice = subscribe(setup.account, ALICE)
    variant = post_with_variant(setup.account)
    # WhatsApp's receipts are not ordered with the API's answer.
    send(network, variant, key="crieur-1")
    message_id = Delivery.objects.get().message_id
    Delivery.objects.all().delete()
    post_webhook(client, sandbox.bucket("whatsapp", "statuses")[message_id][2])

    delivery_sent_record(
        account=setup.account,
        message_id=message_id,
        phone=ALICE,
        post_id=variant.post_id,
        subscriber_id=alice.pk,
    )

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.subscriber, delivery.post_id) == (
        "read",
        alice,
        variant.post_id,
    )


def webhook_sink(sandbox):
    """An address on the sandbox itself that records the webhooks POSTed to it."""
    if not any(endpoint.startswith("webhook-sink:") for endpoint in sandbox.handlers):

        @sandbox.route("webhook-sink", "/_test/webhook-sink", ("POST",))
        def sink(request):
            return 200, {"ok": True}

    return f"{sandbox.url}/_test/webhook-sink"


def test_receipts_are_delivered_signed_when_crieur_listens(sandbox, network, setup):
    subscribe(setup.account, ALICE)
    sandbox.webhook_urls["whatsapp"] = webhook_sink(sandbox)

    ref = send(network, post_with_variant(setup.account), key="crieur-1")
    sandbox.bucket("whatsapp", "state")["receipts"].join(timeout=10)

    delivered = sandbox.requests_to("webhook-sink")
    statuses = [r.json["entry"][0]["changes"][0]["value"]["statuses"][0] for r in delivered]
    assert [(s["id"], s["status"], s["recipient_id"]) for s in statuses] == [
        (ref.id, "sent", "33611111111"),
        (ref.id, "delivered", "33611111111"),
        (ref.id, "read", "33611111111"),
    ]
    assert {s["biz_opaque_callback_data"] for s in statuses} == {"crieur-1"}
    for received in delivered:
        body = sandbox.webhook_body(received.json)
        assert network.verify_webhook(body, received.headers)


def test_without_a_webhook_address_receipts_are_only_kept(sandbox, network, setup):
    subscribe(setup.account, ALICE)

    ref = send(network, post_with_variant(setup.account), key="crieur-1")

    assert len(sandbox.bucket("whatsapp", "statuses")[ref.id]) == 3
    assert list(sandbox.webhooks_sent) == []


# -- Faults ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("server_error", Transient),
        ("timeout", Unconfirmed),
        ("rate_limited", RateLimited),
        ("expired_token", AuthExpired),
        ("duplicate", Transient),  # WhatsApp has no duplicate check: a 5xx here
        ("whatsapp_outside_window", Rejected),
    ],
)
def test_faults_are_typed(sandbox, network, setup, kind, error):
    subscribe(setup.account, ALICE)
    sandbox.inject("whatsapp", kind, path="/messages")
    before = datetime.now(UTC)

    with pytest.raises(error) as raised:
        send(network, post_with_variant(setup.account), key="crieur-1")

    if kind == "rate_limited":
        assert raised.value.reset_at is not None and raised.value.reset_at > before


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("server_error", Transient),
        ("rate_limited", RateLimited),
        ("expired_token", AuthExpired),
        ("whatsapp_outside_window", Rejected),
    ],
)
def test_a_reply_maps_faults_too(sandbox, network, account, kind, error):
    inbound = Inbound(
        network="whatsapp",
        remote_id="wamid.in",
        kind="message",
        text="Bonjour",
        author_id=ALICE,
        author_name="Alice",
        created_at=datetime.now(UTC),
    )
    sandbox.inject("whatsapp", kind, path="/messages")

    with pytest.raises(error):
        network.reply(inbound, "Merci !", account=account)


def test_a_refused_connection_is_transient(settings, network, setup):
    subscribe(setup.account, ALICE)
    settings.CRIEUR_SANDBOX_URL = "http://127.0.0.1:9"

    with pytest.raises(Transient):
        send(network, post_with_variant(setup.account), key="crieur-1")


# -- Replies, what WhatsApp cannot do ----------------------------------------------------


def test_a_reply_is_a_text_message_to_the_citizen(sandbox, network, account):
    inbound = Inbound(
        network="whatsapp",
        remote_id="wamid.in",
        kind="message",
        text="La piscine est-elle ouverte ?",
        author_id=ALICE,
        author_name="Alice",
        created_at=datetime.now(UTC),
    )

    ref = network.reply(inbound, "Oui, jusqu'à 20 h.", account=account)

    (message,) = sent_messages(sandbox)
    assert message.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "33611111111",
        "type": "text",
        "text": {"body": "Oui, jusqu'à 20 h.", "preview_url": False},
    }
    assert ref.id == message.response["messages"][0]["id"]


def test_what_whatsapp_cannot_do(sandbox, network, account):
    ref = RemoteRef(network="whatsapp", id="wamid.x")
    inbound = Inbound(
        network="whatsapp",
        remote_id="wamid.in",
        kind="message",
        text="Bonjour",
        author_id=ALICE,
        author_name="Alice",
        created_at=datetime.now(UTC),
    )

    with pytest.raises(Rejected):
        network.delete(ref, account=account)
    with pytest.raises(Rejected):
        network.hide(inbound, account=account)
    assert network.fetch_replies(account, None) == []
    assert network.find_recent(account, text="x", since=datetime.now(UTC)) is None
    assert sandbox.requests_to("whatsapp") == []


# -- Webhook signatures and parsing ------------------------------------------------------


def test_a_valid_signature_verifies_and_a_wrong_one_does_not(sandbox, network):
    body = b'{"object": "whatsapp_business_account"}'

    assert network.verify_webhook(body, {"X-Hub-Signature-256": signed(body)})
    assert network.verify_webhook(body, {"x-hub-signature-256": signed(body)})
    assert not network.verify_webhook(body, {"X-Hub-Signature-256": signed(body, "wrong")})
    assert not network.verify_webhook(body + b" ", {"X-Hub-Signature-256": signed(body)})
    assert not network.verify_webhook(body, {})


def test_the_webhook_door_refuses_an_unsigned_event(sandbox, client, setup):
    payload = citizen_writes(sandbox, "33677777777", "INFOS")
    body = json.dumps(payload).encode()

    answer = client.post(
        "/webhooks/whatsapp/",
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signed(body, "not-the-secret"),
    )

    assert answer.status_code == 403
    assert Subscriber.objects.count() == 0


def test_the_sandbox_signs_its_webhooks_with_the_app_secret(sandbox, network):
    payload = citizen_writes(sandbox, "33677777777", "INFOS")
    body = sandbox.webhook_body(payload)

    assert sandbox.webhooks_sent[-1]["payload"] == payload
    assert network.verify_webhook(body, {"x-hub-signature-256": signed(body)})


def test_parse_webhook_yields_the_citizens_messages(sandbox, network):
    payload = citizen_writes(sandbox, "33677777777", "Bonjour")

    (inbound,) = network.parse_webhook(payload)

    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    assert inbound.remote_id == message["id"]
    assert inbound.author_id == "+33677777777"
    assert inbound.author_name == "Habitant·e"
    assert inbound.text == "Bonjour"
    assert inbound.raw["phone_number_id"] == PHONE_ID
    assert inbound.created_at.tzinfo is not None


# -- Connecting by token -----------------------------------------------------------------


def test_connecting_with_a_token_reads_the_phone_number(sandbox, network):
    pytest.importorskip("networks.sandbox.meta", reason="the Graph node route comes with meta.py")
    phone_number_register(
        sandbox,
        PHONE_ID,
        display_phone_number="+33 6 00 00 00 00",
        verified_name="Bourg-sur-Lac Infos",
    )

    grant = network.connect_with_token(phone_number_id=PHONE_ID, access_token=TOKEN, waba_id="4005")

    (request,) = sandbox.requests_to("whatsapp", method="GET", path=f"/{PHONE_ID}")
    assert request.path == f"/graph/v24.0/{PHONE_ID}"
    assert request.query["fields"] == "display_phone_number,verified_name"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert (grant.remote_id, grant.display_name, grant.handle) == (
        PHONE_ID,
        "Bourg-sur-Lac Infos",
        "+33 6 00 00 00 00",
    )
    assert grant.credentials == {"access_token": TOKEN, "waba_id": "4005"}


# -- Through the publishing service ------------------------------------------------------


def approved_publication(account, *, text, themes=()):
    post = Post(title="Sapins", text=text, live=False)
    post.variants = [Variant(account=account)]
    post.save()
    for item in themes:
        post.themes.add(item)
    post.save()
    post.save_revision().publish()
    post.refresh_from_db()
    return Publication.objects.create(
        post=post, revision=post.live_revision, account=account, scheduled_at=timezone.now()
    )


def test_an_approved_post_is_broadcast_from_its_approved_revision(sandbox, setup):
    works = theme("Travaux")
    alice = subscribe(setup.account, ALICE, themes=[works])
    subscribe(setup.account, BOB, themes=[theme("Culture")])
    publication = approved_publication(setup.account, text="Rue Haute fermée.", themes=[works])

    publication = publication_send(publication=publication)

    assert publication.state == "published"
    (message,) = sent_messages(sandbox)
    assert message.json["template"]["components"][-1]["parameters"][0]["text"] == (
        "Rue Haute fermée."
    )
    delivery = Delivery.objects.get()
    assert (delivery.subscriber, delivery.post_id) == (alice, publication.post_id)
    assert publication.remote_id == delivery.message_id
    assert publication.remote_data["recipients"] == 1


def test_a_channel_publication_waits_for_its_administrators(sandbox, channel):
    publication = approved_publication(channel.account, text="Marché annulé.")

    publication = publication_send(publication=publication)

    assert publication.state == "awaiting_confirmation"
    assert publication.remote_data["sent_to"] == ["+33644444444", "+33655555555"]
    assert len(sent_messages(sandbox)) == 2
