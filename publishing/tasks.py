"""Celery tasks of publishing: thin doors onto the services.

The modules below ask for these tasks by name (services.DELIVER_TASK…), so that none of
them imports this one.
"""

from celery import shared_task
from celery.signals import worker_process_init

import networks
from networks import budget

from . import imports, scheduler, services


@worker_process_init.connect
def networks_load(**kwargs) -> None:
    """A new worker process loads the networks' client libraries at once: otherwise its
    first publications wait for those imports and go out late."""
    for name in networks.MODULES:
        networks.get(name)


@shared_task(name="publishing.tasks.scheduler_beat", ignore_result=True, max_retries=0)
def scheduler_beat() -> None:
    """Run by Celery beat every second: hands due publications to the workers."""
    scheduler.scheduler_tick()


# Idempotent by its claim: a task delivered twice (a broker redelivery, two ticks) sends
# once. Retries of a network's failures are the scheduler's (with backoff, jitter and a
# bound), not Celery's. Acknowledged late and given back to the broker when its worker
# dies (reject_on_worker_lost): another worker takes it at once, and a publication the
# dead worker had claimed is left to reconciliation (the claim makes the redelivery a
# no-op). When the database or the cache did not answer, the publications not dealt
# with are handed over again within seconds, a bounded number of times; past that the
# tick hands them over again.
DELIVERY = {
    "ignore_result": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "bind": True,
    "max_retries": 30,
}
OUTAGE_RETRY_SECONDS = 2.0


@shared_task(name=services.DELIVER_TASK, **DELIVERY)
def publication_deliver_task(self, publication_id: int) -> None:
    if scheduler.publications_deliver(publication_ids=[publication_id]):
        _again(self, (publication_id,))


@shared_task(name=services.DELIVER_MANY_TASK, **DELIVERY)
def publications_deliver_task(self, publication_ids: list[int]) -> None:
    """Publications due together, each claimed and sent on its own (see above)."""
    left = scheduler.publications_deliver(publication_ids=publication_ids)
    if left:
        _again(self, (left,))


def _again(task, args: tuple) -> None:
    """Hand the task over again in a few seconds, with what an outage left undone."""
    if task.request.called_directly or task.request.retries >= task.max_retries:
        return
    raise task.retry(args=args, countdown=budget.jitter(OUTAGE_RETRY_SECONDS))


@shared_task(name=imports.IMPORT_RUN_TASK, ignore_result=True, max_retries=0)
def import_run_task(job_id: int, only_valid: bool) -> None:
    """Create the posts of a checked import; the job shows the progress row by row."""
    imports.import_run(job_id=job_id, only_valid=only_valid)
