"""The inbox's migrations keep what was stored: the WhatsApp items handled before items
were recorded one by one are known as handled afterwards."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from networks.webhooks import item_key

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("inbox", "0001_webhook_events")]
AFTER = [("inbox", "0002_webhook_event_remote_key")]


@pytest.fixture(autouse=True)
def _latest_schema_after():
    """Leave the database at the latest migrations, whatever the test migrated to."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def whatsapp_event(message_id, status_id):
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "metadata": {"phone_number_id": "4004"},
                            "messages": [{"from": "33611111111", "id": message_id}],
                            "statuses": [{"id": status_id, "status": "read"}],
                        },
                    }
                ]
            }
        ],
    }


def test_the_items_of_the_stored_whatsapp_events_are_known_as_handled():
    old = migrate(BEFORE)
    OldEvent = old.get_model("inbox", "WebhookEvent")
    event = OldEvent.objects.create(
        network="whatsapp", digest="a" * 64, payload=whatsapp_event("wamid.in-1", "wamid.out-1")
    )
    OldEvent.objects.create(network="whatsapp", digest="b" * 64, payload={"entry": "odd"})
    OldEvent.objects.create(network="meta", digest="c" * 64, payload={"entry": []})

    new = migrate(AFTER)

    Event = new.get_model("inbox", "WebhookEvent")
    Item = new.get_model("inbox", "WebhookItem")
    assert Event.objects.count() == 3
    # The keys the door claims when the same message or receipt comes again.
    assert sorted(Item.objects.values_list("network", "key", "event_id")) == [
        ("whatsapp", item_key("message", "wamid.in-1"), event.pk),
        ("whatsapp", item_key("status", "wamid.out-1", "read"), event.pk),
    ]
