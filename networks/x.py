"""X (Twitter) through tweepy's API v2 `Client`, with each account's OAuth 2 user token.

tweepy hard-codes `https://api.twitter.com`; its session gets the transport adapter, so
the same calls reach the sandbox or a configured address. tweepy has no v2 media
upload: images (`POST /2/media/upload`), videos (initialize / append / finalize, then
the processing status) and alt texts (`POST /2/media/metadata`) go through tweepy's own
session with the same bearer token. Every tweepy error, and every answer of the upload
endpoints, is mapped to the typed errors of `base.py`.

A thread is its first post, then each part as a reply to the one before; the first
comment, which X does not have, is one more reply. Each id is handed to `on_part` as
soon as X accepts it, so that a retry goes on from where the last one stopped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import requests
import tweepy
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import config, redaction, transport
from .base import (
    AccountGrant,
    AuthExpired,
    Duplicate,
    Inbound,
    Media,
    Metrics,
    NetworkError,
    Outgoing,
    RateLimited,
    Rejected,
    RemoteRef,
    Transient,
    Unconfirmed,
)
from .common import NetworkBase, RefreshTokenMixin
from .display import bare_handle
from .text import URL_RE
from .webhook_items import (
    HandshakeAnswer,
    ItemReader,
    Received,
    WebhookItems,
    WebhookMalformed,
    listed,
)

if TYPE_CHECKING:
    from .models import SocialAccount

logger = logging.getLogger(__name__)

# tweepy's host: the transport adapter sends it to `config.address("x_api")`.
SDK_HOST = config.SDK_HOSTS["x_api"]
SCOPES = "tweet.read tweet.write users.read offline.access media.write"
MAX_IMAGES = 4
MAX_ALT_TEXT = 1000
CHUNK_BYTES = 4 * 1024 * 1024  # X takes segments of up to 5 MB
VIDEO_POLL_ATTEMPTS = 20
PAGES = 5  # timeline pages read by fetch_replies and find_recent
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "in_reply_to_user_id",
    "referenced_tweets",
]
ANY_URL_RE = re.compile(r"https?://\S+")


def _post_url(tweet_id: str, handle: str = "") -> str:
    name = bare_handle(handle)  # x.com/BourgSurLac/…: a handle typed with its @ is the same
    if name:
        return f"https://x.com/{name}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"


def _body(response: requests.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _epoch(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError):
        return None


def _reset_at(headers) -> datetime | None:
    """When X takes calls again: the latest reset among the spent budgets (15-minute
    window, the user's and the app's 24-hour post limits), else the window's reset."""
    spent = [
        _epoch(headers.get(f"{prefix}-reset"))
        for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")
        if headers.get(f"{prefix}-remaining") == "0"
    ]
    spent = [moment for moment in spent if moment is not None]
    if spent:
        return max(spent)
    return _epoch(headers.get("x-rate-limit-reset"))


def _retry_after(headers) -> float | None:
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def _sdk_error(response: requests.Response) -> tweepy.HTTPException:
    """The tweepy exception tweepy itself raises for this status (for the calls made
    on its session directly: the media upload)."""
    status = response.status_code
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset")
        return tweepy.TooManyRequests(response, reset_time=int(reset) if reset else None)
    kind = {
        400: tweepy.BadRequest,
        401: tweepy.Unauthorized,
        403: tweepy.Forbidden,
        404: tweepy.NotFound,
    }.get(status)
    if kind is None:
        kind = tweepy.TwitterServerError if status >= 500 else tweepy.HTTPException
    return kind(response)


def _typed(error: tweepy.TweepyException, *, part: int = 1) -> NetworkError:
    """The typed error for what tweepy raised; `part` is the number, in a thread, of
    the post being sent (a duplicate after the first one is the author's to fix)."""
    if not isinstance(error, tweepy.HTTPException):
        return Transient(f"tweepy: {error}", network="x")
    response = error.response
    status = response.status_code
    reason = " ".join(str(m) for m in error.api_messages) or response.reason or str(status)
    kwargs = {"network": "x", "status": status, "body": _body(response)}
    if isinstance(error, tweepy.TooManyRequests):
        # Posting limits are per user (the account); the app's own are reported the same
        # way, but the per-user one is what a publishing account meets first.
        return RateLimited(reason, reset_at=_reset_at(response.headers), scope="account", **kwargs)
    if isinstance(error, tweepy.Unauthorized):
        return AuthExpired(
            _("X no longer accepts this account's access (%(reason)s): reconnect the account.")
            % {"reason": reason},
            **kwargs,
        )
    if isinstance(error, tweepy.TwitterServerError):
        return Transient(reason, retry_after=_retry_after(response.headers), **kwargs)
    lowered = reason.lower()
    if isinstance(error, tweepy.Forbidden) and "duplicate" in lowered:
        if part == 1:
            return Duplicate(
                _(
                    "X already has a post with this text from this account: it was not "
                    "posted again."
                ),
                **kwargs,
            )
        return Rejected(
            _(
                "X refused part %(number)d of the thread: the account already posted the same "
                "text. Change that part and try again."
            )
            % {"number": part},
            **kwargs,
        )
    if "too long" in lowered:
        return Rejected(
            _(
                "X refused the post: its text is too long (280 at most, where a link counts 23 "
                "and an emoji or a wide character 2). Shorten it or make it a thread."
            ),
            **kwargs,
        )
    if isinstance(error, tweepy.Forbidden):
        return Rejected(
            _(
                "X refused (%(reason)s): check that the account still lets Crieur post, or "
                "reconnect it."
            )
            % {"reason": reason},
            **kwargs,
        )
    return Rejected(
        _("X refused the request (%(reason)s): correct the post and try again.")
        % {"reason": reason},
        **kwargs,
    )


class _Api:
    """One X conversation with one user token: tweepy's client, fitted and checked."""

    def __init__(self, access_token: str, *, account_id=None):
        if not access_token:
            raise AuthExpired(_("This X account has no access token: reconnect it."), network="x")
        self.token = access_token
        redaction.remember(access_token)
        self.client = tweepy.Client(bearer_token=access_token, return_type=dict)
        # X counts user-context limits per token: the budget blocks this account only.
        transport.mount(self.client.session, "x_api", account_id=account_id)

    def call(self, method: str, *args, writing: bool = False, part: int = 1, **kwargs) -> dict:
        """`Client.<method>` with the OAuth 2 user token (`user_auth=False`: the bearer
        header carries it); raises only typed errors."""
        try:
            with transport.http_errors("x"):
                return getattr(self.client, method)(*args, user_auth=False, **kwargs)
        except tweepy.TweepyException as error:
            raise _typed(error, part=part) from error
        except ValueError as error:  # a success whose body is not JSON
            kind = Unconfirmed if writing else Transient
            raise kind("X sent an answer that could not be read", network="x") from error

    def media(self, method: str, path: str, **kwargs) -> dict:
        """A call to the v2 media endpoints on tweepy's session, with its headers.

        An upload left unanswered is only a retry away: media is not a post, and X
        drops what no post uses, so it is `Transient`, never `Unconfirmed`."""
        headers = {"Authorization": f"Bearer {self.token}", "User-Agent": self.client.user_agent}
        try:
            with transport.http_errors("x"):
                response = self.client.session.request(
                    method, f"{SDK_HOST}{path}", headers=headers, **kwargs
                )
        except Unconfirmed as error:
            raise Transient(error.message, network="x") from error
        if response.status_code >= 400:
            error = _sdk_error(response)
            raise _typed(error) from error
        try:
            return response.json() if response.content else {}
        except ValueError as error:
            raise Transient("X sent an answer that could not be read", network="x") from error


def _skip_malformed(what: str, item: Any, missing: str) -> None:
    """Log an item of a poll's page that cannot be read (the others are kept): its
    keys only, never what people wrote."""
    keys = sorted(item) if isinstance(item, dict) else type(item).__name__
    logger.warning("x: skipped a %s without %s while polling (keys: %s)", what, missing, keys)


def _credentials(account) -> dict[str, Any]:
    return dict(account.credentials or {})


def _api(account) -> _Api:
    return _Api(_credentials(account).get("access_token", ""), account_id=account.pk)


def _created(value: Any) -> datetime:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return datetime.now(UTC)


def _comparable(text: str) -> str:
    """A text as X gives it back and as Crieur sent it, made comparable: X escapes
    `& < >` and rewrites links to t.co, so links are set aside."""
    text = unicodedata.normalize("NFC", html.unescape(text or ""))
    text = ANY_URL_RE.sub(" ", URL_RE.sub(" ", text))
    return " ".join(text.split())


class XNetwork(RefreshTokenMixin, NetworkBase):
    name = "x"
    no_renewal_token = gettext_lazy("This X account has no renewal token: reconnect it.")

    # -- publishing -----------------------------------------------------------------------

    def publish(
        self,
        out: Outgoing,
        *,
        account: SocialAccount,
        key: str,
        done_parts: Sequence[str] = (),
        on_part: Callable[[str], None] | None = None,
    ) -> RemoteRef:
        # X has no idempotency key: `done_parts` and reconciliation prevent double posts.
        texts = [out.text, *out.thread]
        if out.first_comment:
            texts.append(out.first_comment)
        ids = [str(part) for part in done_parts][: len(texts)]
        api = _api(account) if len(ids) < len(texts) else None
        for index in range(len(ids), len(texts)):
            media_ids = self._upload_media(api, out) if index == 0 else None
            answer = api.call(
                "create_tweet",
                writing=True,
                part=index + 1,
                text=texts[index],
                media_ids=media_ids or None,
                in_reply_to_tweet_id=ids[-1] if ids else None,
            )
            tweet_id = str((answer.get("data") or {}).get("id") or "")
            if not tweet_id:
                raise Unconfirmed("X accepted the post without saying its id", network=self.name)
            ids.append(tweet_id)
            if on_part:
                on_part(tweet_id)
        return RemoteRef(
            network=self.name,
            id=ids[0],
            url=_post_url(ids[0], account.handle),
            parts=tuple(ids[1:]),
            data={"author_id": str(account.remote_id or "")},
        )

    def _upload_media(self, api: _Api, outgoing: Outgoing) -> list[str]:
        images, video = outgoing.images, outgoing.video
        if video is not None and images:
            raise Rejected(
                _(
                    "X takes up to 4 images or one video in a post, not both: remove the "
                    "images or the video."
                ),
                network=self.name,
            )
        if len(images) > MAX_IMAGES:
            raise Rejected(
                _("X takes at most 4 images in a post: remove %(extra)d of them.")
                % {"extra": len(images) - MAX_IMAGES},
                network=self.name,
            )
        if video is not None:
            return [self._upload_video(api, video)]
        return [self._upload_image(api, image) for image in images]

    def _upload_image(self, api: _Api, image: Media) -> str:
        category = "tweet_gif" if image.content_type == "image/gif" else "tweet_image"
        answer = api.media(
            "POST",
            "/2/media/upload",
            files={"media": (image.filename, image.read(), image.content_type)},
            data={"media_category": category, "media_type": image.content_type},
        )
        media_id = str(answer["data"]["id"])
        if image.alt_text:
            self._alt_text(api, media_id, image.alt_text)
        return media_id

    def _alt_text(self, api: _Api, media_id: str, text: str) -> None:
        api.media(
            "POST",
            "/2/media/metadata",
            json={"id": media_id, "metadata": {"alt_text": {"text": text[:MAX_ALT_TEXT]}}},
        )

    def _upload_video(self, api: _Api, video: Media) -> str:
        data = video.read()
        started = api.media(
            "POST",
            "/2/media/upload/initialize",
            json={
                "media_type": video.content_type,
                "total_bytes": len(data),
                "media_category": "tweet_video",
            },
        )
        media_id = str(started["data"]["id"])
        for index, first in enumerate(range(0, len(data), CHUNK_BYTES)):
            api.media(
                "POST",
                f"/2/media/upload/{media_id}/append",
                files={
                    "media": (
                        video.filename,
                        data[first : first + CHUNK_BYTES],
                        "application/octet-stream",
                    )
                },
                data={"segment_index": str(index)},
            )
        finished = api.media("POST", f"/2/media/upload/{media_id}/finalize")
        self._wait_for_video(api, media_id, (finished.get("data") or {}).get("processing_info"))
        return media_id

    def _wait_for_video(self, api: _Api, media_id: str, info: dict | None) -> None:
        """A post may only carry a video X has finished processing."""
        longest = getattr(settings, "CRIEUR_X_POLL_SECONDS", 5)
        for _attempt in range(VIDEO_POLL_ATTEMPTS):
            state = (info or {}).get("state", "succeeded")
            if state == "succeeded":
                return
            if state == "failed":
                reason = ((info or {}).get("error") or {}).get("message", "")
                raise Rejected(
                    _(
                        "X could not process the video (%(reason)s): check its format (MP4, "
                        "H.264, AAC) and its length (2 min 20 s at most)."
                    )
                    % {"reason": reason or state},
                    network=self.name,
                    body=info,
                )
            pause = min(float(info.get("check_after_secs") or 1), float(longest))
            if pause > 0:
                time.sleep(pause)
            status = api.media(
                "GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id}
            )
            info = (status.get("data") or {}).get("processing_info")
        raise Transient("X is still processing the video", retry_after=60, network=self.name)

    # -- after publishing -----------------------------------------------------------------

    def delete(self, ref: RemoteRef, *, account) -> None:
        """Delete the post and the parts published with it (the last first)."""
        api = _api(account)
        for tweet_id in [*reversed(ref.parts), ref.id]:
            try:
                api.call("delete_tweet", tweet_id, writing=True)
            except Rejected as error:
                if error.status not in (404, 410):
                    raise  # already gone is what deleting wanted

    def _timeline(self, api: _Api, method: str, user_id: str, since, **params) -> list[dict]:
        """Up to PAGES pages of a user's timeline, with the authors by id under "_users"."""
        params = {
            "max_results": 100,
            "tweet_fields": TWEET_FIELDS,
            "expansions": ["author_id"],
            "user_fields": ["name", "username"],
            **params,
        }
        if since is not None:
            params["start_time"] = since
        found: list[dict] = []
        users: dict[str, dict] = {}
        for _page in range(PAGES):
            answer = api.call(method, user_id, **params)
            for user in (answer.get("includes") or {}).get("users", []):
                if isinstance(user, dict) and user.get("id"):
                    users[str(user["id"])] = user
                else:  # its posts stay, without the author's name
                    _skip_malformed("user", user, "id")
            found += answer.get("data") or []
            token = (answer.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        posts = []
        for tweet in found:
            if isinstance(tweet, dict):
                posts.append({**tweet, "_author": users.get(str(tweet.get("author_id")), {})})
            else:
                _skip_malformed("post", tweet, "fields")
        return posts

    def _inbound(self, tweet: dict) -> Inbound | None:
        """The post as an inbound item; None, logged, for one that cannot be read
        (without id or author, or answering a post it does not name)."""
        if not tweet.get("id"):
            _skip_malformed("post", tweet, "id")
            return None
        if not tweet.get("author_id"):
            _skip_malformed("post", tweet, "author_id")
            return None
        references = tweet.get("referenced_tweets") or []
        if not isinstance(references, list) or not all(
            isinstance(r, dict) and r.get("id") for r in references
        ):
            _skip_malformed("post", tweet, "the id of a referenced post")
            return None
        replied = next(
            (r["id"] for r in references if r.get("type") == "replied_to"),
            "",
        )
        author = tweet.get("_author") or {}
        raw = {k: v for k, v in tweet.items() if k != "_author"}
        return Inbound(
            network=self.name,
            remote_id=str(tweet["id"]),
            kind="reply" if replied else "mention",
            text=html.unescape(tweet.get("text", "")),
            author_id=str(tweet.get("author_id", "")),
            author_name=author.get("name") or author.get("username", ""),
            created_at=_created(tweet.get("created_at")),
            in_reply_to=str(replied),
            raw={**raw, "author": author} if author else raw,
        )

    def fetch_replies(self, account, since: datetime | None) -> list[Inbound]:
        api = _api(account)
        own = str(account.remote_id)
        inbound = []
        for tweet in self._timeline(api, "get_users_mentions", own, since):
            item = self._inbound(tweet)
            if item is None or item.author_id == own:
                continue
            if since is not None and item.created_at <= since:
                continue
            inbound.append(item)
        return sorted(inbound, key=lambda item: item.created_at)

    def reply(self, inbound: Inbound, text: str, *, account) -> RemoteRef:
        answer = _api(account).call(
            "create_tweet", writing=True, text=text, in_reply_to_tweet_id=inbound.remote_id
        )
        tweet_id = str((answer.get("data") or {}).get("id") or "")
        if not tweet_id:
            raise Unconfirmed("X accepted the reply without saying its id", network=self.name)
        return RemoteRef(network=self.name, id=tweet_id, url=_post_url(tweet_id, account.handle))

    def hide(self, inbound: Inbound, *, account) -> None:
        _api(account).call("hide_reply", inbound.remote_id, writing=True)

    def metrics(self, ref: RemoteRef, *, account) -> Metrics:
        answer = _api(account).call("get_tweet", ref.id, tweet_fields=["public_metrics"])
        data = answer.get("data")
        if not data:
            detail = "; ".join(e.get("detail", "") for e in answer.get("errors") or [])
            raise Rejected(
                _("X no longer has this post (%(reason)s).") % {"reason": detail or ref.id},
                network=self.name,
                status=404,
                body=answer,
            )
        counts = data.get("public_metrics") or {}
        return Metrics(
            impressions=counts.get("impression_count"),
            reactions=counts.get("like_count"),
            comments=counts.get("reply_count"),
            shares=(counts.get("retweet_count") or 0) + (counts.get("quote_count") or 0),
            raw=counts,
        )

    def find_recent(
        self, account: SocialAccount, *, text: str, since: datetime | None
    ) -> RemoteRef | None:
        api = _api(account)
        wanted = _comparable(text)
        for tweet in self._timeline(api, "get_users_tweets", str(account.remote_id), since):
            if tweet.get("id") and _comparable(tweet.get("text", "")) == wanted:
                tweet_id = str(tweet["id"])
                return RemoteRef(
                    network=self.name,
                    id=tweet_id,
                    url=_post_url(tweet_id, account.handle),
                    data={"author_id": str(account.remote_id or "")},
                )
        return None

    # -- webhooks (Account Activity) ------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: dict) -> bool:
        """`x-twitter-webhooks-signature` is "sha256=" and the base64 HMAC-SHA256 of the
        body exactly as received, keyed with the app's consumer (client) secret."""
        lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
        signature = str(lowered.get("x-twitter-webhooks-signature", "")).strip()
        secret = config.client("x")[1]
        if not signature.startswith("sha256=") or not secret:
            return False
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        expected = "sha256=" + base64.b64encode(digest).decode()
        return hmac.compare_digest(expected.encode(), signature.encode())

    def parse_webhook(self, payload: dict) -> list[Inbound]:
        own = str(payload.get("for_user_id", ""))
        inbound = []
        for event in payload.get("tweet_create_events") or []:
            user = event.get("user") or {}
            author_id = str(user.get("id_str") or user.get("id") or "")
            if author_id and author_id == own:
                continue  # the account's own posts
            if event.get("retweeted_status"):
                continue
            replied = str(event.get("in_reply_to_status_id_str") or "")
            text = (event.get("extended_tweet") or {}).get("full_text") or event.get("text", "")
            inbound.append(
                Inbound(
                    network=self.name,
                    remote_id=str(event.get("id_str") or event.get("id")),
                    kind="reply" if replied else "mention",
                    text=html.unescape(text),
                    author_id=author_id,
                    author_name=user.get("name") or user.get("screen_name", ""),
                    created_at=self._event_time(event),
                    in_reply_to=replied,
                    raw=event,
                )
            )
        return inbound

    @staticmethod
    def _event_time(event: dict) -> datetime:
        stamp = event.get("timestamp_ms")
        if stamp and str(stamp).isdigit():
            return datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)
        try:
            return datetime.strptime(event.get("created_at", ""), "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            return datetime.now(UTC)

    # -- OAuth 2 with PKCE ----------------------------------------------------------------

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        client_id, _secret = config.client("x")
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": SCOPES,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{config.address('x_authorize')}?{query}"

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        client_id, secret = config.client("x")
        redaction.remember(secret, *redaction.secrets_of(form))
        with transport.http_errors("x"):
            response = requests.post(
                f"{config.address('x_api')}/2/oauth2/token",
                data=form,
                auth=(client_id, secret),
                timeout=config.timeout(),
            )
        status = response.status_code
        if status == 429 or status >= 500:
            raise _typed(_sdk_error(response))
        body = _body(response)
        if status < 400 and isinstance(body, dict) and body.get("access_token"):
            return body
        reason = (
            body.get("error_description") or body.get("error") if isinstance(body, dict) else ""
        ) or str(status)
        kwargs = {"network": self.name, "status": status, "body": body}
        if status == 401 or (isinstance(body, dict) and body.get("error") == "unauthorized_client"):
            raise Rejected(
                _(
                    "X does not recognise Crieur's application (%(reason)s): an administrator "
                    "must check CRIEUR_X_CLIENT_ID and CRIEUR_X_CLIENT_SECRET."
                )
                % {"reason": reason},
                **kwargs,
            )
        if form.get("grant_type") == "refresh_token":
            raise AuthExpired(
                _("X refused to renew the access (%(reason)s): reconnect the account.")
                % {"reason": reason},
                **kwargs,
            )
        raise Rejected(
            _("X refused the authorization (%(reason)s): start the connection again.")
            % {"reason": reason},
            **kwargs,
        )

    def connect(self, *, code: str, redirect_uri: str, code_verifier: str) -> list[AccountGrant]:
        body = self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        credentials = self._tokens(body)
        me = _Api(credentials["access_token"]).call("get_me", user_fields=["name", "username"])
        user = me.get("data") or {}
        if not user.get("id"):
            raise Transient("X did not say which account was connected", network=self.name)
        return [
            AccountGrant(
                network=self.name,
                remote_id=str(user["id"]),
                display_name=user.get("name") or user.get("username", ""),
                handle=user.get("username", ""),
                credentials=credentials,
                token_expires_at=self._expiry(body),
            )
        ]

    # -- the webhook door (base.WebhookReceiver) -------------------------------------------

    # X's CRC tokens are short opaque strings (base64 or a UUID). X signs its webhook
    # bodies with the same key as the CRC answer, so the CRC must never answer for a token
    # that could be a body: no braces, brackets, quotes or spaces, and not a bare JSON value.
    CRC_TOKEN = re.compile(r"[A-Za-z0-9_+/=-]{1,100}")

    @classmethod
    def crc_token_acceptable(cls, token: str) -> bool:
        """Whether a CRC token has X's shape; its signature can then never sign a body."""
        if not cls.CRC_TOKEN.fullmatch(token):
            return False
        try:
            json.loads(token)  # digits, true, false, null: valid JSON documents
        except ValueError:
            return True
        return False

    def webhook_handshake(self, query: dict[str, str]) -> HandshakeAnswer | None:
        """X's CRC check: the HMAC-SHA256 of `crc_token` with the app's secret."""
        if "crc_token" not in query:
            return None
        token = query["crc_token"]
        if not self.crc_token_acceptable(token):
            logger.warning("Refused an X CRC check with a token of %d characters", len(token))
            return HandshakeAnswer(400, "not a CRC token")
        digest = hmac.new(config.client("x")[1].encode(), token.encode(), hashlib.sha256).digest()
        return HandshakeAnswer(
            200, json={"response_token": "sha256=" + base64.b64encode(digest).decode()}
        )

    def webhook_items(self, payload: dict[str, Any]) -> WebhookItems:
        """The posts that mention or answer the account (Account Activity's
        `tweet_create_events`), each read on its own."""
        own = payload.get("for_user_id")
        if not isinstance(own, str | int):
            raise WebhookMalformed("for_user_id is not an id")
        reader = ItemReader()
        for event in listed(payload, "tweet_create_events"):
            reader.read("post", event, lambda event=event: self._webhook_item(str(own), event))
        return reader.result()

    def _webhook_item(self, own: str, event: dict) -> list[Received]:
        if not (event.get("id_str") or event.get("id")):
            raise KeyError("id")
        return [
            Received(
                network=self.name,
                account_remote_id=own,
                kind=inbound.kind,
                identity=("post", inbound.remote_id),
                content=inbound,
            )
            for inbound in self.parse_webhook({"for_user_id": own, "tweet_create_events": [event]})
        ]


NETWORK = XNetwork()
