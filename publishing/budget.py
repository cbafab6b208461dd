"""Each network's call budget, kept in the shared cache: respected before a call is made.

Two things are tracked per network family (X, Meta's Graph API, LinkedIn, WhatsApp):

- a *block*: the network said its budget is spent until a time (X's rate-limit headers,
  Meta's usage headers near their ceiling, a 429 with a reset time). Until then no worker
  calls it; publications wait without an attempt being spent;
- a *concurrency* count: how many calls are in flight, so that many workers on many
  machines stay under what the network tolerates.

The cache is Redis in production (shared by every worker); in the embedded demo it is
one machine's file cache, which is what one worker needs.
"""

import json
import logging
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
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
# A slot is given back when the call ends. The counter lives this long from its first
# call (a call does not extend it): a slot lost with a killed worker, or one whose giving
# back failed, is forgotten when it expires.
SLOT_TTL = 300

logger = logging.getLogger(__name__)


def family(network: str) -> str:
    return FAMILY.get(network, network)


def _blocks_key(name: str) -> str:
    return f"crieur:budget:blocks:{name}"


def _slots_key(name: str) -> str:
    return f"crieur:budget:slots:{name}"


def block(network: str, until: datetime, *, account_id=None) -> None:
    """No call to this network (or only to this account on it) before `until`.

    A family's blocks are one cache entry (read once per call made); two workers
    writing at the same instant may lose one block, and the network's next refusal
    puts it back: the budget saves calls, the typed errors keep it safe.
    """
    name = family(network)
    now = timezone.now().timestamp()
    try:
        blocks = {k: v for k, v in (cache.get(_blocks_key(name)) or {}).items() if v > now}
        scope = str(account_id) if account_id else "app"
        if blocks.get(scope, 0) >= until.timestamp():
            return
        blocks[scope] = until.timestamp()
        timeout = int(max(blocks.values()) - now) + 1
        if timeout > 0:
            cache.set(_blocks_key(name), blocks, timeout=timeout)
    except Exception as error:
        # Bookkeeping after a call: a block lost to a cache outage costs at most one
        # more refusal from the network, never the publication that is being recorded.
        logger.warning("Could not record the %s budget block: %r", name, error)


def blocked_until(network: str, *, account_id=None) -> datetime | None:
    """Until when calls to the network (for this account, if given) must wait."""
    blocks = cache.get(_blocks_key(family(network))) or {}
    stamps = [blocks.get("app", 0)] + ([blocks.get(str(account_id), 0)] if account_id else [])
    until = datetime.fromtimestamp(max(stamps), tz=UTC)
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


def observe(network: str, headers) -> None:
    """Read what a response says of the budget left, and block before it runs out."""
    if not headers:
        return
    name = family(network)  # block() never raises: observing cannot fail a call
    if name == "x":
        remaining = headers.get("x-rate-limit-remaining")
        reset = headers.get("x-rate-limit-reset")
        if remaining == "0" and reset and reset.isdigit():
            block(name, datetime.fromtimestamp(int(reset), tz=UTC))
    elif name == "meta":
        _observe_meta(headers)


def _observe_meta(headers) -> None:
    """Meta reports usage in percent of the budget (X-App-Usage, X-Business-Use-Case-
    Usage); at the ceiling, stop until the time it says access comes back."""
    ceiling = getattr(settings, "CRIEUR_META_USAGE_CEILING", 90)
    worst, minutes = 0, 0
    for header in ("x-app-usage", "x-business-use-case-usage", "x-ad-account-usage"):
        raw = headers.get(header)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        entries = []
        if isinstance(data, dict) and any(isinstance(v, list) for v in data.values()):
            for value in data.values():
                entries.extend(v for v in value if isinstance(v, dict))
        elif isinstance(data, dict):
            entries.append(data)
        for entry in entries:
            for field in ("call_count", "total_time", "total_cputime"):
                value = entry.get(field)
                if isinstance(value, int | float):
                    worst = max(worst, value)
            regain = entry.get("estimated_time_to_regain_access")
            if isinstance(regain, int | float):
                minutes = max(minutes, regain)
    if worst >= ceiling:
        block("meta", timezone.now() + timedelta(minutes=minutes or 5))


def reset() -> None:
    """Forget every block and slot (tests, and an administrator after an incident)."""
    cache.delete_many([_blocks_key(n) for n in FAMILIES] + [_slots_key(n) for n in FAMILIES])


def jitter(seconds: float, spread: float = 0.25) -> float:
    """`seconds` give or take `spread` of it, so that waiting workers do not wake together."""
    import random

    return seconds * (1 + random.uniform(-spread, spread))  # noqa: S311 - not security
