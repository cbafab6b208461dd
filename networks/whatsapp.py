"""WhatsApp through the Cloud API (pywa): the broadcast list, and the Channel, assisted.

WhatsApp Channels have no posting API. A post goes either to the account's broadcast
list, as its approved message template, one message per subscriber of the post's
segment; or, for the official Channel, to the channel's administrators, who paste it
and then confirm in Crieur (the publication waits for them).

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
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext as _
from pywa import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types.templates import TemplateLanguage

from . import config, redaction, transport
from .base import (
    AccountGrant,
    AuthExpired,
    Inbound,
    Metrics,
    NetworkError,
    RateLimited,
    Rejected,
    RemoteRef,
    Transient,
)
from .checks import Problem
from .common import NetworkBase

if TYPE_CHECKING:
    from cms.models import Variant

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

    def check(self, variant: Variant) -> list[Problem]:
        """The shared checks, and the template's limit for the broadcast list; never
        raises."""
        problems = super().check(variant)
        try:
            from publishing.broadcast import BroadcastSetup
            from publishing.broadcast_services import broadcast_setup_for

            setup = broadcast_setup_for(account=variant.account)
            length = len(template_text(variant.effective_text))
            if (
                setup.mode == BroadcastSetup.Mode.BROADCAST
                and length > TEMPLATE_BODY_MAX
                and not any(problem.code == "too_long" for problem in problems)
            ):
                message = _(
                    "WhatsApp: %(count)d characters out of %(max)d for the broadcast list's "
                    "message template: shorten the text."
                ) % {"count": length, "max": TEMPLATE_BODY_MAX}
                problems.append(Problem(self.name, "too_long", message))
        except Exception:  # noqa: BLE001 - a check must never stop a save
            logger.exception("WhatsApp template check failed")
        return problems

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

    # -- sending, for the broadcast services too ----------------------------------------

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
        variant: Variant,
        *,
        key: str,
        done_parts: Sequence[str] = (),
        on_part: Callable[[str], None] | None = None,
    ) -> RemoteRef:
        from publishing.broadcast import BroadcastSetup
        from publishing.broadcast_services import broadcast_setup_for

        account = variant.account
        setup = broadcast_setup_for(account=account)
        out = self.outgoing(variant)
        if setup.mode == BroadcastSetup.Mode.CHANNEL:
            return self._publish_channel(account, setup, variant, out, key)
        return self._publish_broadcast(account, setup, variant, out, key, done_parts, on_part)

    def _publish_broadcast(
        self, account, setup, variant, out, key, done_parts, on_part
    ) -> RemoteRef:
        from publishing.broadcast import Delivery
        from publishing.broadcast_services import segment_for

        if not setup.template_name.strip():
            raise Rejected(
                _(
                    "Choose the approved message template of this WhatsApp account (in its "
                    "broadcast settings) before publishing."
                ),
                network=self.name,
            )
        language = self._language(setup.template_language)
        post = variant.post
        segment = list(segment_for(account=account, post=post))
        if not segment:
            raise Rejected(
                _(
                    "Nobody has subscribed to these themes or this territory on the WhatsApp "
                    "list yet: choose other themes or another territory, or wait for "
                    "subscribers."
                ),
                network=self.name,
            )
        done = [part for part in done_parts if part]
        # Whoever already has a message for this post (or for a part an earlier try
        # recorded) is never messaged again.
        reached = set(
            Delivery.objects.filter(account=account, subscriber__isnull=False)
            .filter(Q(post_id=post.pk) | Q(message_id__in=done))
            .exclude(message_id="")
            .values_list("subscriber_id", flat=True)
        )
        components = self.template_components(out)
        sent: list[str] = []
        failures: list[str] = []
        with self._account_client(account) as wa:
            for subscriber in segment:
                if subscriber.pk in reached:
                    continue
                message, error = self._attempt(
                    lambda phone=subscriber.phone: wa.send_template(
                        to=wa_id(phone),
                        name=setup.template_name.strip(),
                        language=language,
                        params=components,
                        tracker=key,
                    )
                )
                if error is not None:
                    if error.code not in RECIPIENT_CODES:
                        raise self.typed_error(error) from error
                    reason = _recipient_reason(error, subscriber.phone)
                    failures.append(reason)
                    Delivery.objects.update_or_create(
                        account=account,
                        post_id=post.pk,
                        subscriber=subscriber,
                        message_id="",
                        defaults={
                            "recipient": subscriber.phone,
                            "status": Delivery.Status.FAILED,
                            "error": reason,
                        },
                    )
                    continue
                self._record_sent(account, message.id, subscriber.phone, post.pk, subscriber)
                sent.append(message.id)
                if on_part is not None:
                    on_part(message.id)
        ids = done + sent
        if not ids:
            ids = list(
                Delivery.objects.filter(account=account, post_id=post.pk, subscriber__isnull=False)
                .exclude(message_id="")
                .order_by("pk")
                .values_list("message_id", flat=True)
            )
        if not ids:
            raise Rejected(failures[0], network=self.name)
        return RemoteRef(
            network=self.name,
            id=ids[0],
            parts=tuple(ids[1:]),
            data={
                "mode": "broadcast",
                "recipients": len(ids),
                "failed": len(failures),
                "template": setup.template_name.strip(),
            },
        )

    def _publish_channel(self, account, setup, variant, out, key) -> RemoteRef:
        from django.core.exceptions import ValidationError

        from publishing.broadcast import Delivery

        try:
            admins = setup.admin_phones()
        except ValidationError as error:
            raise Rejected(" ".join(error.messages), network=self.name) from error
        if not admins:
            raise Rejected(
                _(
                    "Add the phone numbers of the channel's administrators in this WhatsApp "
                    "account's broadcast settings: they receive the post to paste in the "
                    "channel."
                ),
                network=self.name,
            )
        post = variant.post
        already = set(
            Delivery.objects.filter(account=account, post_id=post.pk, subscriber__isnull=True)
            .exclude(message_id="")
            .values_list("recipient", flat=True)
        )
        image = out.images[0] if out.images else None
        sent_to: list[str] = []
        failures: list[dict[str, str]] = []
        with self._account_client(account) as wa:
            for phone in admins:
                if phone in already:
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
                    self._record_sent(account, message_id, phone, post.pk, None)
                sent_to.append(phone)
        if not sent_to:
            raise Rejected(failures[0]["reason"], network=self.name)
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

    @staticmethod
    def _record_sent(account, message_id: str, phone: str, post_id, subscriber) -> None:
        from publishing.broadcast import Delivery

        # A receipt may have come first (webhooks are not ordered): keep its status.
        delivery, created = Delivery.objects.get_or_create(
            message_id=message_id,
            defaults={
                "account": account,
                "subscriber": subscriber,
                "recipient": phone,
                "post_id": post_id,
                "status": Delivery.Status.SENT,
            },
        )
        if not created:
            delivery.account = account
            delivery.subscriber = subscriber
            delivery.recipient = phone
            delivery.post_id = post_id
            delivery.save(
                update_fields=["account", "subscriber", "recipient", "post", "updated_at"]
            )

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
        return None  # WhatsApp lists no sent messages; the Delivery rows are the record

    # -- answering citizens -----------------------------------------------------------

    def reply(self, inbound: Inbound, text: str, *, account: SocialAccount) -> RemoteRef:
        message_id = self.send_text(account, to=inbound.author_id, text=text)
        return RemoteRef(network=self.name, id=message_id, data={"to": inbound.author_id})

    # -- figures ------------------------------------------------------------------------

    def metrics(self, ref: RemoteRef, *, account: SocialAccount) -> Metrics:
        """Delivery and read receipts of the post's messages (from the webhooks)."""
        from publishing.broadcast import Delivery

        ids = [message_id for message_id in (ref.id, *ref.parts) if message_id]
        statuses = list(
            Delivery.objects.filter(account=account, message_id__in=ids).values_list(
                "status", flat=True
            )
        )
        counts = {
            "messages": len(statuses),
            "sent": sum(status != Delivery.Status.FAILED for status in statuses),
            "delivered": sum(
                status in (Delivery.Status.DELIVERED, Delivery.Status.READ) for status in statuses
            ),
            "read": sum(status == Delivery.Status.READ for status in statuses),
            "failed": sum(status == Delivery.Status.FAILED for status in statuses),
        }
        return Metrics(impressions=counts["read"], raw=counts)

    # -- webhooks -------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: dict) -> bool:
        """Meta signs the body with the app secret: X-Hub-Signature-256: sha256=<hex>."""
        secret = config.client("meta")[1]
        lowered = {key.lower(): value for key, value in headers.items()}
        signature = lowered.get("x-hub-signature-256", "")
        if not secret or not signature.startswith("sha256="):
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature[len("sha256=") :], expected)

    @staticmethod
    def _values(payload: dict) -> Iterator[dict]:
        for entry in payload.get("entry") or []:
            for change in entry.get("changes") or []:
                if change.get("field", "messages") == "messages":
                    yield change.get("value") or {}

    def parse_webhook(self, payload: dict) -> list[Inbound]:
        """The messages citizens sent (text, captions, button answers)."""
        found = []
        for value in self._values(payload):
            phone_number_id = (value.get("metadata") or {}).get("phone_number_id", "")
            names = {
                contact.get("wa_id"): (contact.get("profile") or {}).get("name", "")
                for contact in value.get("contacts") or []
            }
            for message in value.get("messages") or []:
                sender = str(message.get("from", ""))
                found.append(
                    Inbound(
                        network=self.name,
                        remote_id=message.get("id", ""),
                        kind="message",
                        text=_message_text(message),
                        author_id=f"+{sender}" if sender.isdigit() else sender,
                        author_name=names.get(sender, ""),
                        created_at=_timestamp(message.get("timestamp")),
                        in_reply_to=(message.get("context") or {}).get("id", ""),
                        raw={**message, "phone_number_id": phone_number_id},
                    )
                )
        return found

    def parse_statuses(self, payload: dict) -> list[dict[str, str]]:
        """The receipts (sent, delivered, read, failed) of the messages Crieur sent."""
        found = []
        for value in self._values(payload):
            phone_number_id = (value.get("metadata") or {}).get("phone_number_id", "")
            for status in value.get("statuses") or []:
                errors = status.get("errors") or []
                error = ""
                if errors:
                    first = errors[0]
                    details = (first.get("error_data") or {}).get("details", "")
                    error = f"{first.get('code', '')} {first.get('title', '')} {details}".strip()
                recipient = str(status.get("recipient_id", ""))
                found.append(
                    {
                        "phone_number_id": phone_number_id,
                        "message_id": status.get("id", ""),
                        "status": status.get("status", ""),
                        "recipient": f"+{recipient}" if recipient.isdigit() else recipient,
                        "error": error,
                    }
                )
        return found


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
    except (TypeError, ValueError):
        return datetime.now(UTC)


NETWORK = WhatsAppNetwork()
