"""The one interface every network implements, the plain data it takes and gives back,
and the typed errors the scheduler acts on.

Every network module of `networks/` (x, facebook, instagram, linkedin, whatsapp) defines
one class implementing `Network`; `networks.get(name)` returns its instance. Nothing
outside `networks/` imports a network's SDK.

Network modules take plain data, never another Crieur app's models: what a post's
version sends is an `Outgoing` (built from a `cms.Variant` by `cms.adaptation`), what the
checks read a `checks.Draft`, and the account is networks' own `SocialAccount`. Tokens
are per account, so every method that acts for an account takes it as an argument
(`publish(out, account=..., key=...)`, `delete(ref, account=...)`).

Optional capabilities are protocols of their own, found with `isinstance`, never with
`hasattr`: `Refreshable` (token renewal), `OAuthNetwork` (the OAuth connect flow).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .redaction import redact, redact_value

if TYPE_CHECKING:
    from .checks import Draft, Problem
    from .limits import Limits
    from .models import SocialAccount


# -- What comes back from a network -------------------------------------------------------


@dataclass(frozen=True)
class RemoteRef:
    """A post the network holds: its id, its public address, and the ids of its parts.

    `parts` lists, in order, the ids of everything a publication created after the
    first object: thread parts, the first comment. `data` keeps what reconciliation or
    metrics need later (JSON-serialisable).
    """

    network: str
    id: str
    url: str = ""
    parts: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Inbound:
    """Something a citizen sent: a comment, a reply, a mention or a private message."""

    network: str
    remote_id: str
    kind: str  # "comment", "reply", "mention", "message"
    text: str
    author_id: str
    author_name: str
    created_at: datetime
    in_reply_to: str = ""  # the remote id of the post or comment it answers
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metrics:
    impressions: int | None = None
    reactions: int | None = None
    comments: int | None = None
    shares: int | None = None
    clicks: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountGrant:
    """An account an OAuth authorization (or a token entered by hand) gave access to."""

    network: str
    remote_id: str
    display_name: str
    handle: str
    credentials: dict[str, Any]
    token_expires_at: datetime | None = None


# -- What goes out --------------------------------------------------------------------------


@dataclass(frozen=True)
class Media:
    """One image or video, already converted for the network it goes to."""

    kind: str  # "image" or "video"
    filename: str
    content_type: str
    url: str  # absolute address the network can fetch (Instagram, Facebook by URL)
    alt_text: str = ""
    width: int = 0
    height: int = 0
    opener: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)

    def read(self) -> bytes:
        if self.opener is None:
            raise ValueError(f"{self.filename}: no content to read")
        return self.opener()


@dataclass(frozen=True)
class Outgoing:
    """Everything one network version sends: text, thread parts, converted media.

    Plain data: a network module needs nothing else of the post to send it.
    """

    network: str
    text: str
    format: str = "feed"
    thread: tuple[str, ...] = ()  # the parts after the first, for a thread
    media: tuple[Media, ...] = ()
    link: str = ""
    first_comment: str = ""
    # The id of the post this is a version of, when there is one: what a network records
    # per post (WhatsApp's deliveries) is keyed on it.
    post_id: int | None = None

    @property
    def images(self) -> tuple[Media, ...]:
        return tuple(m for m in self.media if m.kind == "image")

    @property
    def video(self) -> Media | None:
        return next((m for m in self.media if m.kind == "video"), None)


# -- Typed errors: the scheduler decides on the type, never on a message ------------------


class NetworkError(Exception):
    """A network refused or failed a call. `status` and `body` keep its answer.

    The message and the body are redacted here, for every error of every network: what
    an error says goes to the database, e-mails, the dashboard and logs, and the text a
    network module builds from an SDK's exception may hold the request's URL (with
    `access_token` and `appsecret_proof`) or its headers."""

    def __init__(
        self,
        message: str = "",
        *,
        network: str = "",
        status: int | None = None,
        body: Any = None,
    ):
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.network = network
        self.status = status
        self.body = redact_value(body)


class Transient(NetworkError):
    """A passing failure (5xx, connection refused): try again later."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimited(NetworkError):
    """The network's budget is spent until `reset_at` (timezone-aware) when it says."""

    def __init__(
        self, message: str = "", *, reset_at: datetime | None = None, scope: str = "app", **kwargs
    ):
        super().__init__(message, **kwargs)
        self.reset_at = reset_at
        # "app": the application's budget on the network is spent (every account waits);
        # "account": only this account's (a page's limit, Instagram's daily quota).
        self.scope = scope


class AuthExpired(NetworkError):
    """The account's token is expired or revoked: reconnect it; never retry in a loop."""


class Rejected(NetworkError):
    """A permanent refusal; `message` says why, in words the author can act on."""


class Duplicate(NetworkError):
    """The network already has this post; `ref` points at it when the network says."""

    def __init__(self, message: str = "", *, ref: RemoteRef | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.ref = ref


class Unconfirmed(NetworkError):
    """The request left and no answer came (a read timeout): the network may have the
    post. Never retried blindly: a person, or reconciliation, checks first."""


# -- The interface --------------------------------------------------------------------------


@runtime_checkable
class Network(Protocol):
    """What the scheduler, the previews and the checks call on every network."""

    name: str
    limits: Limits

    def check(self, draft: Draft) -> list[Problem]:
        """The problems `draft` would meet on this network, before approval; never raises."""
        ...

    def publish(
        self,
        out: Outgoing,
        *,
        account: SocialAccount,
        key: str,
        done_parts: Sequence[str] = (),
        on_part: Callable[[str], None] | None = None,
    ) -> RemoteRef:
        """Send `out` for `account`; `key` names the publication (an idempotency key
        where the network takes one). `done_parts` are the ids an earlier try already
        got (the post, then each further part: thread parts, the first comment): they
        are not sent again. Each new id goes to `on_part` as soon as the network
        accepts it, so that a retry goes on from there."""
        ...

    def find_recent(
        self, account: SocialAccount, *, text: str, since: datetime | None
    ) -> RemoteRef | None:
        """The account's post with this text published since `since`, or None
        (reconciliation: did a post whose worker died reach the network?)."""
        ...

    def delete(self, ref: RemoteRef, *, account: SocialAccount) -> None: ...

    def fetch_replies(
        self, account: SocialAccount, since: datetime | None
    ) -> Iterable[Inbound]: ...

    def reply(self, inbound: Inbound, text: str, *, account: SocialAccount) -> RemoteRef: ...

    def hide(self, inbound: Inbound, *, account: SocialAccount) -> None: ...

    def metrics(self, ref: RemoteRef, *, account: SocialAccount) -> Metrics: ...


@runtime_checkable
class Refreshable(Protocol):
    """Networks whose tokens are renewed ahead of expiry (the scheduler's
    `accounts_refresh`). Raises `AuthExpired` when the account must be reconnected."""

    def refresh(self, account: SocialAccount) -> AccountGrant: ...


@runtime_checkable
class OAuthNetwork(Protocol):
    """Networks whose accounts connect through the OAuth 2 authorization-code flow."""

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str: ...

    def connect(
        self, *, code: str, redirect_uri: str, code_verifier: str
    ) -> list[AccountGrant]: ...


# -- What networks send us: webhooks ---------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """How far a message the institution sent got ("sent", "delivered", "read", "failed")."""

    message_id: str
    status: str
    recipient: str = ""  # E.164 when the network gives a phone number
    error: str = ""


@dataclass(frozen=True)
class Preference:
    """A choice a person made in the network's own settings (WhatsApp: "stop" or "resume"
    its "marketing_messages")."""

    user_id: str
    category: str
    value: str
    timestamp: str = ""


@dataclass(frozen=True)
class Received:
    """One item of a webhook event, as plain data: what the apps above subscribe to
    (`networks.signals.webhook_item_received`).

    `kind` says what `content` is: "message", "comment", "reply" or "mention" (an
    `Inbound`), "receipt" (a `Receipt`), "preference" (a `Preference`). `identity` is the
    network's own ids for the item: the same item re-sent, in another body or batched
    with others, is handed on once.
    """

    network: str  # "facebook", "instagram", "x", "linkedin", "whatsapp"
    # The account it concerns: the Page or Instagram account id, the X user id, the
    # LinkedIn organisation URN, the WhatsApp phone number id.
    account_remote_id: str
    kind: str
    identity: tuple[str, ...]
    content: Inbound | Receipt | Preference


@dataclass(frozen=True)
class WebhookItems:
    """A payload read item by item: the items, and what was left out (a sentence naming
    the item and its keys, never what people wrote)."""

    items: tuple[Received, ...] = ()
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandshakeAnswer:
    """The answer to a network's subscription check (Meta's hub.challenge, X's CRC)."""

    status: int
    text: str = ""
    json: dict[str, str] | None = None


class WebhookMalformed(ValueError):
    """A payload that is not an event of the network (its envelope cannot be read)."""


@runtime_checkable
class WebhookReceiver(Protocol):
    """Networks that send webhooks to the door (`networks/webhooks.py`).

    The door answers subscription checks with `webhook_handshake` (None: not a check of
    this network), refuses bodies `verify_webhook` does not accept, and keeps the raw
    event; a task reads it later with `webhook_items`, which raises `WebhookMalformed`
    only when the envelope cannot be read: an item that cannot be read is skipped (and
    named in `skipped`), the others kept.
    """

    def webhook_handshake(self, query: dict[str, str]) -> HandshakeAnswer | None: ...

    def verify_webhook(self, body: bytes, headers: dict[str, str]) -> bool: ...

    def webhook_items(self, payload: dict[str, Any]) -> WebhookItems: ...


# -- WhatsApp's broadcast list, as plain data ----------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One person a WhatsApp post goes to: a subscriber of the list, or an administrator
    of the Channel. `ref` is the list's own id for them, given back with each outcome;
    `reached` says they already have this post (an earlier try): never messaged again."""

    phone: str  # E.164
    ref: str = ""
    reached: bool = False


@dataclass(frozen=True)
class Broadcast:
    """How one post goes out on a WhatsApp account, as its broadcast list decides.

    `mode` "broadcast": the approved template `template_name` in `template_language` to
    each recipient; "channel": the text to each administrator of the Channel, who pastes
    it (the publication then waits for their confirmation). `sent` holds the ids of the
    messages already sent for this post, in order (the reference when nobody is left).
    """

    mode: str
    recipients: tuple[Recipient, ...]
    template_name: str = ""
    template_language: str = ""
    sent: tuple[str, ...] = ()


class BroadcastList(Protocol):
    """What the WhatsApp module asks of the broadcast list (kept by an app above
    networks, which registers it: `networks.signals.broadcast_list_register`).

    `broadcast` raises `Rejected` when the post cannot go (no template chosen, nobody in
    its segment, no administrator); the `message_*` calls record each outcome at once, so
    that a broadcast cut short resumes without messaging anyone twice.
    """

    def broadcast(
        self, *, account: SocialAccount, post_id: int | None, done_parts: Sequence[str]
    ) -> Broadcast: ...

    def message_sent(
        self,
        *,
        account: SocialAccount,
        post_id: int | None,
        recipient: Recipient,
        message_id: str,
    ) -> None: ...

    def message_refused(
        self, *, account: SocialAccount, post_id: int | None, recipient: Recipient, reason: str
    ) -> None: ...

    def message_statuses(
        self, *, account: SocialAccount, message_ids: Sequence[str]
    ) -> list[str]: ...
