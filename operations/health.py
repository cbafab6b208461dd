"""Whether this installation can work: its database, cache and broker answer, and the
scheduler beats (beat sends the tick, a worker runs it) with no due work left untaken.

Only the names of the components and ok/failing leave this module; the reasons go to
the log, which the people running the servers read.
"""

import logging
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from kombu import Connection

from publishing.selectors import not_picked_up_count, scheduler_beating, scheduler_last_beat

logger = logging.getLogger(__name__)

# A probe waits this long at most for the broker (connect and first answer).
BROKER_TIMEOUT_SECONDS = 2.0


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _cache() -> bool:
    # A key per probe: probes of several web processes never read each other's value.
    key = f"crieur-health-{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    try:
        return cache.get(key) == "ok"
    finally:
        cache.delete(key)


def _broker() -> bool:
    # Read from the settings, not from the Celery app: the app keeps the configuration
    # it loaded first, and the probe should see what this process is configured with.
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    }
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=options,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
    ) as broker:
        broker.ensure_connection(max_retries=0)
    return True


def _beat() -> bool:
    return scheduler_beating(last_beat=scheduler_last_beat(), now=timezone.now())


def _worker() -> bool:
    # Only a worker records the beat, and the workers take what is due: a recent beat
    # and no publication left waiting past its time say that a worker is alive.
    return _beat() and not_picked_up_count(now=timezone.now()) == 0


CHECKS: dict[str, Callable[[], bool]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "beat": _beat,
    "worker": _worker,
}
DATABASE_BACKED = ("beat", "worker")


def health_report(*, only: Iterable[str] | None = None) -> dict[str, bool]:
    """Each component's name and whether it works, in CHECKS order."""
    names = [name for name in CHECKS if only is None or name in only]
    report: dict[str, bool] = {}
    for name in names:
        if name in DATABASE_BACKED and report.get("database") is False:
            # Nothing to read them from: do not wait a second time on a dead database.
            report[name] = False
            continue
        try:
            report[name] = bool(CHECKS[name]())
        except Exception as error:  # any failure of a component is that component failing
            logger.warning("Health: %s is failing (%s: %s)", name, type(error).__name__, error)
            report[name] = False
        else:
            if not report[name]:
                logger.warning("Health: %s is failing", name)
    return report
