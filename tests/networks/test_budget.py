"""The networks' budgets: blocked in the scope the network counts in, never lost."""

import json
from datetime import timedelta

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.utils import timezone

from networks import budget
from publishing import scheduler
from publishing.models import Publication
from tests.factories import SocialAccountFactory
from tests.publishing.test_scheduler import schedule
from tests.publishing.test_send_now import approved_post

State = Publication.State


def usage(percent: int, minutes: int = 7) -> str:
    """A Business Use Case usage header for one page at `percent` of its budget."""
    entry = {
        "type": "pages",
        "call_count": percent,
        "total_time": 5,
        "total_cputime": 5,
        "estimated_time_to_regain_access": minutes,
    }
    return json.dumps({"1234": [entry]})


@pytest.mark.django_db
def test_an_x_rate_limit_on_one_account_holds_only_that_accounts_publications(sandbox):
    first, second = SocialAccountFactory(network="x"), SocialAccountFactory(network="x")
    now = timezone.now()
    limited = schedule(approved_post({"x": first}), first, now)
    waiting = schedule(approved_post({"x": first}), first, now)
    other = schedule(approved_post({"x": second}), second, now)
    sandbox.inject("x", "rate_limited", path="/2/tweets", method="POST")

    scheduler.publication_deliver(publication_id=limited.pk)  # 429 with remaining 0
    calls = len(sandbox.received)
    scheduler.publication_deliver(publication_id=waiting.pk)
    assert len(sandbox.received) == calls  # the limited account waits: nothing called
    scheduler.publication_deliver(publication_id=other.pk)

    waiting.refresh_from_db()
    other.refresh_from_db()
    assert waiting.state == State.SCHEDULED and waiting.attempts.count() == 0
    assert waiting.not_before >= budget.blocked_until("x", account_id=first.pk)
    assert other.state == State.PUBLISHED
    assert budget.blocked_until("x", account_id=second.pk) is None


def test_remaining_zero_on_one_x_account_blocks_that_account_alone():
    budget.reset()
    reset = str(int((timezone.now() + timedelta(minutes=15)).timestamp()))

    budget.observe(
        "x_api", {"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}, account_id=1
    )

    assert budget.blocked_until("x", account_id=1) is not None
    assert budget.blocked_until("x", account_id=2) is None
    assert budget.blocked_until("x") is None


def test_x_applications_daily_limit_blocks_every_x_account():
    budget.reset()
    reset = str(int((timezone.now() + timedelta(hours=3)).timestamp()))

    budget.observe(
        "x_api",
        {
            "x-rate-limit-remaining": "12",
            "x-rate-limit-reset": reset,
            "x-app-limit-24hour-remaining": "0",
            "x-app-limit-24hour-reset": reset,
        },
        account_id=1,
    )

    assert budget.blocked_until("x", account_id=2) is not None


def test_a_user_limit_seen_while_an_account_connects_blocks_no_account():
    budget.reset()
    reset = str(int((timezone.now() + timedelta(minutes=15)).timestamp()))

    budget.observe("x_api", {"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset})

    assert budget.blocked_until("x", account_id=1) is None


def test_metas_application_usage_at_its_ceiling_blocks_every_meta_account():
    budget.reset()
    app_usage = '{"call_count": 95, "total_time": 20, "total_cputime": 10}'

    budget.observe("graph_api", {"x-app-usage": app_usage}, account_id=1)

    assert budget.blocked_until("facebook", account_id=2) is not None
    assert budget.blocked_until("instagram", account_id=3) is not None
    assert budget.blocked_until("x", account_id=1) is None


def test_a_pages_usage_at_its_ceiling_blocks_that_page_alone():
    budget.reset()
    budget.observe("graph_api", {"x-business-use-case-usage": usage(12)}, account_id=1)
    assert budget.blocked_until("facebook", account_id=1) is None

    budget.observe("graph_api", {"x-business-use-case-usage": usage(96)}, account_id=1)

    until = budget.blocked_until("facebook", account_id=1)
    assert until is not None
    assert timedelta(minutes=6) < until - timezone.now() <= timedelta(minutes=7)
    assert budget.blocked_until("instagram", account_id=2) is None


def test_a_shorter_block_never_shortens_a_longer_one_of_the_same_account():
    budget.reset()
    later = timezone.now() + timedelta(hours=2)

    budget.block("x", later, account_id=1)
    budget.block("x", timezone.now() + timedelta(minutes=1), account_id=1)

    assert abs(budget.blocked_until("x", account_id=1) - later) < timedelta(seconds=1)


def test_reset_forgets_every_accounts_block():
    budget.block("x", timezone.now() + timedelta(hours=1), account_id=1)
    budget.block("meta", timezone.now() + timedelta(hours=1))

    budget.reset()

    assert budget.blocked_until("x", account_id=1) is None
    assert budget.blocked_until("facebook", account_id=1) is None


class InterleavingCache(LocMemCache):
    """A local cache where another worker's write lands between this worker's first
    read of the budget and its write: `meanwhile` runs inside that read."""

    meanwhile = None

    def get(self, key, default=None, version=None):
        value = super().get(key, default, version)
        if InterleavingCache.meanwhile is not None and "budget" in key:
            meanwhile, InterleavingCache.meanwhile = InterleavingCache.meanwhile, None
            meanwhile()
        return value


@pytest.fixture
def interleaving_cache(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": f"{__name__}.InterleavingCache", "LOCATION": "interleaving"},
    }
    yield InterleavingCache
    InterleavingCache.meanwhile = None


def test_two_workers_blocking_two_accounts_at_once_both_keep_their_block(interleaving_cache):
    budget.reset()
    until = timezone.now() + timedelta(minutes=15)
    interleaving_cache.meanwhile = lambda: budget.block("x", until, account_id=2)

    budget.block("x", until, account_id=1)  # the other worker blocks account 2 meanwhile

    assert interleaving_cache.meanwhile is None  # the other worker did write meanwhile
    assert budget.blocked_until("x", account_id=1) is not None
    assert budget.blocked_until("x", account_id=2) is not None
