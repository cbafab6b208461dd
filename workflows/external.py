"""Approval by people without an account: signed, single-use, expiring links by e-mail."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from cms.previews import post_network_previews
from cms.selectors import post_citizen_view
from cms.words import date_words, elide_de

from .models import (
    ApprovalLink,
    Decision,
    ExternalApprover,
    RoundState,
    decision_problem,
    person_name,
    round_decide,
)

logger = logging.getLogger(__name__)

SALT = "crieur.approval-link"


# -- The token ------------------------------------------------------------------------------


def approval_link_token(link: ApprovalLink) -> str:
    """The link's credential for its URL: its id and nonce, signed with SECRET_KEY.

    Deterministic, so that a reminder sends the same link again; the nonce (random,
    unique) makes it unguessable, the signature makes it unforgeable without the key.
    """
    return signing.Signer(salt=SALT).sign(f"{link.pk}:{link.nonce}")


def approval_link_url(link: ApprovalLink) -> str:
    path = reverse("workflows:external_approval", args=[approval_link_token(link)])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _link_from_token(token: str, *, lock: bool = False) -> ApprovalLink | None:
    try:
        value = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    pk, _, nonce = value.partition(":")
    if not pk.isdigit() or not nonce:
        return None
    links = ApprovalLink.objects.select_related("approver", "task_state")
    if lock:
        links = links.select_for_update(of=("self",))
    return links.filter(pk=int(pk), nonce=nonce).first()


def _when(moment: datetime) -> str:
    return date_words(moment)


def _invalid() -> str:
    return gettext(
        "This link is not valid: it may be incomplete or altered. Open the link exactly "
        "as it is in the e-mail you received, or ask the communication team for a new one."
    )


def approval_link_decision(link: ApprovalLink) -> Decision | None:
    """The decision the link's approver recorded in its round, if any."""
    return (
        Decision.objects.filter(task_state_id=link.task_state_id, external_approver=link.approver)
        .order_by("-at", "-pk")
        .first()
    )


def _link_problem(link: ApprovalLink, *, now: datetime) -> str | None:
    """Why this link cannot be used now, in words that say what to do; None if it can."""
    decision = approval_link_decision(link)
    if decision is not None:
        return elide_de(
            gettext(
                "This link has already been used: the decision “%(verdict)s” of %(name)s was "
                "recorded on %(date)s. It cannot be used again."
            )
            % {
                "verdict": decision.get_verdict_display(),
                "name": decision.name,
                "date": _when(decision.at),
            },
            decision.name,
        )
    if link.used_at is not None:
        return gettext("This link was already used on %(date)s. It cannot be used again.") % {
            "date": _when(link.used_at)
        }
    if link.sent_to != link.approver.email:
        return gettext(
            "This link no longer works: it was sent to an address that is no longer the one "
            "the communication team has for you. If your approval is still needed, a new "
            "link goes to your current address."
        )
    status = link.task_state.status
    if status == RoundState.STATUS_CANCELLED:
        return gettext(
            "This version of the post no longer waits for your decision: it was withdrawn "
            "or replaced by a newer version. If a new version needs your approval, you "
            "will receive a new link."
        )
    if status != RoundState.STATUS_IN_PROGRESS:
        return gettext(
            "This approval round is over: the post was already approved or sent back to "
            "its author. Nothing waits for your decision."
        )
    if link.expires_at <= now:
        return gettext(
            "This link expired on %(date)s. Ask the communication team to send you a new link."
        ) % {"date": _when(link.expires_at)}
    return decision_problem(task_state=link.task_state, external_approver=link.approver)


def approval_link_open(*, token: str) -> tuple[ApprovalLink | None, str | None]:
    """The link a token stands for and, when it cannot be used, why. Changes nothing:
    mail scanners and link previews open links too."""
    link = _link_from_token(token)
    if link is None:
        return None, _invalid()
    return link, _link_problem(link, now=timezone.now())


# -- What the approver sees -----------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalPage:
    approver: ExternalApprover
    post: object  # the revision under review, as a Post with its children in memory
    round_name: str
    requested_by: str
    deadline: datetime | None
    expires_at: datetime
    previews: list
    citizen_view: object
    institution_name: str


def approval_page(*, link: ApprovalLink) -> ApprovalPage:
    """Everything the approver's page shows: the version under review on each network."""
    task_state = RoundState.objects.select_related(
        "task", "revision", "workflow_state__requested_by"
    ).get(pk=link.task_state_id)
    post = task_state.revision.as_object()
    return ApprovalPage(
        approver=link.approver,
        post=post,
        round_name=task_state.task.name,
        requested_by=person_name(task_state.workflow_state.requested_by),
        deadline=task_state.deadline,
        expires_at=link.expires_at,
        previews=post_network_previews(post=post),
        citizen_view=post_citizen_view(post=post),
        institution_name=settings.WAGTAIL_SITE_NAME,
    )


# -- Deciding -------------------------------------------------------------------------------


def external_decide(*, token: str, verdict: str, comment: str = "") -> Decision:
    """Record the link's approver's decision and use the link up, in one transaction.

    Raises ValidationError (by field) for input to correct, PermissionDenied with the
    reason when the link cannot be used (invalid, used, expired, round over).
    """
    comment = (comment or "").strip()
    if verdict not in (Decision.Verdict.APPROVE, Decision.Verdict.REJECT):
        raise ValidationError({"verdict": gettext("Choose Approve or Request changes.")})
    if verdict == Decision.Verdict.REJECT and not comment:
        raise ValidationError(
            {
                "comment": gettext(
                    "Say what should change: a comment is required to request changes."
                )
            }
        )
    with transaction.atomic():
        # Two submissions of the same link at once: the second waits, then finds it used.
        link = _link_from_token(token, lock=True)
        if link is None:
            raise PermissionDenied(_invalid())
        now = timezone.now()
        problem = _link_problem(link, now=now)
        if problem:
            raise PermissionDenied(problem)
        decision = round_decide(
            task_state=link.task_state,
            verdict=verdict,
            comment=comment,
            external_approver=link.approver,
            via=Decision.Via.LINK,
        )
        link.used_at = now
        link.save(update_fields=["used_at"])
    return decision


# -- Sending the links ----------------------------------------------------------------------


def _open_round(task_state_id: int) -> RoundState | None:
    task_state = (
        RoundState.objects.select_related("task", "revision", "workflow_state__requested_by")
        .filter(pk=task_state_id)
        .first()
    )
    if task_state is None or task_state.status != RoundState.STATUS_IN_PROGRESS:
        return None
    return task_state


def _link_create(*, task_state, approver, hours: int) -> ApprovalLink:
    return ApprovalLink.objects.create(
        task_state=task_state,
        approver=approver,
        sent_to=approver.email,
        nonce=secrets.token_urlsafe(32),
        expires_at=timezone.now() + timedelta(hours=hours),
    )


def _link_email(link: ApprovalLink, *, task_state: RoundState, post, reminder: bool):
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "approver": link.approver,
            "post_title": post.title,
            "round_name": task_state.task.name,
            "requested_by": person_name(task_state.workflow_state.requested_by),
            "deadline": task_state.deadline,
            "expires_at": link.expires_at,
            "url": approval_link_url(link),
            "institution_name": settings.WAGTAIL_SITE_NAME,
            "reminder": reminder,
        }
        if reminder:
            subject = gettext("Reminder: your approval is requested — %(title)s")
        else:
            subject = gettext("Your approval is requested — %(title)s")
        subject = subject % {"title": post.title}
        body = render_to_string("workflows/external/email.txt", context)
        html = render_to_string("workflows/external/email.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=body, to=[link.approver.email]
    )
    message.attach_alternative(html, "text/html")
    return message


def _send(*, task_state, post, approver, link=None, hours: int, reminder: bool) -> None:
    """Create the link if needed and send it; the link exists only if the e-mail left."""
    try:
        with transaction.atomic():
            if link is None:
                link = _link_create(task_state=task_state, approver=approver, hours=hours)
            _link_email(link, task_state=task_state, post=post, reminder=reminder).send()
    except Exception:
        # One address failing must not keep the others from their link. No link is kept
        # for this one: the round's reminder (when it has a deadline) makes a fresh one.
        logger.exception("The approval link for %s could not be sent", approver.email)


def approval_links_send(*, task_state_id: int) -> None:
    """Send each external approver of the round their link (once: running it again for
    the same round sends nothing to whoever already has a link)."""
    task_state = _open_round(task_state_id)
    if task_state is None:
        return
    round_ = task_state.task.specific
    # A link sent to an address the approver no longer has is void: they get a new one.
    already = set(
        ApprovalLink.objects.filter(
            task_state=task_state, sent_to=F("approver__email")
        ).values_list("approver_id", flat=True)
    )
    post = task_state.revision.as_object()
    for approver in round_.external_approvers().exclude(pk__in=already):
        _send(
            task_state=task_state,
            post=post,
            approver=approver,
            hours=round_.link_hours,
            reminder=False,
        )


def approval_links_remind(*, task_state_id: int) -> None:
    """Send the approvers who have not decided their link again, as a reminder; a fresh
    link to those whose link has expired or went to an address they no longer have."""
    task_state = _open_round(task_state_id)
    if task_state is None:
        return
    round_ = task_state.task.specific
    decided = Decision.objects.filter(task_state=task_state).exclude(external_approver=None)
    waiting = round_.external_approvers().exclude(
        pk__in=decided.values_list("external_approver_id", flat=True)
    )
    post = task_state.revision.as_object()
    now = timezone.now()
    for approver in waiting:
        valid = (
            ApprovalLink.objects.filter(
                task_state=task_state,
                approver=approver,
                sent_to=approver.email,
                used_at=None,
                expires_at__gt=now,
            )
            .order_by("-expires_at")
            .first()
        )
        _send(
            task_state=task_state,
            post=post,
            approver=approver,
            link=valid,
            hours=round_.link_hours,
            reminder=True,
        )
