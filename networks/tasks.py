"""Celery tasks of networks: thin doors onto the services."""

from celery import shared_task

from . import budget
from .receiving import webhook_event_handle

# Handling an event hands on only the items not handled yet (each is claimed by its
# network's own ids), so a task delivered twice, or retried, hands nothing on twice.
WEBHOOK_RETRY_SECONDS = 30.0


@shared_task(
    name="networks.tasks.webhook_event_handle",
    bind=True,
    ignore_result=True,
    acks_late=True,
    max_retries=5,
)
def webhook_event_handle_task(self, event_id: int) -> None:
    """Hand on the items of one stored webhook event; the items whose handling failed
    are tried again later, a bounded number of times."""
    handled = webhook_event_handle(event_id=event_id)
    if handled.failed and not self.request.called_directly:
        delay = budget.jitter(WEBHOOK_RETRY_SECONDS * 2**self.request.retries)
        raise self.retry(countdown=delay)
