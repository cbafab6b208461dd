"""Fixtures of the publishing tests."""

import pytest
from django.utils import timezone

from publishing.broadcast import BroadcastSetup, Subscriber
from tests.factories import SocialAccountFactory

NETWORKS = ("x", "facebook", "instagram", "linkedin", "whatsapp")


@pytest.fixture(autouse=True)
def _scheduler_chores_due():
    """Each test's first scheduler tick runs the chores (cut-offs, reconciliation)."""
    from django.core.cache import cache

    from publishing.scheduler import CHORES_KEY

    cache.delete(CHORES_KEY)


@pytest.fixture
def five_accounts(db):
    """One connected account per network; the WhatsApp list has one subscriber."""
    accounts = {network: SocialAccountFactory(network=network) for network in NETWORKS}
    whatsapp = accounts["whatsapp"]
    BroadcastSetup.objects.create(account=whatsapp, template_name="actualites")
    Subscriber.objects.create(
        account=whatsapp, phone="+33612345678", opted_in_at=timezone.now(), source="keyword"
    )
    return accounts
