"""What Facebook Pages and Instagram share: Meta's Graph API through the official
`facebook-business` SDK, its error codes, its OAuth flow and its webhook signature.

Each account has its own token, so every call goes through a per-account
`FacebookAdsApi` (never the SDK's global default) whose session reaches the configured
Graph address (the sandbox in the demo and the tests).
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from facebook_business.api import FacebookAdsApi, FacebookSession
from facebook_business.exceptions import FacebookRequestError

from . import config, transport
from .base import (
    AccountGrant,
    AuthExpired,
    Duplicate,
    Inbound,
    NetworkError,
    RateLimited,
    Rejected,
    Transient,
)

SCOPES = (
    "pages_show_list,pages_manage_posts,pages_read_engagement,pages_manage_engagement,"
    "instagram_basic,instagram_content_publish,instagram_manage_comments"
)
AUTH_CODES = {102, 190, 463, 467}
RATE_CODES = {4, 17, 32, 613, 80001, 80002, 80004, 80006}
TRANSIENT_CODES = {1, 2}


def graph_api(access_token: str) -> FacebookAdsApi:
    session = FacebookSession(access_token=access_token, timeout=config.timeout())
    session.GRAPH = config.address("graph_api")
    transport.mount(session.requests, "graph_api")
    return FacebookAdsApi(session, api_version=config.graph_version())


def _reset_at(headers) -> datetime | None:
    """Meta says when the budget comes back in its usage headers, in minutes: flat in
    X-App-Usage, per business object (lists) in X-Business-Use-Case-Usage."""
    for name in ("x-business-use-case-usage", "x-app-usage", "x-ad-account-usage"):
        try:
            usage = json.loads((headers or {}).get(name) or "null")
        except ValueError:
            continue
        if not isinstance(usage, dict):
            continue
        entries = [usage]
        for value in usage.values():
            if isinstance(value, list):
                entries += [e for e in value if isinstance(e, dict)]
        minutes = max(int(e.get("estimated_time_to_regain_access") or 0) for e in entries)
        if minutes:
            return datetime.now(UTC) + timedelta(minutes=minutes)
    return None


def typed_error(error: FacebookRequestError, network: str) -> NetworkError:
    code = error.api_error_code()
    subcode = error.api_error_subcode()
    status = error.http_status()
    reason = error.api_error_message() or str(status)
    body = error.body() if isinstance(error.body(), dict) else None
    kwargs = {"network": network, "status": status, "body": body}
    if code in AUTH_CODES or subcode in AUTH_CODES:
        return AuthExpired(
            _("Meta no longer accepts this account's access (%(reason)s): reconnect it.")
            % {"reason": reason},
            **kwargs,
        )
    if code in RATE_CODES or status == 429:
        headers = {k.lower(): v for k, v in (error.http_headers() or {}).items()}
        return RateLimited(reason, reset_at=_reset_at(headers), **kwargs)
    if code == 506:
        return Duplicate(_("Meta already has this post: it was not posted again."), **kwargs)
    if code in TRANSIENT_CODES or (status or 0) >= 500 or error.api_transient_error():
        return Transient(reason, **kwargs)
    return Rejected(
        _("Meta refused the request (%(reason)s): correct the post and try again.")
        % {"reason": reason},
        **kwargs,
    )


def call(network: str, token: str, method: str, path: tuple, params=None, files=None) -> dict:
    """One Graph call; the answer's JSON, or a typed error."""
    if not token:
        raise AuthExpired(_("This account has no access token: reconnect it."), network=network)
    api = graph_api(token)
    try:
        with transport.http_errors(network):
            return api.call(method, path, params=params or {}, files=files).json() or {}
    except FacebookRequestError as error:
        raise typed_error(error, network) from error


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
    client_id, secret = config.client("meta")
    api = graph_api("")
    try:
        with transport.http_errors("facebook"):
            return api.call(
                "GET",
                ("oauth", "access_token"),
                params={"client_id": client_id, "client_secret": secret, **params},
            ).json()
    except FacebookRequestError as error:
        raise Rejected(
            _("Meta refused the authorization (%(reason)s): start the connection again.")
            % {"reason": error.api_error_message()},
            network="facebook",
        ) from error


def connect(*, code: str, redirect_uri: str, code_verifier: str) -> list[AccountGrant]:
    short = _token_call(
        {"redirect_uri": redirect_uri, "code": code, "code_verifier": code_verifier}
    )
    long = _token_call(
        {"grant_type": "fb_exchange_token", "fb_exchange_token": short["access_token"]}
    )
    user_token = long["access_token"]
    expires_at = (
        datetime.now(UTC) + timedelta(seconds=int(long["expires_in"]))
        if long.get("expires_in")
        else None
    )
    pages = call(
        "facebook",
        user_token,
        "GET",
        ("me", "accounts"),
        {"fields": "id,name,access_token,instagram_business_account{id,username}"},
    ).get("data", [])
    grants = []
    for page in pages:
        credentials = {"access_token": page["access_token"], "user_access_token": user_token}
        grants.append(
            AccountGrant(
                network="facebook",
                remote_id=page["id"],
                display_name=page.get("name", page["id"]),
                handle=page.get("name", ""),
                credentials=credentials,
                token_expires_at=expires_at,
            )
        )
        instagram = page.get("instagram_business_account")
        if instagram:
            grants.append(
                AccountGrant(
                    network="instagram",
                    remote_id=instagram["id"],
                    display_name=instagram.get("username", instagram["id"]),
                    handle="@" + instagram.get("username", ""),
                    credentials={**credentials, "page_id": page["id"]},
                    token_expires_at=expires_at,
                )
            )
    return grants


def refresh(account) -> AccountGrant:
    user_token = account.credentials.get("user_access_token") or account.credentials.get(
        "access_token", ""
    )
    if not user_token:
        raise AuthExpired(_("This account has no access token: reconnect it."), network="facebook")
    long = _token_call({"grant_type": "fb_exchange_token", "fb_exchange_token": user_token})
    credentials = {**account.credentials, "user_access_token": long["access_token"]}
    return AccountGrant(
        network=account.network,
        remote_id=account.remote_id,
        display_name=account.display_name,
        handle=account.handle,
        credentials=credentials,
        token_expires_at=(
            datetime.now(UTC) + timedelta(seconds=int(long["expires_in"]))
            if long.get("expires_in")
            else None
        ),
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
    return hmac.compare_digest(expected, signature[7:].lower())


def _when(value) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    try:
        return datetime.fromisoformat(str(value).replace("+0000", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def parse_webhook(payload: dict) -> list[Inbound]:
    """Page feed comments and Instagram comments, as Inbound."""
    inbound = []
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            if change.get("field") == "feed" and value.get("item") == "comment":
                if value.get("verb") not in (None, "add"):
                    continue
                author = value.get("from", {})
                inbound.append(
                    Inbound(
                        network="facebook",
                        remote_id=str(value.get("comment_id", "")),
                        kind="reply"
                        if value.get("parent_id") != value.get("post_id") and value.get("parent_id")
                        else "comment",
                        text=value.get("message", ""),
                        author_id=str(author.get("id", "")),
                        author_name=author.get("name", ""),
                        created_at=_when(value.get("created_time", entry.get("time"))),
                        in_reply_to=str(value.get("parent_id") or value.get("post_id", "")),
                        raw=value,
                    )
                )
            elif change.get("field") == "comments" and payload.get("object") == "instagram":
                author = value.get("from", {})
                inbound.append(
                    Inbound(
                        network="instagram",
                        remote_id=str(value.get("id", "")),
                        kind="comment",
                        text=value.get("text", ""),
                        author_id=str(author.get("id", "")),
                        author_name=author.get("username", ""),
                        created_at=_when(entry.get("time")),
                        in_reply_to=str(value.get("media", {}).get("id", "")),
                        raw=value,
                    )
                )
    return inbound
