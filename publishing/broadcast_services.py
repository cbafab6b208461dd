"""The WhatsApp broadcast list: subscribing, unsubscribing, webhooks, who gets a post."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from .broadcast import BroadcastSetup, Delivery, Subscriber, phone_normalize
from .models import SocialAccount
from .networks.base import Inbound, NetworkError

logger = logging.getLogger(__name__)

# What a citizen sends to leave the list (compared without case, accents kept or not).
STOP_WORDS = {"stop", "arret", "arrêt"}


def _word(text: str) -> str:
    return re.sub(r"[\W_]+", "", text or "").casefold()


def _network():
    from . import networks

    return networks.get("whatsapp")


def broadcast_setup_for(*, account: SocialAccount) -> BroadcastSetup:
    """The account's broadcast settings, or the defaults (unsaved) when it has none."""
    setup = BroadcastSetup.objects.filter(account=account).first()
    return setup or BroadcastSetup(account=account)


def segment_for(*, account: SocialAccount, post) -> QuerySet[Subscriber]:
    """The active subscribers a post goes to.

    Themes: a subscriber who chose themes gets the posts sharing at least one of them;
    one who chose none gets every post (and is the only one to get a post without
    themes). Territory: a post about a territory goes to its
    subscribers and to those who chose none; a post about no territory goes to all.
    """
    theme_ids = [theme.pk for theme in post.themes.all()]
    subscribers = Subscriber.objects.filter(account=account, opted_out_at__isnull=True)
    no_theme = Q(themes__isnull=True)
    subscribers = subscribers.filter(Q(themes__in=theme_ids) | no_theme if theme_ids else no_theme)
    if post.territory_id:
        subscribers = subscribers.filter(
            Q(territory_id=post.territory_id) | Q(territory__isnull=True)
        )
    return subscribers.distinct().order_by("pk")


def _send_safely(account: SocialAccount, phone: str, send) -> str:
    """Send one service message; a failure is recorded, never raised: the change of
    subscription stands whether or not the message arrives."""
    try:
        message_id = send()
    except NetworkError as error:
        logger.warning("WhatsApp message to %s failed: %s", phone, error.message)
        Delivery.objects.create(
            account=account,
            recipient=phone,
            status=Delivery.Status.FAILED,
            error=error.message,
        )
        return ""
    Delivery.objects.get_or_create(
        message_id=message_id,
        defaults={"account": account, "recipient": phone, "status": Delivery.Status.SENT},
    )
    return message_id


def _welcome(account: SocialAccount, subscriber: Subscriber, setup: BroadcastSetup) -> str:
    network = _network()
    if subscriber.source == Subscriber.Source.WEB_FORM and setup.welcome_template_name.strip():
        # They have not written to the number: only a template can reach them.
        return _send_safely(
            account,
            subscriber.phone,
            lambda: network.send_template(
                account,
                to=subscriber.phone,
                name=setup.welcome_template_name.strip(),
                language=setup.template_language,
            ),
        )
    text = setup.welcome_message.strip() or gettext(
        "Welcome! You will receive the news of %(name)s here. Send STOP at any time to unsubscribe."
    ) % {"name": account.display_name}
    return _send_safely(
        account,
        subscriber.phone,
        lambda: network.send_text(account, to=subscriber.phone, text=text),
    )


def subscriber_opt_in(
    *,
    account: SocialAccount,
    phone: str,
    themes: Iterable = (),
    territory=None,
    source: str,
) -> Subscriber:
    """Put a phone number on the list (again, after an opt-out) and welcome it.

    Idempotent: an active subscriber stays as they are and is not welcomed twice. The
    themes and territory given replace the subscriber's choice when they come from the
    web form, or when given; a keyword keeps what the person chose before.
    """
    phone = phone_normalize(phone)
    themes = list(themes)
    now = timezone.now()
    with transaction.atomic():
        subscriber, created = Subscriber.objects.select_for_update().get_or_create(
            account=account,
            phone=phone,
            defaults={"opted_in_at": now, "source": source, "territory": territory},
        )
        joined = created or subscriber.opted_out_at is not None
        if not created and joined:
            subscriber.opted_in_at = now
            subscriber.opted_out_at = None
            subscriber.source = source
        if not created and (source == Subscriber.Source.WEB_FORM or territory is not None):
            subscriber.territory = territory
        if not created:
            subscriber.save()
        if created or themes or source == Subscriber.Source.WEB_FORM:
            subscriber.themes.set(themes)
    if joined:
        _welcome(account, subscriber, broadcast_setup_for(account=account))
    return subscriber


def subscriber_opt_out(*, account: SocialAccount, phone: str) -> Subscriber | None:
    """Take a phone number off the list (it stays, marked, as the record of consent)."""
    phone = phone_normalize(phone)
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(account=account, phone=phone).first()
        )
        if subscriber is not None and subscriber.opted_out_at is None:
            subscriber.opted_out_at = timezone.now()
            subscriber.save()
    return subscriber


MESSAGE_ID_MAX = Delivery._meta.get_field("message_id").max_length or 200
RECIPIENT_MAX = Delivery._meta.get_field("recipient").max_length or 16


def delivery_status_record(
    *, phone_number_id: str, message_id: str, status: str, recipient: str = "", error: str = ""
) -> Delivery | None:
    """Record a receipt; a status never goes back (receipts arrive in any order), and a
    receipt that comes before Crieur recorded the message creates its row."""
    if status not in Delivery.RANK or not message_id or len(message_id) > MESSAGE_ID_MAX:
        return None  # not a receipt of a message Crieur sent
    if len(recipient) > RECIPIENT_MAX:
        recipient = ""  # not a phone number: the receipt still counts
    account = SocialAccount.objects.filter(network="whatsapp", remote_id=phone_number_id).first()
    if account is None:
        logger.warning("WhatsApp receipt for unknown phone number id %s", phone_number_id)
        return None
    with transaction.atomic():
        delivery, created = Delivery.objects.select_for_update().get_or_create(
            message_id=message_id,
            defaults={"account": account, "recipient": recipient, "status": status, "error": error},
        )
        if not created and Delivery.RANK[status] > Delivery.RANK[delivery.status]:
            delivery.status = status
            delivery.error = error or delivery.error
            delivery.save(update_fields=["status", "error", "updated_at"])
    return delivery


def whatsapp_webhook_handle(*, payload: dict) -> list[Inbound]:
    """Act on one WhatsApp webhook: receipts update the deliveries, the opt-in keyword
    subscribes, STOP unsubscribes (with a confirmation); every other message is
    returned for the inbox."""
    network = _network()
    for receipt in network.parse_statuses(payload):
        delivery_status_record(**receipt)
    for_inbox = []
    for inbound in network.parse_webhook(payload):
        phone_number_id = inbound.raw.get("phone_number_id", "")
        account = SocialAccount.objects.filter(
            network="whatsapp", remote_id=phone_number_id
        ).first()
        if account is None:
            logger.warning("WhatsApp message for unknown phone number id %s", phone_number_id)
            continue
        setup = broadcast_setup_for(account=account)
        word = _word(inbound.text)
        try:
            phone = phone_normalize(inbound.author_id)
        except ValidationError:  # not a phone number (a business-scoped user id)
            word = ""
        if word and word == _word(setup.opt_in_keyword):
            subscriber_opt_in(account=account, phone=phone, source=Subscriber.Source.KEYWORD)
        elif word in STOP_WORDS:
            subscriber_opt_out(account=account, phone=phone)
            confirmation = gettext(
                "You are unsubscribed: you will no longer receive our messages. Send "
                "%(keyword)s to subscribe again."
            ) % {"keyword": setup.opt_in_keyword}
            _send_safely(
                account,
                phone,
                lambda account=account, phone=phone, text=confirmation: network.send_text(
                    account, to=phone, text=text
                ),
            )
        else:
            for_inbox.append(inbound)
    return for_inbox
