"""The publishing engine: due publications claimed once, sent, retried, reconciled.

How a publication goes out:

1. Every tick (Celery beat, every second), `scheduler_tick` hands the publications due
   within the next seconds to the workers (`publication_deliver` tasks, with their due
   time as ETA), marks as missed what is past its account's cut-off, reconciles what a
   dead worker left in `publishing`, and renews the tokens that expire soon.
2. A worker claims the publication atomically (`SELECT … FOR UPDATE SKIP LOCKED`, then
   an update conditional on the state): however many workers receive the task, one
   sends. The claim's time is kept: a claim older than the lease means a dead worker.
3. Blocked periods, the network's budget and its call slots are checked before the
   call (a publication planned before a freeze is `frozen` until it ends); then one
   `Attempt` is recorded and the network called. Only passing failures (`Transient`,
   `RateLimited`) are retried, with exponential backoff and jitter, a bounded number of
   times (a rate limit spends no try); a request that got no answer is `unconfirmed` (a
   person, or reconciliation, checks: never sent blindly). What fails of ours before
   the call (the cache, the database) gives the claim back at once.
4. Every change of state is conditional on the state it leaves: of two processes that
   decide about one publication, one change wins, recorded and announced once.
"""

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import signature
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext

import networks
from cms.adaptation import outgoing, outgoing_parts
from networks import budget
from networks.base import (
    AuthExpired,
    Duplicate,
    NetworkError,
    RateLimited,
    Refreshable,
    Rejected,
    Transient,
    Unconfirmed,
)
from networks.models import SocialAccount
from networks.redaction import redact
from networks.services import accounts_save_grants
from policies.checks import sending_problem
from policies.selectors import period_at
from workflows.roles import ADMINISTRATOR

from . import permissions
from .models import Attempt, Publication
from .selectors import due_publications
from .services import (
    DELIVER_MANY_TASK,
    approved_content,
    due_time,
    heartbeat_record,
    publication_enqueue,
)
from .signals import publication_failed, publication_published

logger = logging.getLogger(__name__)

State = Publication.State
CHORES_KEY = "crieur:scheduler:chores"


# -- Settings read in one place ------------------------------------------------------------


def cutoff(account: SocialAccount) -> timedelta:
    """How late a publication on this account may still go out."""
    return account.cutoff or timedelta(minutes=settings.CRIEUR_PUBLISH_CUTOFF_MINUTES)


def lease() -> timedelta:
    """How long a claim lasts before its worker is presumed dead."""
    return timedelta(seconds=settings.CRIEUR_PUBLISH_LEASE_SECONDS)


def backoff(tries: int) -> timedelta:
    """Exponential, capped, with jitter: 10 s, 20 s, 40 s… (by default)."""
    base = settings.CRIEUR_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(tries - 1, 0), settings.CRIEUR_RETRY_MAX_SECONDS)
    return timedelta(seconds=budget.jitter(seconds))


# -- Handing work to the workers (one publication: services.publication_enqueue) -----------


def due_dispatch(*, now: datetime) -> int:
    """Hand every publication due within the next seconds to the workers, once."""
    horizon = now + timedelta(seconds=settings.CRIEUR_DISPATCH_AHEAD_SECONDS)
    # A backlog is handed over in slices: what was handed over is skipped (below), and
    # the workers take what is due in order.
    rows = list(
        due_publications(until=horizon).values_list("pk", "scheduled_at", "not_before")[
            : settings.CRIEUR_DISPATCH_BATCH
        ]
    )
    if not rows:
        return 0
    keys = {}
    for pk, scheduled_at, not_before in rows:
        due = max(scheduled_at, not_before or scheduled_at)
        keys[f"crieur:dispatched:{pk}:{due.timestamp()}"] = (pk, due)
    # A publication handed over in an earlier tick is not handed over again, unless it
    # is still waiting CRIEUR_DISPATCH_FORGET_SECONDS after its due time (or its hand-
    # over): its task was lost (a worker killed with it, a database that refused it).
    # A second hand-over is harmless: the claim lets one worker through. The marker
    # holds the hand-over time, so the decision follows the scheduler's clock.
    forget = settings.CRIEUR_DISPATCH_FORGET_SECONDS
    already = cache.get_many(list(keys))
    fresh = {
        key: value
        for key, value in keys.items()
        if key not in already or now.timestamp() - max(already[key], value[1].timestamp()) >= forget
    }
    ahead = settings.CRIEUR_DISPATCH_AHEAD_SECONDS
    cache.set_many(dict.fromkeys(fresh, now.timestamp()), timeout=int(forget + ahead) + 5)
    for ids, eta in _batches(sorted(fresh.values(), key=lambda item: item[1])):
        signature(DELIVER_MANY_TASK, args=(ids,)).apply_async(eta=eta if eta > now else None)
    return len(fresh)


def _batches(due_items):
    """Publications due close together travel in one task (a task costs more than a
    claim): at most CRIEUR_DISPATCH_GROUP of them, due within a quarter of a second, the
    task's time being the latest of their due times."""
    window = timedelta(seconds=settings.CRIEUR_DISPATCH_GROUP_SECONDS)
    batch: list[int] = []
    first = last = None
    for pk, due in due_items:
        if batch and (len(batch) >= settings.CRIEUR_DISPATCH_GROUP or due - first > window):
            yield batch, last
            batch = []
        if not batch:
            first = due
        batch.append(pk)
        last = due
    if batch:
        yield batch, last


# -- Claiming ----------------------------------------------------------------------------


def _record(publication: Publication, reason: str = "", *, leaving) -> bool:
    """Save the publication's change of state, with a history row, if it is still in the
    state it leaves (`leaving`: a state or several); else write nothing and say False.

    The update is conditional on that state, so when two processes decide about the same
    publication (the cut-off sweep and a worker, say), one change wins, once: one history
    row, one announcement. A publication that now waits for a person is announced once
    the change commits, whatever path stopped it (a send, the sweep, a reconciliation).
    """
    leaving = (leaving,) if isinstance(leaving, str) else tuple(leaving)
    if reason:
        publication._change_reason = reason
    fields = {
        field.attname: getattr(publication, field.attname)
        for field in Publication._meta.concrete_fields
        if not field.primary_key
    }
    with transaction.atomic():
        if not Publication.objects.filter(pk=publication.pk, state__in=leaving).update(**fields):
            return False
        Publication.history.bulk_history_create(
            [publication], update=True, default_change_reason=reason
        )
    if publication.needs_a_person:
        transaction.on_commit(
            lambda: publication_failed.send(sender=Publication, publication=publication)
        )
    elif publication.state == State.PUBLISHED:
        transaction.on_commit(
            lambda: publication_published.send(sender=Publication, publication=publication)
        )
    return True


def publication_claim(*, publication_id: int, now: datetime) -> Publication | None:
    """Take the publication for this worker if it is due and nobody has it; else None."""
    due = Q(scheduled_at__lte=now) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    with transaction.atomic():
        publication = (
            Publication.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account", "revision")
            .filter(due, pk=publication_id, state=State.SCHEDULED)
            .first()
        )
        if publication is None:
            return None
        left = publication.transition(State.PUBLISHING, claimed_at=now)
        # The conditional update is the claim on databases without row locks (SQLite).
        if not Publication.objects.filter(due, pk=publication_id, state=left).update(
            state=publication.state, claimed_at=now
        ):
            return None
        Publication.history.bulk_history_create(
            [publication], update=True, default_change_reason="claimed"
        )
    return publication


def _release(publication: Publication, *, not_before=None, error: str = "", reason: str) -> None:
    """Give a claimed publication back to the schedule, to be tried at `not_before`."""
    left = publication.transition(
        State.SCHEDULED,
        claimed_at=None,
        not_before=not_before,
        **({"error": error} if error else {}),
    )
    if _record(publication, reason, leaving=left) and not_before is not None:
        eta = not_before
        transaction.on_commit(lambda: publication_enqueue(publication_id=publication.pk, eta=eta))


def _mark_missed(publication: Publication, *, now: datetime) -> bool:
    left = publication.transition(
        State.MISSED, claimed_at=None, error=_missed_reason(publication, now=now)
    )
    return _record(publication, "missed", leaving=left)


def _missed_reason(publication: Publication, *, now: datetime) -> str:
    return gettext(
        "Not sent: it was %(minutes)d minutes late, past this account's cut-off of "
        "%(cutoff)d minutes. Schedule the post again if it is still useful."
    ) % {
        "minutes": (now - publication.scheduled_at).total_seconds() // 60,
        "cutoff": cutoff(publication.account).total_seconds() // 60,
    }


def _freeze(publication: Publication, *, period) -> None:
    """Hold a claimed publication during a blocked period (planned before the period was
    declared): frozen with the reason, until the period's end (`not_before`), when the
    tick gives it back to the schedule, or marks it missed past its cut-off."""
    left = publication.transition(
        State.FROZEN,
        claimed_at=None,
        not_before=period.ends_at,
        error=_frozen_reason(period),
    )
    _record(publication, "frozen: blocked period", leaving=left)


def _frozen_reason(period) -> str:
    return (
        gettext(
            "Held: nothing may be published during “%(name)s”, until %(end)s (%(reason)s). It "
            "goes out when the period ends, if still within its cut-off."
        )
        % period.described()
    )


# After a failure of ours before any request left, the next try comes this soon.
GIVE_BACK_SECONDS = 5.0


def _give_back(publication: Publication, *, now: datetime, error: Exception) -> None:
    """Something of ours (the cache, the database) failed after the claim and before any
    request left: the publication goes back to the schedule at once, for a try in a few
    seconds (no try is spent; its cut-off bounds the waiting), and an attempt says why.

    `unconfirmed` is kept for what may have reached the network."""
    what = redact(f"{type(error).__name__}: {error}")[:300]
    logger.warning("Publication %s: given back before sending (%s)", publication.pk, what)
    retry_at = now + timedelta(seconds=budget.jitter(GIVE_BACK_SECONDS))
    attempt_update(
        Attempt(publication=publication, started_at=now),
        Answer(Attempt.Outcome.ERROR, f"Nothing was sent: {what}. Given back to the schedule."),
    )
    _release(
        publication,
        not_before=retry_at,
        error=gettext(
            "Not sent yet: one of Crieur's own services did not answer (%(e)s); nothing "
            "left for the network. Next try at %(at)s."
        )
        % {"e": type(error).__name__, "at": timezone.localtime(retry_at).strftime("%H:%M:%S")},
        reason="given back: not sent",
    )


# -- Delivering ---------------------------------------------------------------------------


def publication_deliver(*, publication_id: int, now: datetime | None = None):
    """Claim the publication and, if it may go out now, send it once.

    Returns the publication as it ends up, or None when another worker has it or it is
    not due (a task that came early is handed over again for its time).
    """
    now = now or timezone.now()
    publication = publication_claim(publication_id=publication_id, now=now)
    if publication is None:
        early = Publication.objects.filter(
            pk=publication_id, state=State.SCHEDULED, account__status=SocialAccount.Status.CONNECTED
        ).first()
        if early is not None and due_time(early) > now:
            publication_enqueue(publication_id=publication_id, eta=due_time(early))
        return None
    account = publication.account
    try:
        ready, detail = _readiness(publication, now=now)
    except Exception as error:
        _give_back(publication, now=now, error=error)
        return publication
    if ready == "missed":
        _mark_missed(publication, now=now)
    elif ready == "held":
        _release(publication, error=_held_reason(account), reason="held: account")
    elif ready == "frozen":
        _freeze(publication, period=detail)
    elif ready == "waiting":
        _release(publication, not_before=detail + _spread(), reason="waiting: network budget")
    elif ready == "busy":
        _release(
            publication,
            not_before=now + timedelta(seconds=budget.jitter(1.0, 0.5)),
            reason="waiting: network busy",
        )
    else:
        try:
            return publication_send_claimed(publication=publication, variant=detail)
        finally:
            budget.slot_give_back(account.network)  # never raises
    return publication


def _readiness(publication: Publication, *, now: datetime):
    """What stands between a claimed publication and its network, as (what, detail).

    Read before any request leaves: it raises when the database or the cache does not
    answer, and the caller gives the claim back. "send" comes with the approved variant
    and one of the network's call slots taken.
    """
    account = publication.account
    if now - publication.scheduled_at > cutoff(account):
        return "missed", None
    if account.status != SocialAccount.Status.CONNECTED:
        return "held", None
    period = period_at(now)
    if period is not None:
        return "frozen", period
    blocked = budget.blocked_until(account.network, account_id=account.pk)
    if blocked is not None:
        return "waiting", blocked
    variant = _approved_variant(publication)
    if not budget.slot_take(account.network):
        return "busy", None
    return "send", variant


def publications_deliver(*, publication_ids: list[int]) -> list[int]:
    """Deliver publications due together, each on its own; return those not dealt with.

    A failure around one of them (its database or cache out of reach, the saving after
    its send) never holds back the others: the ids returned are handed over again.
    """
    left = []
    for publication_id in publication_ids:
        try:
            publication_deliver(publication_id=publication_id)
        except Exception as error:
            logger.warning("Publication %s: not delivered now (%r)", publication_id, error)
            left.append(publication_id)
    return left


def _spread() -> timedelta:
    """Workers waiting for the same reset do not all call at its first second."""
    return timedelta(seconds=random.uniform(0, 2))  # noqa: S311 - not security


def _held_reason(account: SocialAccount) -> str:
    return gettext(
        "Held: the %(account)s account must be reconnected (Settings → Connect an "
        "account). It goes out once reconnected, if still within its cut-off."
    ) % {"account": account}


def _approved_variant(publication: Publication):
    post = approved_content(publication.revision)
    for variant in post.variants.all():
        if variant.account_id == publication.account_id:
            variant.account = publication.account
            return variant
    return None


def publication_send_claimed(*, publication: Publication, variant) -> Publication:
    """Send a publication this worker has claimed; record the attempt and its outcome.

    Only the approved revision goes out (`variant`: this account's, read from it before
    the claim's checks). Network failures never raise here: they are read from the
    publication's state and its attempts (OUTCOMES says what each comes to).
    """
    started = timezone.now()
    publication.tries += 1
    attempt = Attempt.objects.create(publication=publication, started_at=started)
    network = networks.get(publication.account.network)

    def part_sent(remote_id: str) -> None:
        # Each part's id is kept as soon as the network accepts it: a retry resumes.
        if not publication.remote_id:
            publication.remote_id = remote_id
        else:
            publication.remote_parts = [*publication.remote_parts, remote_id]
        Publication.objects.filter(pk=publication.pk).update(
            remote_id=publication.remote_id, remote_parts=publication.remote_parts
        )

    try:
        if variant is None:
            raise Rejected(gettext("The approved version has no text for this account."))
        done = tuple(p for p in [publication.remote_id, *publication.remote_parts] if p)
        ref = network.publish(
            outgoing(variant),
            account=publication.account,
            key=f"crieur-{publication.pk}",
            done_parts=done,
            on_part=part_sent,
        )
    except Exception as error:
        outcome, next_step = outcome_of(error)
        answer, step = Answer.of(outcome, error), next_step(publication, error)
    else:
        answer, step = _sent(publication, ref)
    left = publication.transition(step.state, error=step.reason, claimed_at=None, **step.changes)
    with transaction.atomic():  # the attempt, the state and its history: one commit
        attempt_update(attempt, answer)
        _record(publication, answer.outcome, leaving=left)
    if step.retry_at is not None:
        publication_enqueue(publication_id=publication.pk, eta=step.retry_at)
    return publication


# -- What a try comes to --------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What came back from one try, as its `Attempt` keeps it."""

    outcome: str  # an Attempt.Outcome
    message: str = ""
    status_code: int | None = None
    body: Any = None

    @classmethod
    def of(cls, outcome: str, error: Exception) -> "Answer":
        if isinstance(error, NetworkError):
            return cls(outcome, error.message, error.status, error.body)
        return cls(outcome, redact(repr(error)))  # a fault of ours: the network said nothing


@dataclass(frozen=True)
class Step:
    """Where the publication goes after a try: its next state, what a person reads there
    (`reason`, the publication's `error`), its other fields that change, and when the
    workers try again."""

    state: str
    reason: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    retry_at: datetime | None = None


def attempt_update(attempt: Attempt, answer: Answer) -> Attempt:
    """Fill the attempt from what came back and save it: the outcome, the network's words,
    its status code and its answer, cut to Attempt.ANSWER_MAX_CHARS."""
    attempt.finished_at = timezone.now()
    attempt.outcome = answer.outcome
    attempt.message = answer.message
    attempt.status_code = answer.status_code
    attempt.answer = _capped(answer.body)
    if attempt.pk is None:
        attempt.save()
    else:
        attempt.save(update_fields=["finished_at", "outcome", "message", "status_code", "answer"])
    return attempt


def _capped(body: Any) -> Any:
    """The network's answer as it came when small enough, else the start of its text."""
    if body is None:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    if len(text) > Attempt.ANSWER_MAX_CHARS:
        return text[: Attempt.ANSWER_MAX_CHARS] + "…"
    return body if isinstance(body, str) else json.loads(text)


def _sent(publication: Publication, ref) -> tuple[Answer, Step]:
    """The network took the post (or, on the assisted WhatsApp channel, its administrators
    have it to post)."""
    changes = {
        "remote_id": ref.id or publication.remote_id,
        "remote_url": ref.url,
        "remote_parts": list(ref.parts) or publication.remote_parts,
        "remote_data": ref.data,
        "published_at": timezone.now(),
    }
    if ref.data.get("awaiting_confirmation"):
        return Answer(Attempt.Outcome.AWAITING_CONFIRMATION), Step(
            State.AWAITING_CONFIRMATION, changes=changes
        )
    return Answer(Attempt.Outcome.PUBLISHED), Step(State.PUBLISHED, changes=changes)


def _already_there(publication: Publication, error: Duplicate) -> Step:
    """The network has the post already: published, never sent again."""
    changes: dict[str, Any] = {"published_at": publication.published_at or timezone.now()}
    if error.ref:
        changes["remote_id"] = publication.remote_id or error.ref.id
        changes["remote_url"] = error.ref.url
    return Step(State.PUBLISHED, changes=changes)


def _held_for_reconnection(publication: Publication, error: AuthExpired) -> Step:
    """The account's access is gone: held (not retried) until it is reconnected."""
    account_needs_reconnect(account=publication.account, reason=error.message)
    return Step(State.SCHEDULED, _held_reason(publication.account))


def _to_check(publication: Publication, error: Unconfirmed) -> Step:
    """The request left and no answer came: a person (or reconciliation) checks; never
    sent again blindly."""
    return Step(
        State.UNCONFIRMED,
        gettext(
            "The network did not answer in time: check on the network whether the post is "
            "there, then mark it published or send it again."
        ),
    )


def _after_the_reset(publication: Publication, error: RateLimited) -> Step:
    # A rate limit is a wait, not a try: it spends none of the tries, and the cut-off
    # bounds how long the publication waits for the reset.
    publication.tries -= 1
    reset_at = error.reset_at or timezone.now() + timedelta(seconds=60)
    scoped = publication.account_id if error.scope == "account" else None
    budget.block(publication.account.network, reset_at, account_id=scoped)
    return _retry_or_give_up(publication, retry_at=reset_at + _spread(), message=error.message)


def _after_a_backoff(publication: Publication, error: Transient) -> Step:
    retry_at = timezone.now() + backoff(publication.tries)
    return _retry_or_give_up(publication, retry_at=retry_at, message=error.message)


def _failed(publication: Publication, error: NetworkError) -> Step:
    """Refused for good: the network's reason is what the author reads."""
    return Step(State.FAILED, error.message)


def _unknown(publication: Publication, error: Exception) -> Step:
    """A fault of ours after the call may have left: as unknown as a timeout."""
    logger.error("Publication %s: unexpected error while sending", publication.pk, exc_info=error)
    return Step(
        State.UNCONFIRMED,
        gettext(
            "An unexpected error stopped the sending: check on the network whether the post "
            "is there, then mark it published or send it again."
        ),
    )


# What each error of a network (networks.base), or anything else raised while sending,
# comes to: the attempt's outcome, and the step that says where the publication goes.
# The most specific type decides. Only passing failures are tried again.
OUTCOMES: dict[type[Exception], tuple[str, Callable[[Publication, Any], Step]]] = {
    Duplicate: (Attempt.Outcome.DUPLICATE, _already_there),
    AuthExpired: (Attempt.Outcome.AUTH_EXPIRED, _held_for_reconnection),
    Unconfirmed: (Attempt.Outcome.UNCONFIRMED, _to_check),
    RateLimited: (Attempt.Outcome.RATE_LIMITED, _after_the_reset),
    Transient: (Attempt.Outcome.TRANSIENT, _after_a_backoff),
    Rejected: (Attempt.Outcome.REJECTED, _failed),
    NetworkError: (Attempt.Outcome.ERROR, _failed),
    Exception: (Attempt.Outcome.UNCONFIRMED, _unknown),
}


def outcome_of(error: Exception) -> tuple[str, Callable[[Publication, Any], Step]]:
    return next(OUTCOMES[kind] for kind in type(error).__mro__ if kind in OUTCOMES)


def _retry_or_give_up(publication: Publication, *, retry_at: datetime, message: str) -> Step:
    """The next try, unless the tries are spent or it would be past the cut-off."""
    if retry_at - publication.scheduled_at > cutoff(publication.account):
        return Step(
            State.MISSED,
            gettext("Not sent: the network kept failing until past this account's cut-off (%(e)s).")
            % {"e": message},
        )
    if publication.tries >= settings.CRIEUR_PUBLISH_MAX_TRIES:
        return Step(
            State.FAILED,
            gettext(
                "The network failed %(tries)d times (%(e)s): try again later from the dashboard."
            )
            % {"tries": publication.tries, "e": message},
        )
    return Step(
        State.SCHEDULED,
        gettext("The network failed for now (%(e)s): next try at %(at)s.")
        % {"e": message, "at": timezone.localtime(retry_at).strftime("%H:%M:%S")},
        changes={"not_before": retry_at},
        retry_at=retry_at,
    )


# -- Accounts ----------------------------------------------------------------------------


def account_needs_reconnect(*, account: SocialAccount, reason: str = "") -> bool:
    """Mark the account to reconnect and alert the administrators, once per incident."""
    changed = SocialAccount.objects.filter(
        pk=account.pk, status=SocialAccount.Status.CONNECTED
    ).update(status=SocialAccount.Status.NEEDS_RECONNECT)
    account.status = SocialAccount.Status.NEEDS_RECONNECT
    if changed:
        fresh = SocialAccount.objects.get(pk=account.pk)
        fresh._change_reason = "access expired"
        fresh.save()  # the history row of the change
        held = Publication.objects.queued().filter(account=account).count()
        administrators_alert(
            subject=gettext("Crieur: reconnect the %(account)s account") % {"account": account},
            message=gettext(
                "The network refused Crieur's access to %(account)s (%(reason)s).\n\n"
                "%(held)d scheduled publications are held until an administrator reconnects "
                "the account: Settings → Connect an account. Those still within their "
                "cut-off will go out then."
            )
            % {"account": account, "reason": reason or "—", "held": held},
        )
    return bool(changed)


def administrators_alert(*, subject: str, message: str) -> int:
    """E-mail the administrators (the Administrator role and superusers)."""
    users = get_user_model().objects.filter(
        Q(groups__name=ADMINISTRATOR.group_name) | Q(is_superuser=True), is_active=True
    )
    recipients = sorted({u.email for u in users if u.email})
    if not recipients:
        logger.warning("No administrator has an e-mail address for: %s", subject)
        return 0
    try:
        return send_mail(subject, message, None, recipients)
    except OSError:
        logger.exception("Could not e-mail the administrators: %s", subject)
        return 0


def accounts_refresh(*, now: datetime) -> int:
    """Renew the tokens that expire within the next hours; return how many were renewed."""
    ahead = timedelta(hours=settings.CRIEUR_TOKEN_REFRESH_AHEAD_HOURS)
    renewed = 0
    for account in SocialAccount.objects.filter(
        status=SocialAccount.Status.CONNECTED,
        token_expires_at__isnull=False,
        token_expires_at__lt=now + ahead,
    ).order_by("token_expires_at"):
        network = networks.get(account.network)
        if not isinstance(network, Refreshable):
            continue
        try:
            grant = network.refresh(account)
        except AuthExpired as error:
            account_needs_reconnect(account=account, reason=error.message)
        except NetworkError as error:
            logger.warning("Could not renew the token of %s: %s", account, error.message)
        else:
            accounts_save_grants(grants=[grant])
            renewed += 1
    return renewed


# -- Reconciling what a dead worker left ----------------------------------------------------


def publications_reconcile_stale(*, now: datetime) -> int:
    """Reconcile each publication whose claim outlived the lease (its worker died)."""
    stale = list(
        Publication.objects.filter(state=State.PUBLISHING, claimed_at__lt=now - lease())
        .order_by("claimed_at")
        .values_list("pk", flat=True)[:100]
    )
    for pk in stale:
        publication_reconcile(publication_id=pk, now=now)
    return len(stale)


def _look_up(publication: Publication, *, since: datetime):
    """The publication's post on the network, if it is there (raises NetworkError when
    the network cannot be asked)."""
    variant = _approved_variant(publication)
    if variant is None:
        raise NetworkError("no approved version for this account")
    return networks.get(publication.account.network).find_recent(
        publication.account, text=outgoing_parts(variant)[0], since=since
    )


def _mark_found(publication: Publication, ref, *, now: datetime) -> str:
    """The post was found on the network: the publication is published, never resent.
    Returns the state it leaves."""
    return publication.transition(
        State.PUBLISHED,
        remote_id=publication.remote_id or ref.id,
        remote_url=ref.url,
        published_at=publication.published_at or now,
        error="",
    )


def publication_reconcile(*, publication_id: int, now: datetime | None = None):
    """Ask the network whether a publication a dead worker left is there, before any retry.

    Found: published. Not there and nothing of it sent: back to the schedule (or missed).
    Partly sent, or the network cannot say: unconfirmed, for a person to check.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = list(
            Publication.objects.select_for_update(skip_locked=True)
            .filter(pk=publication_id, state=State.PUBLISHING, claimed_at__lt=now - lease())
            .values_list("pk", flat=True)
        )
        if not locked or not Publication.objects.filter(
            pk=publication_id, state=State.PUBLISHING, claimed_at__lt=now - lease()
        ).update(claimed_at=now):
            return None
    publication = Publication.objects.select_related("account", "revision", "post").get(
        pk=publication_id
    )
    Attempt.objects.filter(publication=publication, finished_at__isnull=True).update(
        finished_at=now,
        outcome=Attempt.Outcome.UNCONFIRMED,
        message="The worker stopped while sending.",
    )
    attempt = Attempt.objects.create(publication=publication, started_at=now)
    ref, failure = None, None
    try:
        since = publication.scheduled_at - timedelta(minutes=10)
        if publication.claimed_at and publication.claimed_at < since:
            since = publication.claimed_at
        ref = _look_up(publication, since=since)
        can_tell = publication.account.network != "whatsapp"
    except NetworkError as error:
        can_tell, failure = False, error
    if ref is not None:
        answer = Answer(Attempt.Outcome.PUBLISHED, "Found on the network after the worker stopped.")
        left = _mark_found(publication, ref, now=now)
    elif can_tell and not publication.remote_id and not publication.remote_parts:
        answer = Answer(Attempt.Outcome.TRANSIENT, "Not on the network: sent again.")
        if now - publication.scheduled_at > cutoff(publication.account):
            left = publication.transition(State.MISSED, error=_missed_reason(publication, now=now))
        else:
            left = publication.transition(State.SCHEDULED, not_before=None)
    else:
        answer = Answer(
            Attempt.Outcome.UNCONFIRMED,
            getattr(failure, "message", "") or "The network cannot say whether the post is there.",
            getattr(failure, "status", None),
            getattr(failure, "body", None),
        )
        left = publication.transition(
            State.UNCONFIRMED,
            error=gettext(
                "The worker stopped while sending and the network cannot say whether the "
                "post is there: check on the network, then mark it published or send it again."
            ),
        )
    attempt_update(attempt, answer)
    publication.claimed_at = None
    recorded = _record(publication, "reconciled", leaving=left)
    if recorded and publication.state == State.SCHEDULED:
        transaction.on_commit(lambda: publication_enqueue(publication_id=publication_id))
    return publication


# -- The tick ------------------------------------------------------------------------------


def publications_mark_missed(*, now: datetime) -> int:
    """Scheduled publications past their account's cut-off will not go out: missed."""
    shortest = timedelta(minutes=settings.CRIEUR_PUBLISH_CUTOFF_MINUTES)
    custom = SocialAccount.objects.aggregate(shortest=Min("cutoff"))["shortest"]
    if custom is not None:
        shortest = min(shortest, custom)
    count = 0
    for publication in Publication.objects.filter(
        state=State.SCHEDULED, scheduled_at__lt=now - shortest
    ).select_related("account"):
        # A worker may have claimed it since it was read: then the worker decides.
        if now - publication.scheduled_at > cutoff(publication.account) and _mark_missed(
            publication, now=now
        ):
            count += 1
    return count


def publications_thaw(*, now: datetime) -> int:
    """Publications frozen by a blocked period go back to the schedule when it ends, or
    are missed when past their cut-off by then.

    Those held by a period carry its end in `not_before`; a period extended, or followed
    by another, keeps them frozen until the new end.
    """
    period = period_at(now)
    count = 0
    for publication in Publication.objects.filter(
        state=State.FROZEN, not_before__isnull=False, not_before__lte=now
    ).select_related("account"):
        if period is not None:
            publication.not_before = period.ends_at
            publication.error = _frozen_reason(period)
            _record(publication, "frozen: blocked period", leaving=State.FROZEN)
            continue
        if now - publication.scheduled_at > cutoff(publication.account):
            recorded = _mark_missed(publication, now=now)
        else:
            left = publication.transition(State.SCHEDULED, not_before=None, error="")
            recorded = _record(publication, "thawed: period over", leaving=left)
            if recorded:
                transaction.on_commit(partial(publication_enqueue, publication_id=publication.pk))
        count += recorded
    return count


def scheduler_tick(*, now: datetime | None = None) -> dict:
    """One beat of the scheduler: what is due is handed over, the rest kept in order."""
    now = now or timezone.now()
    heartbeat_record()
    figures = {"dispatched": due_dispatch(now=now)}
    # The slower chores run about once every ten seconds, whichever worker gets there.
    if cache.add(CHORES_KEY, 1, timeout=settings.CRIEUR_CHORES_SECONDS):
        figures["missed"] = publications_mark_missed(now=now)
        figures["thawed"] = publications_thaw(now=now)
        figures["reconciled"] = publications_reconcile_stale(now=now)
        figures["renewed"] = accounts_refresh(now=now)
    return figures


# -- A person's actions: sending at once, sending again --------------------------------------


def publication_send(*, publication: Publication) -> Publication:
    """Claim and send one publication now (it must be due); return it as it ends up."""
    return publication_deliver(publication_id=publication.pk) or Publication.objects.get(
        pk=publication.pk
    )


def post_send_now(*, post, by) -> list[Publication]:
    """Send the post's approved revision to each of its accounts at once (by hand).

    Only the approved (live) revision is sent; the scheduler will do the same on time.
    """
    permissions.require(
        permissions.may_send_now(by), gettext("Only administrators can send a post at once.")
    )
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


def publication_retry(*, publication: Publication, by) -> Publication:
    """Send again a failed or unconfirmed publication, after checking the network.

    An unconfirmed one is first looked up on the network: if the post is there, it is
    marked published and nothing is sent.
    """
    permissions.require(
        permissions.may_act_on_publications(by),
        gettext(
            "You may not send publications again: ask a community manager or an administrator."
        ),
    )
    publication = Publication.objects.select_related("account", "revision").get(pk=publication.pk)
    if not publication.needs_a_person:
        raise ValidationError(
            gettext("This publication is %(state)s: there is nothing to retry.")
            % {"state": publication.get_state_display().lower()}
        )
    if publication.account.status != SocialAccount.Status.CONNECTED:
        raise ValidationError(_held_reason(publication.account))
    blocked = sending_problem(at=timezone.now())
    if blocked:
        raise ValidationError(blocked)
    if publication.state == State.UNCONFIRMED:
        try:
            ref = _look_up(publication, since=publication.scheduled_at - timedelta(minutes=10))
        except NetworkError as error:
            raise ValidationError(
                gettext(
                    "The network could not be asked whether the post is there (%(e)s): "
                    "try again in a moment."
                )
                % {"e": error.message}
            ) from error
        if ref is not None:
            left = _mark_found(publication, ref, now=timezone.now())
            publication._history_user = by
            _record(publication, "found on the network", leaving=left)
            return publication
    now = timezone.now()
    leaving = publication.transition(State.SCHEDULED, tries=0, not_before=None, error="")
    if now - publication.scheduled_at > cutoff(publication.account):
        # A person decided it is still useful: it goes out now, not at the old time.
        publication.scheduled_at = now
    publication._history_user = by
    if not _record(publication, "retried", leaving=leaving):
        raise ValidationError(
            gettext("This publication changed meanwhile: reload the page to see where it is.")
        )
    transaction.on_commit(lambda: publication_enqueue(publication_id=publication.pk))
    return publication
