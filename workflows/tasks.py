"""Celery tasks of workflows: thin doors onto the services."""

from celery import shared_task

from . import services


@shared_task(name="workflows.tasks.rounds_watch", ignore_result=True, max_retries=0)
def rounds_watch_task() -> None:
    """Run by Celery beat every minute: reminders before deadlines, then the deadlines.

    Idempotent: each reminder and each deadline is marked done in the same update that
    claims it, so two runs at once act once.
    """
    services.rounds_watch()
