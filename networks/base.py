"""The one interface every network implements, and the typed errors the scheduler acts on.

Every network module (x, facebook, instagram, linkedin, whatsapp) defines one class
implementing `Network`; `networks.get(name)` returns its instance. Nothing
outside `networks/` imports a network's SDK.

Tokens are per account, so the methods that act on a remote object take the account
as a keyword (`delete(ref, account=...)`); `publish` finds it on the variant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from .redaction import redact, redact_value

if TYPE_CHECKING:
    from cms.models import Variant

    from .checks import Problem
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
    """Everything one network version sends: text, thread parts, converted media."""

    network: str
    text: str
    format: str = "feed"
    thread: tuple[str, ...] = ()  # the parts after the first, for a thread
    media: tuple[Media, ...] = ()
    link: str = ""
    first_comment: str = ""

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


class Network(Protocol):
    name: str
    limits: Limits

    def check(self, variant: Variant) -> list[Problem]: ...

    def publish(self, variant: Variant, *, key: str) -> RemoteRef: ...

    def delete(self, ref: RemoteRef, *, account: SocialAccount) -> None: ...

    def fetch_replies(
        self, account: SocialAccount, since: datetime | None
    ) -> Iterable[Inbound]: ...

    def reply(self, inbound: Inbound, text: str, *, account: SocialAccount) -> RemoteRef: ...

    def hide(self, inbound: Inbound, *, account: SocialAccount) -> None: ...

    def metrics(self, ref: RemoteRef, *, account: SocialAccount) -> Metrics: ...


class OAuthNetwork(Protocol):
    """Networks whose accounts connect through the OAuth 2 authorization-code flow."""

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str: ...

    def connect(
        self, *, code: str, redirect_uri: str, code_verifier: str
    ) -> list[AccountGrant]: ...
