"""The Celery application that carries Crieur's own background work."""

import logging
import os
import time

from celery import Celery
from celery.beat import PersistentScheduler

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


app = Celery("crieur")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_scheduler = "crieur.celery:QuietScheduler"
app.autodiscover_tasks()
