"""The WhatsApp broadcast list: subscribing, unsubscribing, webhooks, who gets a post."""

from __future__ import annotations

import enum
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from networks.base import Inbound, NetworkError
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
    import networks

    return networks.get("whatsapp")


def broadcast_setup_for(*, account: SocialAccount) -> BroadcastSetup:
    """The account's broadcast settings, or the defaults (unsaved) when it has none."""
    setup = BroadcastSetup.objects.filter(account=account).first()
    return setup or BroadcastSetup(account=account)


def segment_for(*, account: SocialAccount, post) -> QuerySet[Subscriber]:
    """The active subscribers a post goes to.

    Themes: a post without themes is general information and goes to every subscriber;
    a post with themes goes to those who chose at least one of them and to those who
    chose « tout » (every theme: no theme ticked). Territory: a post about a territory
    goes to its subscribers and to those who chose none; a post about no territory
    goes to all.
    """
    theme_ids = [theme.pk for theme in post.themes.all()]
    subscribers = Subscriber.objects.filter(account=account, opted_out_at__isnull=True)
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


def _preferences(payload: dict) -> list[dict[str, str]]:
    """The marketing preferences citizens set in WhatsApp itself (field
    "user_preferences": stop or resume "marketing_messages"); items of an unexpected
    shape are skipped."""
    found = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or change.get("field") != "user_preferences":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            phone_number_id = (
                metadata.get("phone_number_id", "") if isinstance(metadata, dict) else ""
            )
            for preference in value.get("user_preferences") or []:
                if not isinstance(preference, dict):
                    continue
                item = {
                    "phone_number_id": phone_number_id,
                    "wa_id": preference.get("wa_id"),
                    "category": preference.get("category"),
                    "value": preference.get("value"),
                    "timestamp": str(preference.get("timestamp", "")),
                }
                if all(isinstance(text, str) for text in item.values()) and item["wa_id"]:
                    found.append(item)
    return found


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


def _first_time(*identity: str) -> bool:
    return True


def whatsapp_webhook_handle(
    *, payload: dict, once: Callable[..., bool] = _first_time
) -> list[Inbound]:
    """Act on one WhatsApp webhook: receipts update the deliveries, marketing opt-outs
    set in WhatsApp unsubscribe, the opt-in keyword subscribes, a way of leaving
    unsubscribes (with a confirmation, to subscribers only); every other message is
    returned for the inbox.

    `once(kind, *ids)` says whether an item (known by WhatsApp's own ids) is new, and
    records it: each item is handled in its own transaction with that claim, so the same
    message re-delivered in another body is handled once.
    """
    network = _network()
    for receipt in network.parse_statuses(payload):
        with transaction.atomic():
            if not receipt["message_id"] or once(
                "status", receipt["message_id"], receipt["status"]
            ):
                delivery_status_record(**receipt)
    for preference in _preferences(payload):
        with transaction.atomic():
            if once(
                "preference",
                preference["phone_number_id"],
                preference["wa_id"],
                preference["category"],
                preference["value"],
                preference["timestamp"],
            ):
                whatsapp_preference_record(**preference)
    for_inbox = []
    for inbound in network.parse_webhook(payload):
        with transaction.atomic():
            if inbound.remote_id and not once("message", inbound.remote_id):
                continue
            if _message_handle(network, inbound):
                for_inbox.append(inbound)
    return for_inbox


def _message_handle(network, inbound: Inbound) -> bool:
    """Subscribe, unsubscribe or ask; True when the message is for the inbox."""
    phone_number_id = inbound.raw.get("phone_number_id", "")
    account = _account_for(phone_number_id)
    if account is None:
        logger.warning("WhatsApp message for unknown phone number id %s", phone_number_id)
        return False
    setup = broadcast_setup_for(account=account)
    try:
        phone = phone_normalize(inbound.author_id)
    except ValidationError:  # not a phone number (a business-scoped user id)
        return True
    word = _word(inbound.text)
    if word and word == _word(setup.opt_in_keyword):
        subscriber_opt_in(account=account, phone=phone, source=Subscriber.Source.KEYWORD)
        return False
    leaving = leaving_request(inbound.text)
    if leaving is Leaving.YES:
        subscriber = subscriber_opt_out(account=account, phone=phone)
        if subscriber is not None:  # never subscribed: nothing to confirm, nothing sent
            text = gettext(
                "You are unsubscribed: you will no longer receive our messages. Send "
                "%(keyword)s to subscribe again."
            ) % {"keyword": setup.opt_in_keyword}
            _send_safely(account, phone, lambda: network.send_text(account, to=phone, text=text))
        return False
    if leaving is Leaving.MAYBE:
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
