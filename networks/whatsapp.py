"""WhatsApp through the Cloud API (pywa): the broadcast list, and the Channel, assisted.

WhatsApp Channels have no posting API. A post goes either to the account's broadcast
list, as its approved message template, one message per subscriber of the post's
segment; or, for the official Channel, to the channel's administrators, who paste it
and then confirm in Crieur (the publication waits for them).

The list itself (its settings, who subscribed to what, what each got) belongs to
publishing, above networks. `publish` takes the scheduler's generic call (an `Outgoing`
that names its post, the account, the key, the parts an earlier try sent) and asks the
broadcast list publishing registered (`signals.broadcast_list()`, a `base.BroadcastList`)
for the plain data of this post: the mode, the template, the recipients in order and
who already has it (`base.Broadcast`). It sends, and reports each message sent or
refused to the list at once, so that a broadcast cut short resumes without messaging
anyone twice. Everything else here is plain-data operations: sending a text or a
template, reading webhooks into items.

The account's `remote_id` is the business phone number id; its credentials hold the
system user's `access_token` and the `waba_id`. There is no OAuth: an administrator
enters the token (`connect_with_token`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from pywa import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types.templates import TemplateLanguage

from . import config, redaction, transport
from .base import (
    AccountGrant,
    AuthExpired,
    Broadcast,
    BroadcastList,
    HandshakeAnswer,
    Inbound,
    Metrics,
    NetworkError,
    Preference,
    RateLimited,
    Receipt,
    Received,
    Rejected,
    RemoteRef,
    Transient,
    WebhookItems,
)
from .checks import Problem
from .common import NetworkBase
from .signals import broadcast_list
from .webhook_items import SHAPE_ERRORS, ItemReader, hub_challenge, listed

if TYPE_CHECKING:
    from .base import Outgoing
    from .models import SocialAccount

logger = logging.getLogger(__name__)

# Graph error codes (developers.facebook.com, WhatsApp Cloud API "Error codes").
AUTH_CODES = {0, 190}
PERMISSION_CODES = {3, 10, *range(200, 300)}
# Throughput (130429), pair rate (131056), spam (131048), app (4) and WABA (80007) limits;
# how long each lasts when WhatsApp does not say (throughput clears within a second, the
# pair rate is about one message every 6 s to one person).
RATE_LIMIT_WAIT = {130429: 1, 131056: 6, 131048: 3600, 4: 3600, 80007: 3600}
TRANSIENT_CODES = {1, 2, 131000, 131016, 133004}
TEMPLATE_CODES = set(range(132000, 132019))
# Refusals about one recipient: the rest of a broadcast goes on without them.
RECIPIENT_CODES = {131026, 131021, 131030, 131047, 131049, 131050, 130472}

CAPTION_MAX = 1024
# A template's body holds at most 1024 characters, the post's text included.
TEMPLATE_BODY_MAX = 1024


def wa_id(phone: str) -> str:
    """The WhatsApp id of an E.164 number: its digits, without "+"."""
    return re.sub(r"\D", "", phone)


def template_text(text: str) -> str:
    """A post's text as a template variable: WhatsApp refuses a parameter holding a line
    break, a tab or more than four spaces in a row (error 132018), so lines are joined."""
    return re.sub(r"\s+", " ", text).strip()


def _recipient_reason(error: WhatsAppError, phone: str) -> str:
    if error.code == 131047:
        return _(
            "WhatsApp only lets a free message reach someone who wrote to the number in "
            "the last 24 hours: ask %(phone)s to send any message to the account's "
            "number, then send again."
        ) % {"phone": phone}
    if error.code == 131030:
        return _(
            "%(phone)s is not in the test number's list of allowed recipients: add it in "
            "WhatsApp Manager, or use the account's real number."
        ) % {"phone": phone}
    if error.code in (131049, 131050):
        return _(
            "WhatsApp did not deliver the message to %(phone)s: this person stopped "
            "receiving marketing messages or has received too many."
        ) % {"phone": phone}
    return _(
        "WhatsApp could not deliver the message to %(phone)s (number not on WhatsApp, "
        "or the app is out of date)."
    ) % {"phone": phone}


def _detail(error: WhatsAppError) -> str:
    return str(error.details or error.user_msg or error.message or error.code)


class WhatsAppNetwork(NetworkBase):
    name = "whatsapp"

    def template_problem(self, text: str) -> Problem | None:
        """The broadcast list's limit on a post's text, which fills its template's body
        (1024 characters at most); it applies to the accounts that publish to their list,
        which the list knows (the Channel takes the longer free message)."""
        length = len(template_text(text))
        if length <= TEMPLATE_BODY_MAX:
            return None
        message = _(
            "WhatsApp: %(count)d characters out of %(max)d for the broadcast list's "
            "message template: shorten the text."
        ) % {"count": length, "max": TEMPLATE_BODY_MAX}
        return Problem(self.name, "too_long", message)

    # -- the client ---------------------------------------------------------------------

    @contextmanager
    def _client(
        self, phone_number_id: str, access_token: str, account_id=None
    ) -> Iterator[WhatsApp]:
        """A pywa client on its own httpx session (pywa refuses a shared one), which the
        transport sends to the configured Graph address; no webhook server, no
        registration: nothing reaches the network before a call."""
        redaction.remember(access_token)
        session = transport.httpx_client("graph_api", account_id=account_id)
        try:
            yield WhatsApp(
                phone_id=phone_number_id,
                token=access_token,
                session=session,
                api_version=float(config.graph_version().lstrip("vV")),
                filter_updates=False,
                validate_updates=False,
            )
        finally:
            session.close()

    def _account_client(self, account: SocialAccount):
        credentials = account.credentials or {}
        return self._client(account.remote_id, credentials.get("access_token", ""), account.pk)

    def _attempt(self, call: Callable[[], Any]) -> tuple[Any, WhatsAppError | None]:
        """Run one pywa call: (its result, None), or (None, the WhatsApp error).

        pywa's errors are frozen dataclasses: they cannot travel through a
        `contextmanager` (it sets their traceback), so they are caught right here.
        Connection failures and timeouts become typed errors (`http_errors`).
        """
        with transport.http_errors(self.name):
            try:
                return call(), None
            except WhatsAppError as error:
                return None, error

    def _call(self, call: Callable[[], Any], *, phone: str = "") -> Any:
        """Run one pywa call; any failure raised as a typed error."""
        result, error = self._attempt(call)
        if error is not None:
            raise self.typed_error(error, phone=phone) from error
        return result

    def typed_error(self, error: WhatsAppError, *, phone: str = "") -> NetworkError:
        """The typed error for a WhatsApp error code (Graph error shape)."""
        code = error.code
        status = error.status_code
        body = error.raw
        common = {"network": self.name, "status": status, "body": body}
        if code in AUTH_CODES:
            return AuthExpired(
                _(
                    "WhatsApp no longer accepts this account's access token: create a new "
                    "token in Meta Business Suite and connect the number again."
                ),
                **common,
            )
        if code in PERMISSION_CODES:
            return AuthExpired(
                _(
                    "The access token lacks the WhatsApp permissions "
                    "(whatsapp_business_messaging): give them to the system user and "
                    "connect the number again."
                ),
                **common,
            )
        if code in RATE_LIMIT_WAIT:
            return RateLimited(
                f"WhatsApp rate limit ({code}): {_detail(error)}",
                reset_at=self._reset_at(error),
                scope="account",
                **common,
            )
        if code in TRANSIENT_CODES or (status is not None and status >= 500):
            return Transient(f"WhatsApp failed ({code}): {_detail(error)}", **common)
        if code in TEMPLATE_CODES:
            return Rejected(
                _(
                    "WhatsApp refused the message template (%(reason)s): check in WhatsApp "
                    "Manager that the template named in this account's broadcast settings "
                    "is approved, in that language, with one variable {{1}} in its body."
                )
                % {"reason": _detail(error)},
                **common,
            )
        if code in RECIPIENT_CODES:
            return Rejected(_recipient_reason(error, phone or _("this person")), **common)
        return Rejected(
            _("WhatsApp refused the request: %(reason)s") % {"reason": _detail(error)},
            **common,
        )

    def _reset_at(self, error: WhatsAppError) -> datetime:
        wait: float = RATE_LIMIT_WAIT.get(error.code, 60)
        response = error.raw_response
        if response is not None:
            retry_after = response.headers.get("retry-after", "")
            if retry_after.isdigit():
                wait = int(retry_after)
        return datetime.now(UTC) + timedelta(seconds=wait)

    @staticmethod
    def _language(code: str) -> TemplateLanguage:
        try:
            return TemplateLanguage(code.strip())
        except (ValueError, TypeError):
            raise Rejected(
                _(
                    "“%(language)s” is not a WhatsApp template language: write the code "
                    "shown in WhatsApp Manager, for example fr."
                )
                % {"language": code},
                network="whatsapp",
            ) from None

    # -- sending, for the broadcast list too ----------------------------------------------

    def send_text(self, account: SocialAccount, *, to: str, text: str) -> str:
        """Send a free text (inside the 24 h window); return the message id."""
        with self._account_client(account) as wa:
            return self._call(lambda: wa.send_message(to=wa_id(to), text=text).id, phone=to)

    def send_template(
        self,
        account: SocialAccount,
        *,
        to: str,
        name: str,
        language: str,
        components: Sequence[dict[str, Any]] = (),
    ) -> str:
        """Send an approved template; return the message id."""
        template_language = self._language(language)
        with self._account_client(account) as wa:
            return self._call(
                lambda: (
                    wa.send_template(
                        to=wa_id(to), name=name, language=template_language, params=list(components)
                    ).id
                ),
                phone=to,
            )

    @staticmethod
    def template_components(out: Outgoing) -> list[dict[str, Any]]:
        """The post's text as the body's {{1}}, its first image as the header."""
        components: list[dict[str, Any]] = []
        if out.images:
            components.append(
                {
                    "type": "header",
                    "parameters": [{"type": "image", "image": {"link": out.images[0].url}}],
                }
            )
        components.append(
            {"type": "body", "parameters": [{"type": "text", "text": template_text(out.text)}]}
        )
        return components

    # -- publishing ---------------------------------------------------------------------

    def publish(
        self,
        out: Outgoing,
        *,
        account: SocialAccount,
        key: str,
        done_parts: Sequence[str] = (),
        on_part: Callable[[str], None] | None = None,
    ) -> RemoteRef:
        """Send `out` to the account's broadcast list, or to its Channel's administrators
        (see the module's docstring): the list says who, this module sends."""
        lists = broadcast_list()
        done = tuple(part for part in done_parts if part)
        broadcast = lists.broadcast(account=account, post_id=out.post_id, done_parts=done)
        if broadcast.mode == "channel":
            return self._publish_channel(account, lists, broadcast, out, key)
        return self._publish_broadcast(account, lists, broadcast, out, key, done, on_part)

    def _publish_broadcast(
        self,
        account: SocialAccount,
        lists: BroadcastList,
        broadcast: Broadcast,
        out: Outgoing,
        key: str,
        done: tuple[str, ...],
        on_part: Callable[[str], None] | None,
    ) -> RemoteRef:
        language = self._language(broadcast.template_language)
        template = broadcast.template_name.strip()
        components = self.template_components(out)
        sent: list[str] = []
        failures: list[str] = []
        with self._account_client(account) as wa:
            for recipient in broadcast.recipients:
                if recipient.reached:
                    continue
                message, error = self._attempt(
                    lambda phone=recipient.phone: wa.send_template(
                        to=wa_id(phone),
                        name=template,
                        language=language,
                        params=components,
                        tracker=key,
                    )
                )
                if error is not None:
                    if error.code not in RECIPIENT_CODES:
                        raise self.typed_error(error) from error
                    reason = _recipient_reason(error, recipient.phone)
                    failures.append(reason)
                    lists.message_refused(
                        account=account, post_id=out.post_id, recipient=recipient, reason=reason
                    )
                    continue
                lists.message_sent(
                    account=account, post_id=out.post_id, recipient=recipient, message_id=message.id
                )
                sent.append(message.id)
                if on_part is not None:
                    on_part(message.id)
        ids = [*done, *sent] or list(broadcast.sent)
        if not ids:
            raise Rejected(
                failures[0] if failures else _("WhatsApp: nobody to send this post to."),
                network=self.name,
            )
        return RemoteRef(
            network=self.name,
            id=ids[0],
            parts=tuple(ids[1:]),
            data={
                "mode": "broadcast",
                "recipients": len(ids),
                "failed": len(failures),
                "template": template,
            },
        )

    def _publish_channel(
        self,
        account: SocialAccount,
        lists: BroadcastList,
        broadcast: Broadcast,
        out: Outgoing,
        key: str,
    ) -> RemoteRef:
        image = out.images[0] if out.images else None
        sent_to: list[str] = []
        failures: list[dict[str, str]] = []
        with self._account_client(account) as wa:
            for recipient in broadcast.recipients:
                phone = recipient.phone
                if recipient.reached:
                    sent_to.append(phone)
                    continue
                ids, error = self._attempt(
                    lambda phone=phone: self._send_to_admin(wa, phone, out.text, image, key)
                )
                if error is not None:
                    if error.code not in RECIPIENT_CODES:
                        raise self.typed_error(error) from error
                    failures.append({"phone": phone, "reason": _recipient_reason(error, phone)})
                    continue
                for message_id in ids:
                    lists.message_sent(
                        account=account,
                        post_id=out.post_id,
                        recipient=recipient,
                        message_id=message_id,
                    )
                sent_to.append(phone)
        if not sent_to:
            raise Rejected(
                failures[0]["reason"] if failures else _("WhatsApp: nobody to send this post to."),
                network=self.name,
            )
        return RemoteRef(
            network=self.name,
            id="",
            data={
                "mode": "channel",
                "awaiting_confirmation": True,
                "sent_to": sent_to,
                "failed": failures,
            },
        )

    @staticmethod
    def _send_to_admin(wa: WhatsApp, phone: str, text: str, image, key: str) -> list[str]:
        """The post as the administrator will paste it: the image with the text as its
        caption (or the image, then the text, when the text is longer than a caption)."""
        to = wa_id(phone)
        if image is None:
            return [wa.send_message(to=to, text=text, tracker=key).id]
        if len(text) <= CAPTION_MAX:
            return [wa.send_image(to=to, image=image.url, caption=text or None, tracker=key).id]
        return [
            wa.send_image(to=to, image=image.url, tracker=key).id,
            wa.send_message(to=to, text=text, tracker=key).id,
        ]

    # -- connecting -------------------------------------------------------------------

    def connect_with_token(
        self, *, phone_number_id: str, access_token: str, waba_id: str
    ) -> AccountGrant:
        """Check the token on the phone number and describe the account (no OAuth)."""
        if not (phone_number_id and access_token and waba_id):
            raise Rejected(
                _("Give the phone number id, the WhatsApp Business account id and the token."),
                network=self.name,
            )
        with self._client(phone_number_id, access_token) as wa:
            data = self._call(
                lambda: wa.api.get_business_phone_number(
                    phone_id=phone_number_id, fields=("display_phone_number", "verified_name")
                )
            )
        display = data.get("display_phone_number", "")
        return AccountGrant(
            network=self.name,
            remote_id=phone_number_id,
            display_name=data.get("verified_name") or display or phone_number_id,
            handle=display,
            credentials={"access_token": access_token, "waba_id": waba_id},
        )

    # -- what WhatsApp cannot do ------------------------------------------------------

    def delete(self, ref: RemoteRef, *, account: SocialAccount) -> None:
        raise Rejected(
            _(
                "WhatsApp cannot take back a message sent to subscribers: send a correction "
                "instead."
            ),
            network=self.name,
        )

    def hide(self, inbound: Inbound, *, account: SocialAccount) -> None:
        raise Rejected(_("WhatsApp has no way to hide a message."), network=self.name)

    def fetch_replies(self, account: SocialAccount, since: datetime | None) -> list[Inbound]:
        return []  # messages come by webhook only

    def find_recent(self, account: SocialAccount, *, text: str, since: datetime):
        return None  # WhatsApp lists no sent messages; the broadcast list keeps the record

    # -- answering citizens -----------------------------------------------------------

    def reply(self, inbound: Inbound, text: str, *, account: SocialAccount) -> RemoteRef:
        message_id = self.send_text(account, to=inbound.author_id, text=text)
        return RemoteRef(network=self.name, id=message_id, data={"to": inbound.author_id})

    # -- figures ------------------------------------------------------------------------

    def metrics(self, ref: RemoteRef, *, account: SocialAccount) -> Metrics:
        """Delivery and read receipts of the post's messages (the list keeps them, from
        the webhooks)."""
        ids = [message_id for message_id in (ref.id, *ref.parts) if message_id]
        statuses = broadcast_list().message_statuses(account=account, message_ids=ids)
        counts = {
            "messages": len(statuses),
            "sent": sum(status != "failed" for status in statuses),
            "delivered": sum(status in ("delivered", "read") for status in statuses),
            "read": sum(status == "read" for status in statuses),
            "failed": sum(status == "failed" for status in statuses),
        }
        return Metrics(impressions=counts["read"], raw=counts)

    # -- webhooks -------------------------------------------------------------------------

    def webhook_handshake(self, query: dict[str, str]) -> HandshakeAnswer | None:
        """Meta's subscription check, as for Pages (`hub.challenge`)."""
        return hub_challenge(query)

    def verify_webhook(self, body: bytes, headers: dict) -> bool:
        """Meta signs the body with the app secret: X-Hub-Signature-256: sha256=<hex>."""
        secret = config.client("meta")[1]
        lowered = {key.lower(): value for key, value in headers.items()}
        signature = lowered.get("x-hub-signature-256", "")
        if not secret or not signature.startswith("sha256="):
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature[len("sha256=") :], expected)

    def webhook_items(self, payload: dict[str, Any]) -> WebhookItems:
        """The receipts (sent, delivered, read, failed) of the messages Crieur sent, the
        marketing preferences citizens set in WhatsApp itself (field "user_preferences"),
        then the messages they sent (text, captions, button answers), each read on its
        own: one that cannot be read is skipped, the others kept."""
        reader = ItemReader()
        receipts: list[tuple[str, Any, Callable[[], list[Received]]]] = []
        preferences: list[tuple[str, Any, Callable[[], list[Received]]]] = []
        messages: list[tuple[str, Any, Callable[[], list[Received]]]] = []
        for entry in listed(payload, "entry"):
            for change in listed(entry, "changes"):
                try:
                    field, value, phone_number_id = _change(change)
                    if field == "messages":
                        names = _contact_names(value)
                        receipts += [
                            ("receipt", item, partial(_receipt, item, phone_number_id))
                            for item in listed(value, "statuses")
                        ]
                        messages += [
                            ("message", item, partial(_message, item, phone_number_id, names))
                            for item in listed(value, "messages")
                        ]
                    elif field == "user_preferences":
                        preferences += [
                            ("preference", item, partial(_preference, item, phone_number_id))
                            for item in listed(value, "user_preferences")
                        ]
                except SHAPE_ERRORS as error:
                    reader.skip("change", change, type(error).__name__)
        for what, raw, build in (*receipts, *preferences, *messages):
            reader.read(what, raw, build)
        return reader.result()

    def parse_webhook(self, payload: dict) -> list[Inbound]:
        """The messages citizens sent (those that can be read)."""
        return [
            item.content
            for item in self.webhook_items(payload).items
            if isinstance(item.content, Inbound)
        ]


def _change(change: Any) -> tuple[str, dict, str]:
    """A change's field, value and phone number id; TypeError when it has another shape."""
    if not isinstance(change, dict):
        raise TypeError("a change is not an object")
    value = change.get("value") or {}
    if not isinstance(value, dict):
        raise TypeError("a change's value is not an object")
    metadata = value.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise TypeError("a change's metadata is not an object")
    phone_number_id = metadata.get("phone_number_id", "")
    if not isinstance(phone_number_id, str):
        raise TypeError("the phone number id is not a string")
    return change.get("field", "messages"), value, phone_number_id


def _contact_names(value: dict) -> dict[str, str]:
    """The profile names WhatsApp sends with messages, by WhatsApp id (odd ones left out)."""
    names = {}
    for contact in listed(value, "contacts"):
        if not isinstance(contact, dict):
            continue
        profile = contact.get("profile")
        name = profile.get("name", "") if isinstance(profile, dict) else ""
        if isinstance(contact.get("wa_id"), str) and isinstance(name, str):
            names[contact["wa_id"]] = name
    return names


def _receipt(status: dict, phone_number_id: str) -> list[Received]:
    errors = status.get("errors") or []
    error = ""
    if errors:
        first = errors[0]
        details = (first.get("error_data") or {}).get("details", "")
        error = f"{first.get('code', '')} {first.get('title', '')} {details}".strip()
    recipient = str(status.get("recipient_id", ""))
    receipt = Receipt(
        message_id=status.get("id", ""),
        status=status.get("status", ""),
        recipient=f"+{recipient}" if recipient.isdigit() else recipient,
        error=error,
    )
    return [
        Received(
            network="whatsapp",
            account_remote_id=phone_number_id,
            kind="receipt",
            identity=("status", receipt.message_id, receipt.status),
            content=receipt,
        )
    ]


def _preference(preference: dict, phone_number_id: str) -> list[Received]:
    choice = Preference(
        user_id=preference.get("wa_id", ""),
        category=preference.get("category"),
        value=preference.get("value"),
        timestamp=str(preference.get("timestamp", "")),
    )
    return [
        Received(
            network="whatsapp",
            account_remote_id=phone_number_id,
            kind="preference",
            identity=(
                "preference",
                phone_number_id,
                choice.user_id,
                choice.category,
                choice.value,
                choice.timestamp,
            ),
            content=choice,
        )
    ]


def _message(message: dict, phone_number_id: str, names: dict[str, str]) -> list[Received]:
    sender = str(message["from"])
    inbound = Inbound(
        network="whatsapp",
        remote_id=message.get("id", ""),
        kind="message",
        text=_message_text(message),
        author_id=f"+{sender}" if sender.isdigit() else sender,
        author_name=names.get(sender, ""),
        created_at=_timestamp(message.get("timestamp")),
        in_reply_to=(message.get("context") or {}).get("id", ""),
        raw={**message, "phone_number_id": phone_number_id},
    )
    return [
        Received(
            network="whatsapp",
            account_remote_id=phone_number_id,
            kind="message",
            identity=("message", inbound.remote_id),
            content=inbound,
        )
    ]


def _message_text(message: dict) -> str:
    kind = message.get("type", "")
    content = message.get(kind) or {}
    if kind == "text":
        return content.get("body", "")
    if kind in ("image", "video", "document"):
        return content.get("caption", "")
    if kind == "button":
        return content.get("text", "")
    if kind == "interactive":
        reply = content.get("button_reply") or content.get("list_reply") or {}
        return reply.get("title", "")
    return ""


def _timestamp(value) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


NETWORK = WhatsAppNetwork()
