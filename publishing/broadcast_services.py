"""The WhatsApp broadcast list: subscribing, unsubscribing, webhooks, who gets a post.

The WhatsApp module (`networks.whatsapp`) sends; the list decides. It is registered with
networks as the `BroadcastList` the module asks when it publishes (`BROADCAST_LIST`,
from `PublishingConfig.ready`): who is in a post's segment and who already has it, the
template, the Channel's administrators, and the `Delivery` row of each message sent or
refused. It subscribes to `networks.signals.webhook_item_received` for the WhatsApp
items of webhooks: receipts, marketing preferences, and the messages that subscribe,
unsubscribe or ask.
"""

from __future__ import annotations

import enum
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

import networks
from cms.models import Post
from networks.base import (
    Broadcast,
    Inbound,
    NetworkError,
    Preference,
    Receipt,
    Received,
    Recipient,
    Rejected,
)
from networks.checks import Problem
from networks.models import SocialAccount

from .broadcast import BroadcastSetup, Delivery, Subscriber, phone_normalize

logger = logging.getLogger(__name__)


def _word(text: str) -> str:
    return re.sub(r"[\W_]+", "", text or "").casefold()


# -- How French subscribers ask to leave -------------------------------------------------
#
# A message is read whole, folded (no case, no accents, punctuation and apostrophes as
# spaces), without its courtesies (« svp », « merci », « bonjour »). It unsubscribes when
# all of it is a way of leaving: a command (STOP, ARRÊT, « arrêter », « désabonner »…),
# « je veux me désinscrire », « je ne veux plus recevoir… », « ne m'envoyez plus… ». Never
# a substring: « je ne veux pas arrêter de recevoir » or « je ne veux pas me désabonner »
# match none of these sentences, and the tails they allow hold no negation nor « mais ».
# « Arrêter » alone is the infinitive French uses for commands (as on a button); in
# answer to a list it has no other reading, so it unsubscribes like ARRÊT.
# A message that starts with a command or speaks of unsubscribing, without being one of
# these sentences (« stop aux travaux la nuit », « comment me désabonner ? »), is
# ambiguous: it goes to the inbox and the subscriber gets one question back.

_COURTESY = (
    r"(?:svp|stp|s il vous plait|s il te plait|merci(?: beaucoup| bien)?|bonjour|bonsoir"
    r"|salut|please|pls|plz)"
)
_COMMAND = (
    r"(?:stop|stopp?e[rz]?|arret|arrete[rz]?|halte|desabonne[rz]?|desabonnement"
    r"|desinscri(?:re|s|t|vez|ption)|unsubscribe|opt ?out)"
)
_WHAT = (
    r"(?:(?:de |d |du |des )(?:la |cette |votre |vos |ce |ces |l |mon |ma |mes )?"
    r"(?:liste|service|messages?|infos?|informations?|alertes?|envois?|notifications?"
    r"|whatsapp|diffusion|abonnement|newsletter|groupe|actualites?|sms)"
    r"(?: (?:de diffusion|whatsapp|d infos?|d informations?|de la mairie))?)"
)
_WANT = (
    r"(?:(?:je |j )?(?:veux|voudrais|souhaite|souhaiterais|aimerais|desire|demande a|vais)"
    r"(?: bien| vraiment)? )"
)
# What may follow a way of leaving: anything but a negation or a restriction.
_FREE_TAIL = r"(?: (?!.*\b(?:pas|jamais|mais|sauf|seulement|que|qu)\b).*)?"
_LEAVING = [
    re.compile(pattern)
    for pattern in (
        # stop ; arrêt ; STOP STOP ; stop tout ; désabonnement
        rf"{_COMMAND}(?: {_COMMAND})*(?: (?:tout|tous|tout ca|ca|moi|les messages|les envois"
        rf"|la liste|l abonnement|mon abonnement|abonnement|whatsapp|{_WHAT}))?",
        # (je veux) me désabonner / se désinscrire (de la liste)
        rf"{_WANT}?(?:me |se |nous )?(?:faire )?(?:desabonner|desinscrire|retirer)(?: {_WHAT})?",
        # désabonnez-moi ; retirez-moi de la liste
        rf"(?:desabonne[rz]?|desinscrive[sz]|retire[rz]?|enleve[rz]?|supprime[rz]?) moi"
        rf"(?: {_WHAT})?",
        # je ne veux plus recevoir… ; je ne souhaite pas recevoir vos messages
        rf"(?:{_WANT}|(?:je |j )?(?:ne |n )(?:veux|voudrais|souhaite|souhaiterais|desire)"
        rf"(?: vraiment)? (?:plus|pas|plus jamais|jamais plus) )(?:rien )?recevoir{_FREE_TAIL}",
        rf"(?:ne |n )?plus (?:jamais )?(?:rien )?recevoir{_FREE_TAIL}",
        # (je ne veux) plus de messages
        rf"(?:(?:je |j )?(?:ne |n )?(?:veux|voudrais|souhaite|desire) )?plus (?:de |d )"
        rf"(?:vos |ces |tes )?(?:messages?|infos?|informations?|alertes?|notifications?"
        rf"|envois?|sms|whatsapp){_FREE_TAIL}",
        # arrêtez de m'envoyer des messages ; cessez de m'écrire
        rf"(?:{_COMMAND}|cesse[rz]?) (?:de |d )(?:m |me |nous )?(?:envoyer|ecrire|contacter"
        rf"|spammer){_FREE_TAIL}",
        # ne m'envoyez plus rien ; (merci) de ne plus m'écrire
        rf"(?:de )?(?:ne |n )(?:plus (?:m |me |nous )?(?:envoyer|ecrire|contacter)"
        rf"|(?:m |me |nous )?(?:envoye[rz]?|ecrive[sz]|contacte[rz]?) plus){_FREE_TAIL}",
    )
]
_MAYBE_LEAVING = re.compile(rf"^{_COMMAND}\b|\b(?:desabonn\w*|desinscri\w*|unsubscribe)\b")
_NEGATION = re.compile(r"\b(?:pas|jamais|aucun|aucune|nullement)\b")


class Leaving(enum.Enum):
    """What a message says about staying on the list."""

    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


def _folded(text: str) -> str:
    """Lower case, no accents, words separated by one space (apostrophes, emoji and
    punctuation are spaces)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = plain.casefold().replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def _without_courtesy(text: str) -> str:
    text = re.sub(rf"^(?:{_COURTESY} )+", "", text + " ").strip()
    return re.sub(rf"(?: {_COURTESY})+$", "", " " + text).strip()


def leaving_request(text: str) -> Leaving:
    """Whether a subscriber's message asks to leave the list (see the notes above)."""
    folded = _without_courtesy(_folded(text))
    if not folded:
        return Leaving.NO
    if any(pattern.fullmatch(folded) for pattern in _LEAVING):
        return Leaving.YES
    if _MAYBE_LEAVING.search(folded) and not _NEGATION.search(folded):
        return Leaving.MAYBE
    return Leaving.NO


def _network():
    return networks.get("whatsapp")


def broadcast_setup_for(*, account: SocialAccount) -> BroadcastSetup:
    """The account's broadcast settings, or the defaults (unsaved) when it has none."""
    setup = BroadcastSetup.objects.filter(account=account).first()
    return setup or BroadcastSetup(account=account)


def segment_for(*, account: SocialAccount, post: Post | None) -> QuerySet[Subscriber]:
    """The active subscribers a post goes to.

    Themes: a post without themes is general information and goes to every subscriber;
    a post with themes goes to those who chose at least one of them and to those who
    chose « tout » (every theme: no theme ticked). Territory: a post about a territory
    goes to its subscribers and to those who chose none; a post about no territory
    goes to all.
    """
    subscribers = Subscriber.objects.filter(account=account, opted_out_at__isnull=True)
    if post is None:  # a message of no post: general information
        return subscribers.order_by("pk")
    theme_ids = [theme.pk for theme in post.themes.all()]
    if theme_ids:
        subscribers = subscribers.filter(Q(themes__in=theme_ids) | Q(themes__isnull=True))
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


def _account_for(phone_number_id) -> SocialAccount | None:
    if not isinstance(phone_number_id, str) or not phone_number_id:
        return None
    return SocialAccount.objects.filter(network="whatsapp", remote_id=phone_number_id).first()


def whatsapp_preference_record(
    *, phone_number_id: str, wa_id: str, category: str, value: str, timestamp: str = ""
) -> Subscriber | None:
    """Act on a marketing preference set in WhatsApp: "stop" unsubscribes.

    Nothing is sent back: WhatsApp itself showed the person their choice, and a message
    would go to someone who just asked for no more. "resume" only lifts WhatsApp's block
    on marketing messages from the number: it is not a request to join this list (which
    holds its own consent, given by keyword or web form, with themes and a territory),
    so it subscribes nobody again; the person sends the keyword to come back.
    """
    if category != "marketing_messages":
        return None
    account = _account_for(phone_number_id)
    if account is None:
        logger.warning("WhatsApp preference for unknown phone number id %s", phone_number_id)
        return None
    try:
        phone = phone_normalize(wa_id)
    except ValidationError:
        return None  # a business-scoped user id, not a phone number on the list
    if value == "stop":
        return subscriber_opt_out(account=account, phone=phone)
    if value == "resume":
        logger.info("WhatsApp marketing messages resumed by a number; the list is unchanged")
    return None


# -- Webhook items (networks.signals.webhook_item_received) --------------------------------


def whatsapp_item_received(sender, item: Received, event_id: int, **kwargs) -> None:
    """Receiver of `webhook_item_received`: WhatsApp's items go to the list's service."""
    if item.network == "whatsapp":
        whatsapp_webhook_item_handle(item=item)


def whatsapp_webhook_item_handle(*, item: Received) -> bool:
    """Act on one item of a WhatsApp webhook: a receipt updates its delivery, a marketing
    opt-out set in WhatsApp unsubscribes, the opt-in keyword subscribes, a way of leaving
    unsubscribes (with a confirmation, to subscribers only). True when the item is a
    message for the inbox (none of the list's commands).

    Called once per item (networks claims each by WhatsApp's own ids), inside the
    transaction that claims it.
    """
    content = item.content
    if isinstance(content, Receipt):
        delivery_status_record(
            phone_number_id=item.account_remote_id,
            message_id=content.message_id,
            status=content.status,
            recipient=content.recipient,
            error=content.error,
        )
        return False
    if isinstance(content, Preference):
        whatsapp_preference_record(
            phone_number_id=item.account_remote_id,
            wa_id=content.user_id,
            category=content.category,
            value=content.value,
            timestamp=content.timestamp,
        )
        return False
    return whatsapp_message_handle(inbound=content, phone_number_id=item.account_remote_id)


class ListCommand(enum.Enum):
    """What a message asks of the list."""

    SUBSCRIBE = "subscribe"
    LEAVE = "leave"
    ASK = "ask"  # perhaps leaving: one question back
    NONE = "none"  # a message for the inbox


def whatsapp_list_command(*, setup: BroadcastSetup, text: str) -> ListCommand:
    """Whether a message is one of the list's commands (the inbox leaves those out)."""
    word = _word(text)
    if word and word == _word(setup.opt_in_keyword):
        return ListCommand.SUBSCRIBE
    leaving = leaving_request(text)
    if leaving is Leaving.YES:
        return ListCommand.LEAVE
    if leaving is Leaving.MAYBE:
        return ListCommand.ASK
    return ListCommand.NONE


def whatsapp_message_handle(*, inbound: Inbound, phone_number_id: str) -> bool:
    """Subscribe, unsubscribe or ask; True when the message is for the inbox."""
    account = _account_for(phone_number_id)
    if account is None:
        logger.warning("WhatsApp message for unknown phone number id %s", phone_number_id)
        return False
    setup = broadcast_setup_for(account=account)
    try:
        phone = phone_normalize(inbound.author_id)
    except ValidationError:  # not a phone number (a business-scoped user id)
        return True
    network = _network()
    command = whatsapp_list_command(setup=setup, text=inbound.text)
    if command is ListCommand.SUBSCRIBE:
        subscriber_opt_in(account=account, phone=phone, source=Subscriber.Source.KEYWORD)
        return False
    if command is ListCommand.LEAVE:
        subscriber = subscriber_opt_out(account=account, phone=phone)
        if subscriber is not None:  # never subscribed: nothing to confirm, nothing sent
            text = gettext(
                "You are unsubscribed: you will no longer receive our messages. Send "
                "%(keyword)s to subscribe again."
            ) % {"keyword": setup.opt_in_keyword}
            _send_safely(account, phone, lambda: network.send_text(account, to=phone, text=text))
        return False
    if command is ListCommand.ASK:
        subscribed = Subscriber.objects.filter(
            account=account, phone=phone, opted_out_at__isnull=True
        ).exists()
        if subscribed:
            text = gettext(
                "Do you want to unsubscribe? Send STOP to confirm. Otherwise, your message "
                "has been passed on."
            )
            _send_safely(account, phone, lambda: network.send_text(account, to=phone, text=text))
    return True


# -- Sending a post to the list (networks' BroadcastList) ----------------------------------


def delivery_sent_record(
    *, account: SocialAccount, message_id: str, phone: str, post_id: int | None, subscriber_id
) -> Delivery:
    """Record a message sent for a post; a receipt may have come first (webhooks are not
    ordered): its status is kept."""
    delivery, created = Delivery.objects.get_or_create(
        message_id=message_id,
        defaults={
            "account": account,
            "subscriber_id": subscriber_id,
            "recipient": phone,
            "post_id": post_id,
            "status": Delivery.Status.SENT,
        },
    )
    if not created:
        delivery.account = account
        delivery.subscriber_id = subscriber_id
        delivery.recipient = phone
        delivery.post_id = post_id
        delivery.save(update_fields=["account", "subscriber", "recipient", "post", "updated_at"])
    return delivery


def _subscriber_id(recipient: Recipient) -> int | None:
    return int(recipient.ref) if recipient.ref else None


class WhatsAppBroadcastList:
    """The list as the WhatsApp module asks it when it publishes (`BroadcastList`)."""

    def broadcast(
        self, *, account: SocialAccount, post_id: int | None, done_parts: Sequence[str]
    ) -> Broadcast:
        setup = broadcast_setup_for(account=account)
        if setup.mode == BroadcastSetup.Mode.CHANNEL:
            return self._channel(account, setup, post_id)
        if not setup.template_name.strip():
            raise Rejected(
                gettext(
                    "Choose the approved message template of this WhatsApp account (in its "
                    "broadcast settings) before publishing."
                ),
                network="whatsapp",
            )
        post = Post.objects.filter(pk=post_id).first() if post_id is not None else None
        segment = list(segment_for(account=account, post=post))
        if not segment:
            raise Rejected(
                gettext(
                    "Nobody has subscribed to these themes or this territory on the WhatsApp "
                    "list yet: choose other themes or another territory, or wait for "
                    "subscribers."
                ),
                network="whatsapp",
            )
        # Whoever already has a message for this post (or for a part an earlier try
        # recorded) is never messaged again.
        mine = Delivery.objects.filter(account=account, subscriber__isnull=False).exclude(
            message_id=""
        )
        earlier = Q(message_id__in=list(done_parts))
        if post_id is not None:
            earlier |= Q(post_id=post_id)
        reached = set(mine.filter(earlier).values_list("subscriber_id", flat=True))
        sent = (
            mine.filter(post_id=post_id).order_by("pk").values_list("message_id", flat=True)
            if post_id is not None
            else []
        )
        return Broadcast(
            mode="broadcast",
            recipients=tuple(
                Recipient(phone=s.phone, ref=str(s.pk), reached=s.pk in reached) for s in segment
            ),
            template_name=setup.template_name.strip(),
            template_language=setup.template_language,
            sent=tuple(sent),
        )

    @staticmethod
    def _channel(account: SocialAccount, setup: BroadcastSetup, post_id: int | None) -> Broadcast:
        try:
            admins = setup.admin_phones()
        except ValidationError as error:
            raise Rejected(" ".join(error.messages), network="whatsapp") from error
        if not admins:
            raise Rejected(
                gettext(
                    "Add the phone numbers of the channel's administrators in this WhatsApp "
                    "account's broadcast settings: they receive the post to paste in the "
                    "channel."
                ),
                network="whatsapp",
            )
        already = set(
            Delivery.objects.filter(account=account, post_id=post_id, subscriber__isnull=True)
            .exclude(message_id="")
            .values_list("recipient", flat=True)
        )
        return Broadcast(
            mode="channel",
            recipients=tuple(Recipient(phone=phone, reached=phone in already) for phone in admins),
        )

    def message_sent(
        self,
        *,
        account: SocialAccount,
        post_id: int | None,
        recipient: Recipient,
        message_id: str,
    ) -> None:
        delivery_sent_record(
            account=account,
            message_id=message_id,
            phone=recipient.phone,
            post_id=post_id,
            subscriber_id=_subscriber_id(recipient),
        )

    def message_refused(
        self, *, account: SocialAccount, post_id: int | None, recipient: Recipient, reason: str
    ) -> None:
        Delivery.objects.update_or_create(
            account=account,
            post_id=post_id,
            subscriber_id=_subscriber_id(recipient),
            message_id="",
            defaults={
                "recipient": recipient.phone,
                "status": Delivery.Status.FAILED,
                "error": reason,
            },
        )

    def message_statuses(self, *, account: SocialAccount, message_ids: Sequence[str]) -> list[str]:
        return list(
            Delivery.objects.filter(account=account, message_id__in=list(message_ids)).values_list(
                "status", flat=True
            )
        )


BROADCAST_LIST = WhatsAppBroadcastList()


def whatsapp_template_problems(*, variant, draft, problems: list[Problem]) -> list[Problem]:
    """The `crieur_variant_problems` hook: the template's limit for a WhatsApp version
    going to a broadcast list (the Channel takes the longer free message); never raises."""
    account = variant.account
    if account.network != "whatsapp" or any(p.code == "too_long" for p in problems):
        return []
    try:
        # Read through the account (cached on it): one query per account, not per version.
        try:
            mode = account.broadcast_setup.mode
        except BroadcastSetup.DoesNotExist:
            mode = BroadcastSetup._meta.get_field("mode").default
        if mode != BroadcastSetup.Mode.BROADCAST:
            return []
        problem = _network().template_problem(draft.text)
    except Exception:  # noqa: BLE001 - a check must never stop a save
        logger.exception("WhatsApp template check failed")
        return []
    return [problem] if problem is not None else []
