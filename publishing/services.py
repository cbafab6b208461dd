"""Changing publishing state: heartbeats, credentials, connecting accounts, sending."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from networks.models import SocialAccount
from policies.checks import sending_problem

from .models import Heartbeat, Publication

SCHEDULER = "scheduler"


def heartbeat_record(*, name: str = SCHEDULER) -> Heartbeat:
    """Record that the named process is alive now; safe to call from many workers."""
    now = timezone.now()
    with transaction.atomic():
        updated = Heartbeat.objects.filter(name=name).update(beat_at=now, count=F("count") + 1)
        if not updated:
            Heartbeat.objects.get_or_create(name=name, defaults={"beat_at": now, "count": 1})
    return Heartbeat.objects.get(name=name)


# -- Sending ----------------------------------------------------------------------------


def publication_send(*, publication: Publication) -> Publication:
    """Claim and send one publication now (it must be due); return it as it ends up."""
    from .scheduler import publication_deliver

    return publication_deliver(publication_id=publication.pk) or Publication.objects.get(
        pk=publication.pk
    )


def post_send_now(*, post, by) -> list[Publication]:
    """Send the post's approved revision to each of its accounts at once (by hand).

    Only the approved (live) revision is sent; the scheduler will do the same on time.
    """
    if not by.has_perm("publishing.send_now"):
        raise PermissionDenied(gettext("Only administrators can send a post at once."))
    blocked = sending_problem(at=timezone.now())
    if blocked:  # the pre-election reserve, a freeze: no door sends during them
        raise ValidationError(blocked)
    revision = post.live_revision
    if revision is None:
        raise ValidationError(
            gettext("This post is not approved yet: it must go through its circuit first.")
        )
    approved = revision.as_object()
    accounts = [v.account for v in approved.variants.all() if v.account_id]
    if not accounts:
        raise ValidationError(
            gettext("The approved version has no network version: add one and have it approved.")
        )
    now = timezone.now()
    publications = []
    for account in accounts:
        if account.status != SocialAccount.Status.CONNECTED:
            continue
        publication = Publication(
            post=post, revision=revision, account=account, scheduled_at=now, created_by=by
        )
        publication._history_user = by
        publication.save()
        publications.append(publication_send(publication=publication))
    return publications


# -- Connecting accounts ----------------------------------------------------------------

# OAuth provider → the network module that runs its flow (Meta's gives Pages and Instagram).
# -- Scheduling and the calendar ------------------------------------------------------------


def schedule_problem(*, at, now=None) -> str | None:
    """Why nothing may be scheduled at `at`, in words the user can act on; else None."""
    from policies.selectors import period_at

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
    from wagtail.log_actions import log

    log(instance=post, action=action, user=by, data=data)


def _when(at) -> str:
    return timezone.localtime(at).isoformat(timespec="minutes")


def _enqueue(publication: Publication) -> None:
    """Once committed, hand the publication to the workers for its due time."""
    from .scheduler import publication_enqueue

    transaction.on_commit(lambda: publication_enqueue(publication_id=publication.pk))


def publications_sync(*, post, by=None) -> list[Publication]:
    """Make the post's open publications match its approved revision and planned time.

    Called when a revision is approved: open publications now carry the new approved
    revision; each account of that revision gets one publication at the planned time;
    an account that left the approved version has its open publication cancelled.
    """
    revision = post.live_revision
    if revision is None or post.planned_at is None:
        return []
    from .scheduler import approved_content

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
                publication.state = Publication.State.CANCELLED
                publication.error = gettext("This account is no longer in the approved version.")
                publication._history_user = by
                publication.save()
        sent = set(
            Publication.objects.filter(post=post, revision=revision)
            .exclude(state__in=[Publication.State.SCHEDULED, Publication.State.CANCELLED])
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


def post_schedule(*, post, at, by) -> list[Publication]:
    """Plan the post for `at`; once approved, its publications go out then.

    Moving a post keeps its approval: only the time changes, never the content.
    """
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
    if publication.state == Publication.State.FROZEN:
        # Held by a blocked period; the new time was checked to be outside every one.
        publication.state = Publication.State.SCHEDULED
        publication.error = ""
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


def publication_cancel(*, publication: Publication, by) -> Publication:
    """Give up a publication that has not gone out (or awaits a person's check)."""
    cancellable = [
        Publication.State.SCHEDULED,
        Publication.State.FROZEN,
        Publication.State.FAILED,
        Publication.State.UNCONFIRMED,
        Publication.State.MISSED,
    ]
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        if publication.state not in cancellable:
            raise ValidationError(
                gettext("This publication is %(state)s: it cannot be cancelled.")
                % {"state": publication.get_state_display().lower()}
            )
        publication.state = Publication.State.CANCELLED
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
    cancelled = []
    with transaction.atomic():
        for publication in (
            Publication.objects.select_for_update()
            .open()
            .filter(post=post)
            .select_related("account")
            .order_by("pk")
        ):
            cancelled.append(publication_cancel(publication=publication, by=by))
    return cancelled
