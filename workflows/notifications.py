"""Telling the team what needs them: a notification in the admin, and an e-mail if wanted."""

import logging

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext

from cms.words import date_words

from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)

Kind = Notification.Kind


# -- Services ---------------------------------------------------------------------------


def notify(
    *,
    kind: str,
    recipients,
    post=None,
    actor: str = "",
    round_name: str = "",
    comment: str = "",
    detail: str = "",
    url: str = "",
    deadline=None,
    planned_at=None,
    links=(),
) -> list[Notification]:
    """One notification per recipient; e-mails leave once the transaction commits.

    `links`: (label, url) pairs, the places to see what it is about (the post on each
    network); only web addresses are kept.
    """
    kept_links = [
        {"label": str(label), "url": address}
        for label, address in links
        if str(address).startswith(("https://", "http://"))
    ]
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient=person,
                kind=kind,
                post=post,
                actor=actor,
                round_name=round_name,
                comment=comment,
                detail=detail,
                url=url,
                deadline=deadline,
                planned_at=planned_at,
                links=kept_links,
            )
            for person in recipients
        ]
    )
    ids = [notification.pk for notification in notifications]
    if ids:
        # A decision rolled back must not have e-mailed anyone; a mail server down must
        # not turn a decision already committed into an error page.
        transaction.on_commit(lambda: notifications_email(notification_ids=ids), robust=True)
    return notifications


def notifications_email(*, notification_ids: list[int]) -> int:
    """E-mail the notifications whose recipients want them so; return how many left."""
    notifications = Notification.objects.filter(pk__in=notification_ids).select_related(
        "post", "recipient__wagtail_userprofile", "recipient__notification_preference"
    )
    emails = [
        _email(notification)
        for notification in notifications
        if _wants_email(notification.recipient, notification.kind)
    ]
    if not emails:
        return 0
    sent = 0
    try:
        with get_connection() as connection:
            for email in emails:
                email.connection = connection
                try:
                    sent += email.send()
                except OSError:  # smtplib's errors included
                    logger.exception("Could not e-mail a notification to %s", email.to)
    except OSError:
        logger.exception(
            "Could not reach the mail server: %s notifications not e-mailed", len(emails) - sent
        )
    return sent


def notification_read(*, notification: Notification, by) -> Notification:
    """The recipient has seen it. Nobody else may mark someone's notification read."""
    if notification.recipient_id != by.pk:
        raise PermissionDenied
    if notification.read_at is None:
        now = timezone.now()
        # Filtered on read_at so that two tabs opening it keep the first reading time.
        Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_read_all(*, user) -> int:
    """Every unread notification of this person is read; return how many were unread."""
    return Notification.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())


def preferences_save(*, user, email_kinds) -> NotificationPreference:
    """The kinds this person receives by e-mail; every other kind is turned off."""
    wanted = set(email_kinds)
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_off": [kind for kind in Kind.values if kind not in wanted]}
    )
    return preference


# -- Selectors --------------------------------------------------------------------------


def unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at=None).count()


def notifications_of(*, user) -> QuerySet[Notification]:
    """A person's notifications, newest first, with what putting them into words reads."""
    return Notification.objects.filter(recipient=user).select_related("post")


def email_kinds(*, user) -> list[str]:
    """The kinds this person receives by e-mail (all of them unless turned off)."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return [kind for kind in Kind.values if preference is None or preference.wants_email(kind)]


# -- Putting a notification into words --------------------------------------------------


def notification_message(notification: Notification) -> str:
    """What happened, in the active language: one sentence, and what else is known.

    The comment is not part of it: it is shown apart, as written, line breaks included.
    """
    n = notification
    values = {
        "post": n.post.title if n.post is not None else "—",
        "round": n.round_name or "—",
        "actor": n.actor,
        # Older notifications kept the deadline as text, in `detail`.
        "deadline": date_words(n.deadline) if n.deadline else n.detail,
        "planned": date_words(n.planned_at),
        "group": n.detail,
        "detail": n.detail,
    }
    has_deadline = bool(n.deadline or n.detail)
    if n.kind == Kind.SUBMITTED:
        sentences = [gettext("“%(post)s” is submitted to you for approval (%(round)s).")]
        if n.actor:
            sentences.append(gettext("Submitted by %(actor)s."))
        if has_deadline:
            sentences.append(gettext("Please decide before %(deadline)s."))
        if ends_after_planned(n):
            sentences.append(
                gettext(
                    "This deadline falls after the planned publication time (%(planned)s): "
                    "decide before then, or the post waits for a new date."
                )
            )
    elif n.kind == Kind.APPROVED:
        sentences = [gettext("Your post “%(post)s” is approved (%(round)s).")]
        if n.actor:
            sentences.append(gettext("Last approval by %(actor)s."))
    elif n.kind == Kind.CHANGES_REQUESTED:
        sentences = [gettext("Changes are requested on your post “%(post)s” (%(round)s).")]
        if n.actor:
            sentences.append(gettext("Requested by %(actor)s."))
    elif n.kind == Kind.REMINDER:
        sentences = [
            gettext("Reminder: “%(post)s” is still waiting for your decision (%(round)s).")
        ]
        if has_deadline:
            sentences.append(gettext("Please decide before %(deadline)s."))
    elif n.kind == Kind.DEADLINE_PASSED:
        sentences = [gettext("The deadline has passed for “%(post)s” (%(round)s).")]
        if n.detail:
            sentences.append(gettext("The group “%(group)s” may now decide too."))
        else:
            sentences.append(gettext("The post is sent back to its author."))
    elif n.kind == Kind.PUBLICATION_FAILED:
        if n.detail:
            sentences = [gettext("The publication of “%(post)s” failed: %(detail)s")]
        else:
            sentences = [gettext("The publication of “%(post)s” failed.")]
    elif n.kind == Kind.PUBLISHED:
        sentences = [gettext("Your post “%(post)s” is published.")]
        if n.links:
            sentences.append(gettext("See it on each network below."))
    elif n.kind == Kind.ROUND_AFTER_PLANNED:
        sentences = [
            gettext(
                "The round “%(round)s” on “%(post)s” may last until %(deadline)s, after the "
                "planned publication time (%(planned)s)."
            ),
            gettext(
                "If the approval comes later, the post waits for a new date: ask the "
                "approvers to decide before, or plan it later."
            ),
        ]
    else:
        return str(n.get_kind_display())
    return " ".join(sentence % values for sentence in sentences)


def ends_after_planned(notification: Notification) -> bool:
    """Whether the round's deadline the notification names falls after the planned time."""
    n = notification
    return bool(n.deadline and n.planned_at and n.deadline > n.planned_at)


def notification_subject(notification: Notification) -> str:
    """The e-mail's subject: the site's name, what happened and to which post."""
    title = notification.post.title if notification.post is not None else ""
    what = str(notification.get_kind_display())
    if title:
        what = gettext("%(what)s: “%(post)s”") % {
            "what": what,
            "post": Truncator(title).chars(80),
        }
    # A header cannot hold a line break, and a title might.
    return " ".join(f"[{settings.WAGTAIL_SITE_NAME}] {what}".split())


def notification_target(notification: Notification) -> str:
    """Where the notification leads: its own address, else the post in the admin."""
    if notification.url:
        return notification.url
    if notification.post_id:
        return reverse("wagtailsnippets_cms_post:edit", args=[notification.post_id])
    return reverse("workflows_notifications")


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


# -- E-mail -----------------------------------------------------------------------------


def _wants_email(user, kind: str) -> bool:
    if not (user.is_active and user.email):
        return False
    try:
        return user.notification_preference.wants_email(kind)
    except ObjectDoesNotExist:
        return True


def _language(user) -> str:
    """The language the person chose in their Wagtail account, else the site's (French)."""
    try:
        preferred = user.wagtail_userprofile.preferred_language
    except ObjectDoesNotExist:
        preferred = ""
    return preferred or settings.LANGUAGE_CODE


def _email(notification: Notification) -> EmailMultiAlternatives:
    recipient = notification.recipient
    with translation.override(_language(recipient)):
        context = {
            "notification": notification,
            "message": notification_message(notification),
            "comment": notification.comment,
            "links": notification.links,
            "link": absolute(notification_target(notification)),
            "preferences_link": absolute(reverse("workflows_notification_preferences")),
            "site_name": settings.WAGTAIL_SITE_NAME,
        }
        email = EmailMultiAlternatives(
            subject=notification_subject(notification),
            body=render_to_string("workflows/notifications/email.txt", context),
            to=[recipient.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        email.attach_alternative(
            render_to_string("workflows/notifications/email.html", context), "text/html"
        )
    return email
