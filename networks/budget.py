"""Each network's call budget, kept in the shared cache: respected before a call is made.

Two things are tracked per network family (X, Meta's Graph API, LinkedIn, WhatsApp):

- a *block*: the network said its budget is spent until a time (X's rate-limit headers,
  Meta's usage headers near their ceiling, a 429 with a reset time). Until then no worker
  calls it; publications wait without an attempt being spent. A block has the scope the
  network counts the limit in: the application's (every account of the network waits)
  or one account's (its token's, its page's, its phone number's: only it waits). Each
  scope is one cache entry (`crieur:budget:block:<family>:<scope>`, scope "app" or the
  account's id), written atomically, so that two workers blocking two accounts at the
  same instant both keep their block;
- a *concurrency* count: how many calls are in flight, so that many workers on many
  machines stay under what the network tolerates.

The cache is Redis in production (shared by every worker); in the embedded demo it is
one machine's file cache, which is what one worker needs.
"""

import json
import logging
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone

# Which budget a network uses: Facebook and Instagram share the Graph API's.
FAMILY = {
    "x": "x",
    "x_api": "x",
    "facebook": "meta",
    "instagram": "meta",
    "graph_api": "meta",
    "whatsapp": "whatsapp",
    "linkedin": "linkedin",
    "linkedin_api": "linkedin",
}
FAMILIES = ("x", "meta", "linkedin", "whatsapp")
# The scope of a block that holds every account of the network (the application's budget).
APP = "app"
# A slot is given back when the call ends. The counter lives this long from its first
# call (a call does not extend it): a slot lost with a killed worker, or one whose giving
# back failed, is forgotten when it expires.
SLOT_TTL = 300

logger = logging.getLogger(__name__)


def family(network: str) -> str:
    return FAMILY.get(network, network)


def _block_key(name: str, scope) -> str:
    return f"crieur:budget:block:{name}:{scope}"


def _slots_key(name: str) -> str:
    return f"crieur:budget:slots:{name}"


# `reset` forgets every block at once by starting a new generation: blocks are one key
# per scope (the accounts are not listed anywhere), and a block of an older generation
# counts as none.
GENERATION_KEY = "crieur:budget:generation"
# A process's lock for the caches that have no atomic swap (locmem, file): they serve
# one machine, where the demo's one worker runs.
_SWAP_LOCK = threading.RLock()


def _scope(account_id) -> str:
    return str(account_id) if account_id else APP


def _alive(value, generation: str) -> float:
    """The time (epoch seconds) a stored block runs to; 0 when it is of an older
    generation or not a block."""
    if isinstance(value, list | tuple) and len(value) == 2 and value[1] == generation:
        return float(value[0])
    return 0.0


def _swap(key: str, value, timeout: int):
    """Store `value` at `key` and return what was there, in one step for the other
    workers: Redis's SET with GET; elsewhere under the process's lock."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(key, write=True)
        serializer = backend._cache._serializer
        previous = client.set(
            backend.make_and_validate_key(key), serializer.dumps(value), ex=timeout, get=True
        )
        return None if previous is None else serializer.loads(previous)
    with _SWAP_LOCK:
        previous = cache.get(key)
        cache.set(key, value, timeout=timeout)
        return previous


def block(network: str, until: datetime, *, account_id=None) -> None:
    """No call to this network (or only to this account on it) before `until`.

    Each scope (the application, or one account) is its own cache entry, raised and
    never lowered without a lost write: the block is swapped in atomically, and a later
    block it displaced (another worker's, at the same instant) is swapped back in.
    """
    name = family(network)
    key = _block_key(name, _scope(account_id))
    try:
        generation = cache.get(GENERATION_KEY) or ""
        value = (until.timestamp(), generation)
        for _ in range(8):  # each turn only raises the block: it ends in a turn or two
            timeout = int(value[0] - timezone.now().timestamp()) + 1
            if timeout <= 0:
                return
            previous = _alive(_swap(key, value, timeout), generation)
            if previous <= value[0]:
                return
            value = (previous, generation)
    except Exception as error:
        # Bookkeeping after a call: a block lost to a cache outage costs at most one
        # more refusal from the network, never the publication that is being recorded.
        logger.warning("Could not record the %s budget block: %r", name, error)


def blocked_until(network: str, *, account_id=None) -> datetime | None:
    """Until when calls to the network (for this account, if given) must wait: the
    application's block, and the account's own."""
    name = family(network)
    keys = [_block_key(name, APP)] + ([_block_key(name, _scope(account_id))] if account_id else [])
    found = cache.get_many([GENERATION_KEY, *keys])
    generation = found.get(GENERATION_KEY) or ""
    stamp = max(_alive(found.get(key), generation) for key in keys)
    until = datetime.fromtimestamp(stamp, tz=UTC)
    return until if until > timezone.now() else None


def concurrency(network: str) -> int:
    limits = getattr(settings, "CRIEUR_NETWORK_CONCURRENCY", {}) or {}
    return int(limits.get(family(network), limits.get("default", 8)))


def slot_take(network: str) -> bool:
    """Take one of the network's call slots: True if one was free (then give it back
    with `slot_give_back` once the call ends), False when all are taken.

    Raises when the cache cannot be reached: nothing was called yet, the caller decides.
    """
    key = _slots_key(family(network))
    try:
        taken = cache.incr(key)
    except ValueError:  # no call in flight lately: the counter starts again
        taken = 1 if cache.add(key, 1, timeout=SLOT_TTL) else cache.incr(key)
    if taken > concurrency(network):
        slot_give_back(network)
        return False
    return True


def slot_give_back(network: str) -> None:
    """Give a slot back; never raises (the call it served is over, whatever happens).

    A slot that could not be given back is forgotten when its counter expires (SLOT_TTL).
    """
    try:
        cache.decr(_slots_key(family(network)))
    except ValueError:  # the counter expired meanwhile
        pass
    except Exception as error:
        logger.warning("Could not give back a %s call slot: %r", family(network), error)


@contextmanager
def slot(network: str):
    """Yield True with one of the network's call slots held, False when all are taken."""
    free = slot_take(network)
    try:
        yield free
    finally:
        if free:
            slot_give_back(network)


def observe(network: str, headers, *, account_id=None) -> None:
    """Read what a response says of the budget left, and block before it runs out.

    `account_id` is the account whose token made the call (None: no account's, such
    as a connection in progress). Each limit is blocked where the network counts it:

    - X counts user-context limits (`x-rate-limit-*`, the 15-minute window of the
      endpoint, and `x-user-limit-24hour-*`) per user token: the account; only
      `x-app-limit-24hour-*` is the application's, every account waits;
    - Meta's `X-App-Usage` is the application's; `X-Business-Use-Case-Usage`,
      `X-Page-Usage` and `X-Ad-Account-Usage` count one page, Instagram account or
      business: the account;
    - LinkedIn sends no budget headers (its application and member daily limits show
      only as a 429) and WhatsApp's throughput is per phone number, told by error
      codes: their `RateLimited` errors carry the scope (see the scheduler).
    """
    if not headers:
        return
    name = family(network)  # block() never raises: observing cannot fail a call
    if name == "x":
        _observe_x(headers, account_id)
    elif name == "meta":
        _observe_meta(headers, account_id)


def _observe_x(headers, account_id) -> None:
    for prefix, per_account in (
        ("x-rate-limit", True),
        ("x-user-limit-24hour", True),
        ("x-app-limit-24hour", False),
    ):
        remaining = headers.get(f"{prefix}-remaining")
        reset = headers.get(f"{prefix}-reset") or ""
        if remaining != "0" or not reset.isdigit():
            continue
        if per_account and not account_id:
            continue  # one user's limit: it says nothing of the other accounts
        until = datetime.fromtimestamp(int(reset), tz=UTC)
        block("x", until, account_id=account_id if per_account else None)


# Meta's usage headers, and whether each counts the application (or one account).
META_USAGE_HEADERS = (
    ("x-app-usage", True),
    ("x-business-use-case-usage", False),
    ("x-page-usage", False),
    ("x-ad-account-usage", False),
)


def _observe_meta(headers, account_id) -> None:
    """Meta reports usage in percent of the budget (X-App-Usage, X-Business-Use-Case-
    Usage); at the ceiling, stop until the time it says access comes back: every
    account for the application's usage, the account for its own."""
    ceiling = getattr(settings, "CRIEUR_META_USAGE_CEILING", 90)
    for header, per_app in META_USAGE_HEADERS:
        if not per_app and not account_id:
            continue
        worst, minutes = _meta_usage(headers.get(header))
        if worst >= ceiling:
            until = timezone.now() + timedelta(minutes=minutes or 5)
            block("meta", until, account_id=None if per_app else account_id)


def _meta_usage(raw) -> tuple[float, float]:
    """(the highest percentage used, the minutes until access comes back) in one usage
    header: flat (X-App-Usage) or a list of entries per business object."""
    if not raw:
        return 0, 0
    try:
        data = json.loads(raw)
    except ValueError:
        return 0, 0
    entries = []
    if isinstance(data, dict) and any(isinstance(v, list) for v in data.values()):
        for value in data.values():
            if isinstance(value, list):
                entries.extend(v for v in value if isinstance(v, dict))
    elif isinstance(data, dict):
        entries.append(data)
    worst, minutes = 0, 0
    for entry in entries:
        for field in ("call_count", "total_time", "total_cputime", "acc_id_util_pct"):
            value = entry.get(field)
            if isinstance(value, int | float):
                worst = max(worst, value)
        regain = entry.get("estimated_time_to_regain_access")
        if isinstance(regain, int | float):
            minutes = max(minutes, regain)
    return worst, minutes


def reset() -> None:
    """Forget every block and slot (tests, and an administrator after an incident)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    cache.delete_many([_slots_key(n) for n in FAMILIES])


def jitter(seconds: float, spread: float = 0.25) -> float:
    """`seconds` give or take `spread` of it, so that waiting workers do not wake together."""
    import random

    return seconds * (1 + random.uniform(-spread, spread))  # noqa: S311 - not security
