"""Celery tasks of publishing: thin doors onto the services."""

from celery import shared_task
from celery.signals import worker_process_init

from . import scheduler


@worker_process_init.connect
def networks_load(**kwargs) -> None:
    """A new worker process loads the networks' client libraries at once: otherwise its
    first publications wait for those imports and go out late."""
    from . import networks

    for name in networks.MODULES:
        networks.get(name)


@shared_task(name="publishing.tasks.scheduler_beat", ignore_result=True, max_retries=0)
def scheduler_beat() -> None:
    """Run by Celery beat every second: hands due publications to the workers."""
    scheduler.scheduler_tick()


# Idempotent by its claim: a task delivered twice (a broker redelivery, two ticks) sends
# once. Retries are the scheduler's (with backoff, jitter and a bound), not Celery's.
@shared_task(
    name="publishing.tasks.publication_deliver", ignore_result=True, max_retries=0, acks_late=True
)
def publication_deliver_task(publication_id: int) -> None:
    scheduler.publication_deliver(publication_id=publication_id)


@shared_task(
    name="publishing.tasks.publications_deliver", ignore_result=True, max_retries=0, acks_late=True
)
def publications_deliver_task(publication_ids: list[int]) -> None:
    """Publications due together, each claimed and sent on its own (see above)."""
    for publication_id in publication_ids:
        scheduler.publication_deliver(publication_id=publication_id)


@shared_task(name="publishing.tasks.import_run_task", ignore_result=True, max_retries=0)
def import_run_task(job_id: int, only_valid: bool) -> None:
    """Create the posts of a checked import; the job shows the progress row by row."""
    from .imports import import_run

    import_run(job_id=job_id, only_valid=only_valid)
