"""What Facebook Pages and Instagram share: Meta's Graph API through the official
`facebook-business` SDK, its error codes, its OAuth flow and its webhook signature.

Each account has its own token, so every call goes through a per-account
`FacebookAdsApi` (never the SDK's global default) whose session reaches the configured
Graph address (the sandbox in the demo and the tests) and signs each call with
`appsecret_proof`. Calls go through `FacebookAdsApi.call` rather than the generated
ad objects: their parameter checker re-encodes lists (`children`, `attached_media`)
and warns on the forms the Graph documentation gives, and one entry point keeps one
error mapping.
"""

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from facebook_business.api import FacebookAdsApi, FacebookSession
from facebook_business.exceptions import FacebookError, FacebookRequestError

from . import config, redaction, transport
from .base import (
    AccountGrant,
    AuthExpired,
    Duplicate,
    Inbound,
    NetworkError,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
)
from .webhook_items import (
    HandshakeAnswer,
    ItemReader,
    Received,
    WebhookItems,
    hub_challenge,
    listed,
)

logger = logging.getLogger(__name__)

SCOPES = (
    "pages_show_list,pages_manage_posts,pages_read_engagement,pages_manage_engagement,"
    "instagram_basic,instagram_content_publish,instagram_manage_comments"
)
PAGE_FIELDS = "id,name,access_token,instagram_business_account{id,username}"

# Graph error codes (developers.facebook.com/docs/graph-api/guides/error-handling,
# .../instagram-platform/instagram-graph-api/reference/error-codes).
AUTH_CODES = {102, 190}
AUTH_SUBCODES = {458, 459, 460, 463, 464, 467, 492}
# 4 app, 17 account, 32 Page, 613 custom; 800xx Business Use Case (Pages, Instagram…).
RATE_CODES = {4, 17, 32, 613, 80001, 80002, 80005, 80006, 80008, 80014}
TRANSIENT_CODES = {1, 2, -1, -2}
TRANSIENT_SUBCODES = {2207001, 2207003, 2207020, 2207027, 2207032, 2207053}
INSTAGRAM_QUOTA_SUBCODE = 2207042  # code 9: the 24-hour publishing quota is used up
SPAM_SUBCODE = 2207051  # code 4, but a refusal, not a rate limit
RESTRICTED_SUBCODE = 2207050
PERMISSION_CODES = {3, 10, 200, 299}
MEDIA_FETCH_CODES = {324, 9004}
MEDIA_FETCH_SUBCODES = {2207052}
MEDIA_FORMAT_CODES = {36000, 36001, 36003, 36004}
MEDIA_FORMAT_SUBCODES = {2207004, 2207005, 2207009, 2207026}
BLOCKED_CODES = {368}
DUPLICATE_CODES = {506}


# -- One API per account ---------------------------------------------------------------


def graph_api(access_token: str | None, *, account_id=None) -> FacebookAdsApi:
    """A `FacebookAdsApi` for one token (the account `account_id`'s, if it has one yet),
    reaching the configured Graph address."""
    secret = config.client("meta")[1] if access_token else None
    if access_token and secret:
        redaction.remember(access_token, secret, redaction.appsecret_proof(access_token, secret))
    else:
        redaction.remember(access_token)
    session = FacebookSession(
        access_token=access_token or None, app_secret=secret or None, timeout=config.timeout()
    )
    session.GRAPH = config.address("graph_api")
    transport.mount(session.requests, "graph_api", account_id=account_id)
    return FacebookAdsApi(session, api_version=config.graph_version())


def _usage_minutes(headers: dict) -> int:
    """The longest `estimated_time_to_regain_access` (minutes) in Meta's usage headers:
    flat in X-App-Usage, per business object (lists of entries) in
    X-Business-Use-Case-Usage."""
    minutes = 0
    for name in ("x-business-use-case-usage", "x-app-usage", "x-ad-account-usage"):
        try:
            usage = json.loads(headers.get(name) or "null")
        except (TypeError, ValueError):
            continue
        if not isinstance(usage, dict):
            continue
        entries = [usage]
        for value in usage.values():
            if isinstance(value, list):
                entries += [e for e in value if isinstance(e, dict)]
        for entry in entries:
            try:
                minutes = max(minutes, int(entry.get("estimated_time_to_regain_access") or 0))
            except (TypeError, ValueError):
                continue
    return minutes


def reset_at(headers) -> datetime | None:
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    minutes = _usage_minutes(lowered)
    return datetime.now(UTC) + timedelta(minutes=minutes) if minutes else None


def typed_error(error: FacebookRequestError, network: str) -> NetworkError:
    """The typed error for one Graph error answer."""
    code = error.api_error_code()
    subcode = error.api_error_subcode()
    status = error.http_status() or 0
    reason = error.api_error_message() or f"HTTP {status}"
    body = error.body() if isinstance(error.body(), dict) else None
    kwargs = {"network": network, "status": status, "body": body}
    if code in AUTH_CODES or subcode in AUTH_SUBCODES:
        return AuthExpired(
            _("Meta no longer accepts this account's access (%(reason)s): reconnect it.")
            % {"reason": reason},
            **kwargs,
        )
    if subcode == SPAM_SUBCODE:
        return Rejected(
            _(
                "Instagram held this post back as suspected spam (%(reason)s): change it, "
                "wait before posting again, or publish it from the Instagram app."
            )
            % {"reason": reason},
            **kwargs,
        )
    if code == 9 and subcode == INSTAGRAM_QUOTA_SUBCODE:
        return RateLimited(
            _("Instagram's publishing quota for the last 24 hours is used up."),
            reset_at=reset_at(error.http_headers()),
            scope="account",
            **kwargs,
        )
    if code in RATE_CODES or status == 429:
        # Code 4 is the application's budget; the others (page, user) are the account's.
        scope = "app" if code == 4 else "account"
        return RateLimited(reason, reset_at=reset_at(error.http_headers()), scope=scope, **kwargs)
    if code in DUPLICATE_CODES:
        return Duplicate(_("Meta already has this post: it was not posted again."), **kwargs)
    if (
        code in TRANSIENT_CODES
        or subcode in TRANSIENT_SUBCODES
        or status >= 500
        or error.api_transient_error()
    ):
        return Transient(reason, **kwargs)
    return Rejected(_rejection(code, subcode, reason), **kwargs)


def _rejection(code, subcode, reason: str) -> str:
    values = {"reason": reason}
    if code in PERMISSION_CODES:
        return (
            _(
                "Meta says Crieur lacks a permission on this account (%(reason)s): reconnect "
                "the account and accept every permission asked."
            )
            % values
        )
    if code in BLOCKED_CODES:
        return (
            _(
                "Meta blocked this post as contrary to its rules (%(reason)s): change the "
                "text or the link, or ask the Page's administrators to check its status."
            )
            % values
        )
    if code in MEDIA_FETCH_CODES or subcode in MEDIA_FETCH_SUBCODES:
        return (
            _(
                "Meta could not fetch the image or video (%(reason)s): check that Crieur's "
                "media address is public, then send the post again."
            )
            % values
        )
    if code in MEDIA_FORMAT_CODES or subcode in MEDIA_FORMAT_SUBCODES:
        return (
            _(
                "Instagram refused the media (%(reason)s): use a JPEG under 8 MB with "
                "proportions between 4:5 and 1.91:1, or an MP4 video."
            )
            % values
        )
    if subcode == RESTRICTED_SUBCODE:
        return (
            _(
                "The Instagram account is restricted or inactive (%(reason)s): sign in to "
                "the Instagram app, complete what it asks, then send the post again."
            )
            % values
        )
    if code == 100:
        return (
            _(
                "Meta refused a value of the post (%(reason)s): check the text, the link and "
                "the media, then send it again."
            )
            % values
        )
    return _("Meta refused the request (%(reason)s): correct the post and try again.") % values


def _unknown_answer(network: str, safe: bool, detail: str, **kwargs) -> NetworkError:
    if safe:
        return Transient(detail, network=network, **kwargs)
    return Unconfirmed(detail, network=network, **kwargs)


def call(
    network: str,
    token: str,
    method: str,
    path: tuple,
    params: dict | None = None,
    *,
    safe: bool = False,
    account_id=None,
) -> dict:
    """One Graph call with `token` (the account `account_id`'s); the answer's JSON
    object, or a typed error.

    `safe` says a call may be repeated without harm (a read, an unpublished photo, an
    Instagram container): when no answer comes it is `Transient`, not `Unconfirmed`.
    """
    if not token:
        raise AuthExpired(_("This account has no access token: reconnect it."), network=network)
    api = graph_api(token, account_id=account_id)
    try:
        with transport.http_errors(network):
            response = api.call(method, path, params=params or {})
    except Unconfirmed as error:
        if safe:
            raise Transient(error.message, network=network) from error
        raise
    except FacebookRequestError as error:
        raise typed_error(error, network) from error
    except FacebookError as error:
        raise _unknown_answer(network, safe, str(error)) from error
    status = response.status() or 0
    body = response.json()
    if status >= 500:
        raise Transient(f"HTTP {status}", network=network, status=status, body=str(body)[:500])
    if not isinstance(body, dict):
        raise _unknown_answer(
            network, safe, f"Graph answered without JSON (HTTP {status})", status=status
        )
    return body


def created_id(answer: dict, network: str, key: str = "id") -> str:
    """The id of what a POST created; a success without one leaves it unknown."""
    value = answer.get(key)
    if not value:
        raise Unconfirmed(f"Graph accepted the request but gave no {key}", network=network)
    return str(value)


def skip_malformed(network: str, what: str, item, missing: str) -> None:
    """Log an item of a poll's page that cannot be read (the others are kept): its
    keys only, never what people wrote."""
    keys = sorted(item) if isinstance(item, dict) else type(item).__name__
    logger.warning(
        "%s: skipped a %s without %s while polling (keys: %s)", network, what, missing, keys
    )


def when(value) -> datetime:
    """A Graph time: a Unix timestamp or ISO 8601 ("2026-01-01T10:00:00+0000")."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value), UTC)
    text = str(value or "")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- OAuth ---------------------------------------------------------------------------------


def authorization_url(*, redirect_uri: str, state: str, code_challenge: str) -> str:
    client_id, _secret = config.client("meta")
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": SCOPES,
            "response_type": "code",
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{config.address('meta_authorize')}?{query}"


def _token_call(params: dict) -> dict:
    """`GET /oauth/access_token` with the app's credentials."""
    client_id, secret = config.client("meta")
    redaction.remember(secret, *redaction.secrets_of(params))
    api = graph_api(None)
    try:
        with transport.http_errors("facebook"):
            answer = api.call(
                "GET",
                ("oauth", "access_token"),
                params={"client_id": client_id, "client_secret": secret, **params},
            ).json()
    except FacebookRequestError as error:
        typed = typed_error(error, "facebook")
        if isinstance(typed, Transient | RateLimited):
            raise typed from error
        raise AuthExpired(
            _("Meta refused the authorization (%(reason)s): connect the account again.")
            % {"reason": error.api_error_message()},
            network="facebook",
            status=error.http_status(),
        ) from error
    except FacebookError as error:
        raise Transient(str(error), network="facebook") from error
    if not isinstance(answer, dict) or not answer.get("access_token"):
        raise Transient("Meta's token endpoint gave no access token", network="facebook")
    return answer


def _long_lived(user_token: str) -> tuple[str, datetime | None]:
    answer = _token_call({"grant_type": "fb_exchange_token", "fb_exchange_token": user_token})
    seconds = answer.get("expires_in")
    expires_at = datetime.now(UTC) + timedelta(seconds=int(seconds)) if seconds else None
    return answer["access_token"], expires_at


def _pages(user_token: str) -> list[dict]:
    """The Pages the user manages, each with its Page token and linked Instagram account."""
    answer = call(
        "facebook", user_token, "GET", ("me", "accounts"), {"fields": PAGE_FIELDS, "limit": 100}
    )
    return [page for page in answer.get("data", []) if page.get("id")]


def _grants(pages: list[dict], user_token: str, expires_at) -> list[AccountGrant]:
    grants = []
    for page in pages:
        credentials = {
            "access_token": page.get("access_token", ""),
            "user_access_token": user_token,
        }
        name = page.get("name") or page["id"]
        grants.append(
            AccountGrant(
                network="facebook",
                remote_id=str(page["id"]),
                display_name=name,
                handle=page.get("username") or name,
                credentials=credentials,
                token_expires_at=expires_at,
            )
        )
        instagram = page.get("instagram_business_account") or {}
        if instagram.get("id"):
            username = instagram.get("username", "")
            grants.append(
                AccountGrant(
                    network="instagram",
                    remote_id=str(instagram["id"]),
                    display_name=username or str(instagram["id"]),
                    handle=username,
                    credentials={**credentials, "page_id": str(page["id"])},
                    token_expires_at=expires_at,
                )
            )
    return grants


def connect(*, code: str, redirect_uri: str, code_verifier: str) -> list[AccountGrant]:
    """Code → user token → long-lived user token → one grant per Page and per linked
    Instagram account (both act with the Page token, which does not expire while the
    long-lived user token it came from is valid)."""
    short = _token_call(
        {"redirect_uri": redirect_uri, "code": code, "code_verifier": code_verifier}
    )
    user_token, expires_at = _long_lived(short["access_token"])
    return _grants(_pages(user_token), user_token, expires_at)


def refresh(account) -> AccountGrant:
    """A new long-lived user token, and the account's Page token read again with it."""
    previous = account.credentials or {}
    user_token = previous.get("user_access_token") or previous.get("access_token", "")
    if not user_token:
        raise AuthExpired(_("This account has no access token: reconnect it."), network="facebook")
    user_token, expires_at = _long_lived(user_token)
    for grant in _grants(_pages(user_token), user_token, expires_at):
        if grant.network == account.network and grant.remote_id == str(account.remote_id):
            return AccountGrant(
                network=grant.network,
                remote_id=grant.remote_id,
                display_name=grant.display_name or account.display_name,
                handle=grant.handle or account.handle,
                credentials={**previous, **grant.credentials},
                token_expires_at=expires_at,
            )
    raise AuthExpired(
        _(
            "The Meta user who connected this account no longer manages it: reconnect it "
            "with an administrator of the Page."
        ),
        network=account.network,
    )


# -- Webhooks --------------------------------------------------------------------------------


def verify_webhook(body: bytes, headers: dict) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body with the app secret>`."""
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    signature = str(lowered.get("x-hub-signature-256", ""))
    secret = config.client("meta")[1]
    if not signature.startswith("sha256=") or not secret:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature[7:].strip().lower())


def _page_comment(entry: dict, value: dict) -> Inbound | None:
    author = value.get("from") or {}
    if value.get("verb") not in (None, "add") or str(author.get("id", "")) == str(entry.get("id")):
        return None  # edits, removals, and the Page's own replies
    post_id = str(value.get("post_id", ""))
    parent = str(value.get("parent_id") or post_id)
    return Inbound(
        network="facebook",
        remote_id=str(value.get("comment_id", "")),
        kind="reply" if parent != post_id else "comment",
        text=value.get("message", ""),
        author_id=str(author.get("id", "")),
        author_name=author.get("name", ""),
        created_at=when(value.get("created_time") or entry.get("time")),
        in_reply_to=parent,
        raw=value,
    )


def _instagram_comment(entry: dict, value: dict) -> Inbound | None:
    author = value.get("from") or {}
    if str(author.get("id", "")) == str(entry.get("id")):
        return None  # the account's own replies
    parent = value.get("parent_id")
    return Inbound(
        network="instagram",
        remote_id=str(value.get("id", "")),
        kind="reply" if parent else "comment",
        text=value.get("text", ""),
        author_id=str(author.get("id", "")),
        author_name=author.get("username", ""),
        created_at=when(entry.get("time")),
        in_reply_to=str(parent or (value.get("media") or {}).get("id", "")),
        raw=value,
    )


def parse_webhook(payload: dict) -> list[Inbound]:
    """Page feed comments (`object: page`, field `feed`, item `comment`) and Instagram
    comments (`object: instagram`, field `comments`), as Inbound of either network."""
    inbound = []
    kind = payload.get("object")
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            item = None
            if kind == "page" and change.get("field") == "feed" and value.get("item") == "comment":
                item = _page_comment(entry, value)
            elif kind == "instagram" and change.get("field") == "comments":
                item = _instagram_comment(entry, value)
            if item is not None:
                inbound.append(item)
    return inbound


class MetaAppMixin:
    """Webhooks and OAuth belong to Crieur's Meta app, the same for Facebook and Instagram."""

    def verify_webhook(self, body: bytes, headers: dict) -> bool:
        return verify_webhook(body, headers)

    def parse_webhook(self, payload: dict) -> list[Inbound]:
        """Page and Instagram comments alike: Meta sends both to one webhook."""
        return parse_webhook(payload)

    def authorization_url(self, *, redirect_uri, state, code_challenge) -> str:
        return authorization_url(
            redirect_uri=redirect_uri, state=state, code_challenge=code_challenge
        )

    def connect(self, *, code, redirect_uri, code_verifier):
        return connect(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)

    def refresh(self, account):
        return refresh(account)

    # -- the webhook door (base.WebhookReceiver) -------------------------------------------

    def webhook_handshake(self, query: dict[str, str]) -> HandshakeAnswer | None:
        """Meta's subscription check (`hub.challenge`)."""
        return hub_challenge(query)

    def webhook_items(self, payload: dict) -> WebhookItems:
        """Page and Instagram comments (see `parse_webhook`), each change read on its own;
        the account is the entry's id (the Page, the Instagram account)."""
        kind = payload.get("object")
        reader = ItemReader()
        for entry in listed(payload, "entry"):
            for change in listed(entry, "changes"):
                reader.read(
                    "change",
                    change,
                    lambda entry=entry, change=change: _webhook_change(kind, entry, change),
                )
        return reader.result()


def _webhook_change(kind, entry: dict, change) -> list[Received]:
    one = {"object": kind, "entry": [{**entry, "changes": [change]}]}
    return [
        Received(
            network=inbound.network,
            account_remote_id=str(entry.get("id", "")),
            kind=inbound.kind,
            identity=(inbound.network, "comment", inbound.remote_id),
            content=inbound,
        )
        for inbound in parse_webhook(one)
    ]
