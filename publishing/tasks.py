"""Celery tasks of publishing: thin doors onto the services."""

from celery import shared_task

from . import services


@shared_task(name="publishing.tasks.scheduler_beat", ignore_result=True, max_retries=0)
def scheduler_beat() -> None:
    """Run by Celery beat: proves the scheduler runs (and, later, dispatches due work)."""
    services.heartbeat_record()
