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

import logging
import random
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext

from networks import budget
from networks.models import SocialAccount
from networks.redaction import redact
from policies.checks import sending_problem
from policies.selectors import period_at

from .models import Attempt, Publication
from .selectors import due_publications
from .signals import publication_failed

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


def due_time(publication: Publication) -> datetime:
    if publication.not_before and publication.not_before > publication.scheduled_at:
        return publication.not_before
    return publication.scheduled_at


# -- Handing work to the workers ----------------------------------------------------------


def publication_enqueue(*, publication_id: int, eta: datetime | None = None) -> None:
    """Ask a worker to deliver the publication at `eta` (at once if empty or past).

    Only near publications are handed over (the tick hands over the others when they
    come near): a broker holding weeks-long ETAs would redeliver them many times.
    """
    from .tasks import publication_deliver_task

    now = timezone.now()
    if eta is None:
        row = Publication.objects.filter(pk=publication_id, state=State.SCHEDULED).first()
        if row is None:
            return
        eta = due_time(row)
    if eta - now > timedelta(seconds=settings.CRIEUR_DISPATCH_AHEAD_SECONDS):
        return
    try:
        publication_deliver_task.apply_async((publication_id,), eta=eta if eta > now else None)
    except Exception as error:
        # The broker is out of reach: the publication is scheduled, and the tick hands
        # it over when it is due (the state already says what is to be done).
        logger.warning("Publication %s: not handed over (%r)", publication_id, error)


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
    from .tasks import publications_deliver_task

    for ids, eta in _batches(sorted(fresh.values(), key=lambda item: item[1])):
        publications_deliver_task.apply_async((ids,), eta=eta if eta > now else None)
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
    if publication.state in Publication.NEEDS_A_PERSON:
        transaction.on_commit(
            lambda: publication_failed.send(sender=Publication, publication=publication)
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
        # The conditional update is the claim on databases without row locks (SQLite).
        if publication is None or not (
            Publication.objects.filter(due, pk=publication_id, state=State.SCHEDULED).update(
                state=State.PUBLISHING, claimed_at=now
            )
        ):
            return None
        publication.state, publication.claimed_at = State.PUBLISHING, now
        Publication.history.bulk_history_create(
            [publication], update=True, default_change_reason="claimed"
        )
    return publication


def _release(publication: Publication, *, not_before=None, error: str = "", reason: str) -> None:
    """Give a claimed publication back to the schedule, to be tried at `not_before`."""
    publication.state = State.SCHEDULED
    publication.claimed_at = None
    publication.not_before = not_before
    if error:
        publication.error = error
    if _record(publication, reason, leaving=State.PUBLISHING) and not_before is not None:
        eta = not_before
        transaction.on_commit(lambda: publication_enqueue(publication_id=publication.pk, eta=eta))


def _mark_missed(publication: Publication, *, now: datetime, leaving) -> bool:
    publication.state = State.MISSED
    publication.claimed_at = None
    publication.error = _missed_reason(publication, now=now)
    return _record(publication, "missed", leaving=leaving)


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
    publication.state = State.FROZEN
    publication.claimed_at = None
    publication.not_before = period.ends_at
    publication.error = _frozen_reason(period)
    _record(publication, "frozen: blocked period", leaving=State.PUBLISHING)


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
    Attempt.objects.create(
        publication=publication,
        started_at=now,
        finished_at=timezone.now(),
        outcome=Attempt.Outcome.ERROR,
        message=f"Nothing was sent: {what}. Given back to the schedule.",
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
        _mark_missed(publication, now=now, leaving=State.PUBLISHING)
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
    publication's state and its attempts.
    """
    import networks
    from networks.base import (
        AuthExpired,
        Duplicate,
        NetworkError,
        RateLimited,
        Rejected,
        Transient,
        Unconfirmed,
    )

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

    outcome, message, answer = Attempt.Outcome.ERROR, "", None
    retry_at = None
    try:
        if variant is None:
            raise Rejected(gettext("The approved version has no text for this account."))
        done = tuple(p for p in [publication.remote_id, *publication.remote_parts] if p)
        ref = network.publish(
            variant, key=f"crieur-{publication.pk}", done_parts=done, on_part=part_sent
        )
    except Duplicate as error:
        outcome, message, answer = Attempt.Outcome.DUPLICATE, error.message, error.body
        publication.state = State.PUBLISHED
        publication.published_at = publication.published_at or timezone.now()
        publication.error = ""
        if error.ref:
            publication.remote_id = publication.remote_id or error.ref.id
            publication.remote_url = error.ref.url
    except AuthExpired as error:
        outcome, message, answer = Attempt.Outcome.AUTH_EXPIRED, error.message, error.body
        account_needs_reconnect(account=publication.account, reason=error.message)
        publication.state = State.SCHEDULED
        publication.error = _held_reason(publication.account)
    except Unconfirmed as error:
        outcome, message, answer = Attempt.Outcome.UNCONFIRMED, error.message, error.body
        publication.state = State.UNCONFIRMED
        publication.error = gettext(
            "The network did not answer in time: check on the network whether the post is "
            "there, then mark it published or send it again."
        )
    except (Transient, RateLimited) as error:
        message, answer = error.message, error.body
        if isinstance(error, RateLimited):
            # A rate limit is a wait, not a try: it spends none of the tries, and the
            # cut-off bounds how long the publication waits for the reset.
            publication.tries -= 1
            outcome = Attempt.Outcome.RATE_LIMITED
            reset_at = error.reset_at or timezone.now() + timedelta(seconds=60)
            scoped = publication.account_id if error.scope == "account" else None
            budget.block(publication.account.network, reset_at, account_id=scoped)
            retry_at = reset_at + _spread()
        else:
            outcome = Attempt.Outcome.TRANSIENT
            retry_at = timezone.now() + backoff(publication.tries)
        retry_at = _retry_or_give_up(publication, retry_at=retry_at, message=error.message)
    except Rejected as error:
        outcome, message, answer = Attempt.Outcome.REJECTED, error.message, error.body
        publication.state = State.FAILED
        publication.error = error.message
    except NetworkError as error:
        message, answer = error.message, error.body
        publication.state = State.FAILED
        publication.error = error.message
    except Exception as error:
        # A fault of ours after the call may have left: as unknown as a timeout.
        logger.exception("Publication %s: unexpected error while sending", publication.pk)
        outcome, message = Attempt.Outcome.UNCONFIRMED, redact(repr(error))
        publication.state = State.UNCONFIRMED
        publication.error = gettext(
            "An unexpected error stopped the sending: check on the network whether the post "
            "is there, then mark it published or send it again."
        )
    else:
        publication.remote_id = ref.id or publication.remote_id
        publication.remote_url = ref.url
        publication.remote_parts = list(ref.parts) or publication.remote_parts
        publication.remote_data = ref.data
        publication.published_at = timezone.now()
        publication.error = ""
        if ref.data.get("awaiting_confirmation"):
            outcome = Attempt.Outcome.AWAITING_CONFIRMATION
            publication.state = State.AWAITING_CONFIRMATION
        else:
            outcome = Attempt.Outcome.PUBLISHED
            publication.state = State.PUBLISHED
    attempt.finished_at = timezone.now()
    attempt.outcome = outcome
    attempt.message = message
    attempt.answer = answer if isinstance(answer, dict | list) else None
    if publication.state != State.PUBLISHING:
        publication.claimed_at = None
    with transaction.atomic():  # the attempt, the state and its history: one commit
        attempt.save(update_fields=["finished_at", "outcome", "message", "answer"])
        _record(publication, outcome, leaving=State.PUBLISHING)
    if retry_at is not None:
        publication_enqueue(publication_id=publication.pk, eta=retry_at)
    return publication


def _retry_or_give_up(publication: Publication, *, retry_at: datetime, message: str):
    """Schedule the next try, unless the tries are spent or it would be past the cut-off."""
    if retry_at - publication.scheduled_at > cutoff(publication.account):
        publication.state = State.MISSED
        publication.error = gettext(
            "Not sent: the network kept failing until past this account's cut-off (%(e)s)."
        ) % {"e": message}
        return None
    if publication.tries >= settings.CRIEUR_PUBLISH_MAX_TRIES:
        publication.state = State.FAILED
        publication.error = gettext(
            "The network failed %(tries)d times (%(e)s): try again later from the dashboard."
        ) % {"tries": publication.tries, "e": message}
        return None
    publication.state = State.SCHEDULED
    publication.not_before = retry_at
    publication.error = gettext("The network failed for now (%(e)s): next try at %(at)s.") % {
        "e": message,
        "at": timezone.localtime(retry_at).strftime("%H:%M:%S"),
    }
    return retry_at


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
        held = Publication.objects.filter(
            account=account, state__in=[State.SCHEDULED, State.PUBLISHING]
        ).count()
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
    from workflows.roles import ADMINISTRATOR

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
    import networks
    from networks.base import AuthExpired, NetworkError
    from networks.services import accounts_save_grants

    ahead = timedelta(hours=settings.CRIEUR_TOKEN_REFRESH_AHEAD_HOURS)
    renewed = 0
    for account in SocialAccount.objects.filter(
        status=SocialAccount.Status.CONNECTED,
        token_expires_at__isnull=False,
        token_expires_at__lt=now + ahead,
    ).order_by("token_expires_at"):
        network = networks.get(account.network)
        if not hasattr(network, "refresh"):
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
    import networks
    from networks.base import NetworkError
    from networks.outgoing import outgoing_parts

    variant = _approved_variant(publication)
    if variant is None:
        raise NetworkError("no approved version for this account")
    return networks.get(publication.account.network).find_recent(
        publication.account, text=outgoing_parts(variant)[0], since=since
    )


def _mark_found(publication: Publication, ref, *, now: datetime) -> None:
    """The post was found on the network: the publication is published, never resent."""
    publication.state = State.PUBLISHED
    publication.remote_id = publication.remote_id or ref.id
    publication.remote_url = ref.url
    publication.published_at = publication.published_at or now
    publication.error = ""


def publication_reconcile(*, publication_id: int, now: datetime | None = None):
    """Ask the network whether a publication a dead worker left is there, before any retry.

    Found: published. Not there and nothing of it sent: back to the schedule (or missed).
    Partly sent, or the network cannot say: unconfirmed, for a person to check.
    """
    from networks.base import NetworkError

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
    ref, answer = None, None
    try:
        since = publication.scheduled_at - timedelta(minutes=10)
        if publication.claimed_at and publication.claimed_at < since:
            since = publication.claimed_at
        ref = _look_up(publication, since=since)
        can_tell = publication.account.network != "whatsapp"
    except NetworkError as error:
        can_tell, answer = False, error.message
    if ref is not None:
        attempt.outcome = Attempt.Outcome.PUBLISHED
        attempt.message = "Found on the network after the worker stopped."
        _mark_found(publication, ref, now=now)
    elif can_tell and not publication.remote_id and not publication.remote_parts:
        attempt.outcome = Attempt.Outcome.TRANSIENT
        attempt.message = "Not on the network: sent again."
        if now - publication.scheduled_at > cutoff(publication.account):
            publication.state = State.MISSED  # recorded below, with the attempt
            publication.error = _missed_reason(publication, now=now)
        else:
            publication.state = State.SCHEDULED
            publication.not_before = None
    else:
        attempt.outcome = Attempt.Outcome.UNCONFIRMED
        attempt.message = str(answer or "The network cannot say whether the post is there.")
        publication.state = State.UNCONFIRMED
        publication.error = gettext(
            "The worker stopped while sending and the network cannot say whether the post "
            "is there: check on the network, then mark it published or send it again."
        )
    attempt.finished_at = timezone.now()
    attempt.save()
    publication.claimed_at = None
    recorded = _record(publication, "reconciled", leaving=State.PUBLISHING)
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
            publication, now=now, leaving=State.SCHEDULED
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
            recorded = _mark_missed(publication, now=now, leaving=State.FROZEN)
        else:
            publication.state = State.SCHEDULED
            publication.not_before = None
            publication.error = ""
            recorded = _record(publication, "thawed: period over", leaving=State.FROZEN)
            if recorded:
                transaction.on_commit(partial(publication_enqueue, publication_id=publication.pk))
        count += recorded
    return count


def scheduler_tick(*, now: datetime | None = None) -> dict:
    """One beat of the scheduler: what is due is handed over, the rest kept in order."""
    from .services import heartbeat_record

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


# -- A person's actions from the dashboard -------------------------------------------------


def publication_retry(*, publication: Publication, by) -> Publication:
    """Send again a failed or unconfirmed publication, after checking the network.

    An unconfirmed one is first looked up on the network: if the post is there, it is
    marked published and nothing is sent.
    """
    from django.core.exceptions import ValidationError

    from networks.base import NetworkError

    publication = Publication.objects.select_related("account", "revision").get(pk=publication.pk)
    if publication.state not in Publication.NEEDS_A_PERSON:
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
            _mark_found(publication, ref, now=timezone.now())
            publication._history_user = by
            _record(publication, "found on the network", leaving=State.UNCONFIRMED)
            return publication
    now = timezone.now()
    leaving = publication.state
    publication.state = State.SCHEDULED
    publication.tries = 0
    publication.not_before = None
    publication.error = ""
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
