"""The Celery application that carries Crieur's own background work."""

import logging
import os
import time

from celery import Celery
from celery.beat import PersistentScheduler
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crieur.settings.dev")

logger = logging.getLogger("crieur.beat")


class QuietScheduler(PersistentScheduler):
    """Celery beat's scheduler, which says a broker outage once.

    Beat sends the scheduler's tick every second: while the broker (Redis) is out of
    reach, Celery's own scheduler logs a full traceback for each one. This one logs one
    line when sending first fails, and one when it works again.
    """

    outage_since: float | None = None

    def apply_entry(self, entry, producer=None):
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as error:
            if self.outage_since is None:
                self.outage_since = time.monotonic()
                logger.error(
                    "Beat cannot send %s: %s: %s (said once; it keeps trying every tick)",
                    entry.task,
                    type(error).__name__,
                    error,
                )
        else:
            if self.outage_since is not None:
                logger.warning(
                    "Beat sends again, after %.0f s without the broker",
                    time.monotonic() - self.outage_since,
                )
                self.outage_since = None


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport, which closes every channel of a connection Redis dropped.

    When a worker loses Redis, Celery collects the broken connection: kombu closes its
    channels one by one, then detaches the transport from the connection, and Celery
    closes the connection again. kombu stops at the first channel whose closing fails
    (the remote control's channel deletes its queue on Redis, which is out of reach), so
    the channel of the tasks may stay open with the acks_late messages in hand; closing
    it again once the transport is detached raises AttributeError ('NoneType' object has
    no attribute 'hostname'), which Celery does not take for a lost connection: the
    worker's main process exits ("Unrecoverable error"). Here each channel is closed
    even when one before it failed; the first failure is raised afterwards, as kombu's.
    """

    def close_connection(self, connection):
        failure = None
        # Each call takes at least one channel off the lists (the failing one included).
        for _ in range(len(self.channels) + len(self._avail_channels) + 1):
            try:
                super().close_connection(connection)
            except self.connection_errors as error:
                failure = failure or error
            else:
                break
        if failure is not None:
            raise failure


app = Celery("crieur")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_scheduler = "crieur.celery:QuietScheduler"
app.autodiscover_tasks()
