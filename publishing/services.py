"""Changing publishing state: scheduling, moving and cancelling publications (a person's
decision, or an approval), handing them to the workers, the scheduler's heartbeat.

Nothing here calls a network: the scheduler (publishing.scheduler) sends, and uses these.
The workers' tasks are asked for by name, so this module imports neither.
"""

import logging
from datetime import datetime, timedelta

from celery import signature
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.log_actions import log

from networks.models import SocialAccount
from policies.selectors import period_at

from . import permissions
from .models import Heartbeat, Publication

logger = logging.getLogger(__name__)

State = Publication.State
SCHEDULER = "scheduler"

# The workers' tasks (publishing/tasks.py), by name.
DELIVER_TASK = "publishing.tasks.publication_deliver"
DELIVER_MANY_TASK = "publishing.tasks.publications_deliver"


def heartbeat_record(*, name: str = SCHEDULER) -> Heartbeat:
    """Record that the named process is alive now; safe to call from many workers."""
    now = timezone.now()
    with transaction.atomic():
        updated = Heartbeat.objects.filter(name=name).update(beat_at=now, count=F("count") + 1)
        if not updated:
            Heartbeat.objects.get_or_create(name=name, defaults={"beat_at": now, "count": 1})
    return Heartbeat.objects.get(name=name)


# -- Handing work to the workers ----------------------------------------------------------


def due_time(publication: Publication) -> datetime:
    if publication.not_before and publication.not_before > publication.scheduled_at:
        return publication.not_before
    return publication.scheduled_at


def publication_enqueue(*, publication_id: int, eta: datetime | None = None) -> None:
    """Ask a worker to deliver the publication at `eta` (at once if empty or past).

    Only near publications are handed over (the tick hands over the others when they
    come near): a broker holding weeks-long ETAs would redeliver them many times.
    """
    now = timezone.now()
    if eta is None:
        row = Publication.objects.filter(pk=publication_id, state=State.SCHEDULED).first()
        if row is None:
            return
        eta = due_time(row)
    if eta - now > timedelta(seconds=settings.CRIEUR_DISPATCH_AHEAD_SECONDS):
        return
    try:
        signature(DELIVER_TASK, args=(publication_id,)).apply_async(eta=eta if eta > now else None)
    except Exception as error:
        # The broker is out of reach: the publication is scheduled, and the tick hands
        # it over when it is due (the state already says what is to be done).
        logger.warning("Publication %s: not handed over (%r)", publication_id, error)


def _enqueue(publication: Publication) -> None:
    """Once committed, hand the publication to the workers for its due time."""
    transaction.on_commit(lambda: publication_enqueue(publication_id=publication.pk))


REVISION_CACHE_SECONDS = 2 * 24 * 3600


def approved_content(revision):
    """The post as the revision holds it, shared by the workers through the cache.

    A revision never changes, so its copy can be kept; building it from the revision's
    JSON costs a dozen queries, and each approved revision goes to several networks.
    The copy is kept without the accounts' rows: no token ever goes into the cache.
    """
    # The creation time is in the key: a database restored from a backup reuses ids.
    key = f"crieur:revision:{revision.pk}:{revision.created_at.timestamp()}"
    post = cache.get(key)
    if post is None:
        post = revision.as_object()
        for variant in post.variants.all():
            variant._state.fields_cache.pop("account", None)
        cache.set(key, post, timeout=REVISION_CACHE_SECONDS)
    return post


# -- Scheduling and the calendar ------------------------------------------------------------


def schedule_problem(*, at, now=None) -> str | None:
    """Why nothing may be scheduled at `at`, in words the user can act on; else None."""
    now = now or timezone.now()
    if at <= now:
        return gettext("Choose a time in the future: %(at)s has passed.") % {
            "at": timezone.localtime(at).strftime("%d/%m/%Y %H:%M")
        }
    period = period_at(at)
    if period is not None:
        described = period.described()
        return gettext(
            "Nothing may be published during “%(name)s” (%(start)s – %(end)s): %(reason)s "
            "Choose a time outside this period."
        ) % {**described, "reason": described["reason"] + "."}
    return None


def _log(*, post, action: str, by, data: dict) -> None:
    log(instance=post, action=action, user=by, data=data)


def _when(at) -> str:
    return timezone.localtime(at).isoformat(timespec="minutes")


def publications_sync(*, post, by=None) -> list[Publication]:
    """Make the post's open publications match its approved revision and planned time.

    Called when a revision is approved: open publications now carry the new approved
    revision; each account of that revision gets one publication at the planned time;
    an account that left the approved version has its open publication cancelled.
    """
    revision = post.live_revision
    if revision is None or post.planned_at is None:
        return []
    approved = approved_content(revision)  # kept for the workers, who need it soon
    late: list[str] = []
    accounts = {
        a.pk: a
        for a in SocialAccount.objects.filter(
            pk__in=[v.account_id for v in approved.variants.all() if v.account_id]
        )
    }
    result = []
    with transaction.atomic():
        open_ = {
            p.account_id: p
            for p in Publication.objects.select_for_update().open().filter(post=post).order_by("pk")
        }
        for account_id, publication in open_.items():
            if account_id not in accounts:
                publication.transition(
                    State.CANCELLED,
                    error=gettext("This account is no longer in the approved version."),
                )
                publication._history_user = by
                publication.save()
        sent = set(
            Publication.objects.past_the_schedule()
            .filter(post=post, revision=revision)
            .values_list("account_id", flat=True)
        )
        for account_id, account in accounts.items():
            publication = open_.get(account_id)
            if publication is None:
                if account_id in sent:
                    continue  # this revision already went out there: never twice
                if post.planned_at <= timezone.now():
                    late.append(str(account))
                    continue  # approved after its time: it does not go out late
                publication = Publication(
                    post=post, account=account, scheduled_at=post.planned_at, created_by=by
                )
            publication.revision = revision
            publication._history_user = by
            publication.save()
            _enqueue(publication)
            result.append(publication)
        if late:
            _log(
                post=post,
                action="publishing.needs_date",
                by=by,
                data={"planned": _when(post.planned_at), "accounts": ", ".join(late)},
            )
    return result


def _require_move(by) -> None:
    permissions.require(
        permissions.may_move(by), gettext("You may not move posts on the calendar.")
    )


def post_schedule(*, post, at, by) -> list[Publication]:
    """Plan the post for `at`; once approved, its publications go out then.

    Moving a post keeps its approval: only the time changes, never the content.
    """
    _require_move(by)
    problem = schedule_problem(at=at)
    if problem:
        raise ValidationError(problem)
    with transaction.atomic():
        previous = post.planned_at
        type(post).objects.filter(pk=post.pk).update(planned_at=at)
        post.planned_at = at
        _log(
            post=post,
            action="publishing.reschedule",
            by=by,
            data={"from": _when(previous) if previous else "", "to": _when(at)},
        )
        moved = []
        for publication in (
            Publication.objects.select_for_update().open().filter(post=post).order_by("pk")
        ):
            moved.append(_publication_move(publication, at=at, by=by))
        if post.live and not moved:
            moved = publications_sync(post=post, by=by)
    return moved


def _publication_move(publication: Publication, *, at, by) -> Publication:
    """Move an open publication (held locked by the caller) to `at`."""
    if publication.state == State.FROZEN:
        # Held by a blocked period; the new time was checked to be outside every one.
        publication.transition(State.SCHEDULED, error="")
    publication.scheduled_at = at
    publication.not_before = None
    publication._history_user = by
    publication._change_reason = "rescheduled"
    publication.save()
    _enqueue(publication)
    return publication


def publication_reschedule(*, publication: Publication, at, by) -> Publication:
    """Move one publication to `at`; it keeps its approved revision.

    Refused, with the reason, when it has already left or when `at` is in the past or
    in a blocked period (freeze, pre-election reserve).
    """
    _require_move(by)
    problem = schedule_problem(at=at)
    if problem:
        raise ValidationError(problem)
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        if not publication.is_open:
            raise ValidationError(
                gettext(
                    "This publication can no longer be moved: it is %(state)s. Schedule the "
                    "post again instead."
                )
                % {"state": publication.get_state_display().lower()}
            )
        previous = publication.scheduled_at
        _publication_move(publication, at=at, by=by)
        _log(
            post=publication.post,
            action="publishing.reschedule",
            by=by,
            data={
                "account": str(publication.account),
                "from": _when(previous),
                "to": _when(at),
            },
        )
    return publication


# -- Giving up publications -----------------------------------------------------------------


def publication_cancel(*, publication: Publication, by) -> Publication:
    """Give up a publication that has not gone out (or awaits a person's check)."""
    permissions.require(
        permissions.may_act_on_publications(by),
        gettext("You may not cancel publications: ask a community manager or an administrator."),
    )
    return _cancel(publication, by=by)


def _cancel(publication: Publication, *, by) -> Publication:
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        if not publication.can_become(State.CANCELLED):
            raise ValidationError(
                gettext("This publication is %(state)s: it cannot be cancelled.")
                % {"state": publication.get_state_display().lower()}
            )
        publication.transition(State.CANCELLED)
        publication._history_user = by
        publication._change_reason = "cancelled"
        publication.save()
        _log(
            post=publication.post,
            action="publishing.cancel",
            by=by,
            data={"account": str(publication.account), "at": _when(publication.scheduled_at)},
        )
    return publication


def post_publications_cancel(*, post, by) -> list[Publication]:
    """The author gives up what is scheduled for the post (its approved version).

    Editing an approved post leaves its publications on the approved version until the
    new one is approved; this is the author asking to stop them before that.
    """
    permissions.require(
        permissions.may_cancel_post_publications(by, post),
        gettext(
            "Only the post's author, a community manager or an administrator may cancel "
            "its publications."
        ),
    )
    cancelled = []
    with transaction.atomic():
        for publication in (
            Publication.objects.select_for_update()
            .open()
            .filter(post=post)
            .select_related("account")
            .order_by("pk")
        ):
            cancelled.append(_cancel(publication, by=by))
    return cancelled
