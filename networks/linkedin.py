"""LinkedIn organization pages through the official client on the versioned `/rest` API.

Every call goes through `linkedin-api-client`'s `RestliClient`, whose session is fitted
with the transport adapter (the client hard-codes `https://api.linkedin.com/rest`). The
client raises nothing for a status code, so each answer is read here and mapped to the
typed errors. Every call carries `LinkedIn-Version` (a setting) and Rest.li 2.0.0.

Texts go out in LinkedIn's "little text format" (`little_text`): a hashtag becomes
LinkedIn's hashtag template `{hashtag|\\#|mot}`, and every other reserved character is
escaped, or LinkedIn silently cuts the post at the first one.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from linkedin_api.clients.restli.client import RestliClient
from linkedin_api.common.errors import ResponseFormattingError

from . import config, redaction, transport
from .base import (
    AccountGrant,
    AuthExpired,
    Duplicate,
    Inbound,
    Media,
    Metrics,
    Outgoing,
    RateLimited,
    Rejected,
    RemoteRef,
    Transient,
    Unconfirmed,
)
from .common import NetworkBase, RefreshTokenMixin
from .text import linkedin_escape
from .webhook_items import HandshakeAnswer, ItemReader, Received, WebhookItems, listed

if TYPE_CHECKING:
    from .models import SocialAccount

logger = logging.getLogger(__name__)

SCOPES = "r_organization_admin w_organization_social r_organization_social"
POST_URL = "https://www.linkedin.com/feed/update/{urn}/"
DUPLICATE_URN_RE = re.compile(r"urn:li:(?:share|ugcPost|activity):\d+")
COMMENT_URN_RE = re.compile(r"^urn:li:comment:\((?P<object>.+),(?P<id>[^,]+)\)$")
# How many of the page's latest posts `fetch_replies` reads comments from.
RECENT_POSTS = 20
VIDEO_POLL_ATTEMPTS = 10
HASHTAG_URL = "https://www.linkedin.com/feed/hashtag/?keywords={tag}"
# What LinkedIn makes a hashtag: "#" then letters and digits (at least one letter), not
# inside a word and ending where the word ends ("#Ville_Propre" and "C#" stay text).
# Links are read first, so a "#" inside a link never becomes a hashtag.
LITTLE_TOKEN_RE = re.compile(
    r"(?P<url>https?://[^\s<>\"']+)"
    r"|(?<![\w#&\\])#(?P<tag>[^\W_]*[^\W\d_][^\W_]*)(?!\w)"
)


def little_text_tokens(text: str) -> list[tuple[str, str]]:
    """The text as LinkedIn will read it, in order: ("text", …), ("url", …) and
    ("hashtag", word without "#") pieces."""
    tokens: list[tuple[str, str]] = []
    position = 0
    for found in LITTLE_TOKEN_RE.finditer(text):
        if found.start() > position:
            tokens.append(("text", text[position : found.start()]))
        if found.group("url"):
            tokens.append(("url", found.group("url")))
        else:
            tokens.append(("hashtag", found.group("tag")))
        position = found.end()
    if position < len(text):
        tokens.append(("text", text[position:]))
    return tokens


def little_text(text: str) -> str:
    """`commentary` in LinkedIn's little text format: each hashtag as LinkedIn's hashtag
    template, everything else (links included) with its reserved characters escaped."""
    return "".join(
        f"{{hashtag|\\#|{value}}}" if kind == "hashtag" else linkedin_escape(value)
        for kind, value in little_text_tokens(text)
    )


def hashtag_url(tag: str) -> str:
    """Where LinkedIn's hashtag link leads (its feed of the tag)."""
    return HASHTAG_URL.format(tag=quote(tag.lower()))


def _post_url(urn: str) -> str:
    return POST_URL.format(urn=urn)


def _next_utc_midnight(now: datetime | None = None) -> datetime:
    """LinkedIn's daily application and member limits reset at midnight UTC."""
    now = now or datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def _from_millis(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def _body(response: requests.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error_description") or body.get("code") or "")
    return str(body or "")[:300]


def _raise_for(response: requests.Response | None) -> None:
    """Map a LinkedIn answer to the typed errors; return quietly on success."""
    if response is None:
        raise Transient(_("LinkedIn gave no answer."), network="linkedin")
    status = response.status_code
    if status < 400:
        return
    body = _body(response)
    message = _message(body)
    code = str(body.get("code", "")) if isinstance(body, dict) else ""
    kwargs = {"network": "linkedin", "status": status, "body": body}
    if status == 401:
        raise AuthExpired(
            _("LinkedIn no longer accepts this account's access (%(reason)s): reconnect it.")
            % {"reason": message or code},
            **kwargs,
        )
    if status == 429:
        # LinkedIn's 429 does not say whether the application's daily limit or the
        # member's was reached (no budget headers): the account waits; were it the
        # application's, each account would meet its own 429 once.
        raise RateLimited(message, reset_at=_next_utc_midnight(), scope="account", **kwargs)
    if status in (400, 409, 422) and (code == "DUPLICATE_POST" or "duplicate" in message.lower()):
        found = DUPLICATE_URN_RE.search(message)
        ref = (
            RemoteRef(network="linkedin", id=found.group(0), url=_post_url(found.group(0)))
            if found
            else None
        )
        raise Duplicate(
            _("LinkedIn already has this post: it was not posted again."), ref=ref, **kwargs
        )
    if status >= 500:
        retry_after = response.headers.get("Retry-After")
        raise Transient(
            message or f"LinkedIn answered {status}",
            retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            **kwargs,
        )
    if status == 403:
        raise Rejected(
            _(
                "LinkedIn refused: the connected person is no longer an administrator of "
                "this page, or did not grant the right to post. Reconnect the account with "
                "an administrator of the page."
            ),
            **kwargs,
        )
    if status == 426 or code == "NONEXISTENT_VERSION":
        raise Rejected(
            _(
                "LinkedIn no longer serves API version %(version)s: an administrator must "
                "update the CRIEUR_LINKEDIN_VERSION setting."
            )
            % {"version": config.linkedin_version()},
            **kwargs,
        )
    raise Rejected(
        _("LinkedIn refused the request (%(reason)s): correct the post and try again.")
        % {"reason": message or status},
        **kwargs,
    )


class _Api:
    """One LinkedIn conversation with one token: the official client, fitted and checked."""

    def __init__(self, access_token: str, *, account_id=None):
        if not access_token:
            raise AuthExpired(
                _("This LinkedIn account has no access token: reconnect it."), network="linkedin"
            )
        self.token = access_token
        redaction.remember(access_token)
        self.client = RestliClient()
        transport.mount(self.client.session, "linkedin_api", account_id=account_id)
        self.last: requests.Response | None = None
        self.client.session.hooks["response"].append(self._keep)

    def _keep(self, response, *args, **kwargs):
        self.last = response

    def call(self, method: str, *, writing: bool = False, **kwargs):
        """Call `RestliClient.<method>` and raise a typed error for any failure."""
        self.last = None
        try:
            with transport.http_errors("linkedin"):
                result = getattr(self.client, method)(
                    access_token=self.token, version_string=config.linkedin_version(), **kwargs
                )
        except ResponseFormattingError as error:
            # The client could not read the answer: an error page, or an empty body.
            _raise_for(self.last)
            kind = Unconfirmed if writing else Transient
            raise kind(
                "LinkedIn sent an answer that could not be read", network="linkedin"
            ) from error
        _raise_for(result.response)
        return result

    def upload(
        self, url: str, data: bytes, *, content_type: str, signed: bool
    ) -> requests.Response:
        """PUT bytes to an upload address LinkedIn gave (its own host, not the API's)."""
        headers = {"Content-Type": content_type or "application/octet-stream"}
        if signed:
            headers["Authorization"] = f"Bearer {self.token}"
        with transport.http_errors("linkedin"):
            response = self.client.session.put(
                url, data=data, headers=headers, timeout=config.timeout()
            )
        _raise_for(response)
        return response


def _nothing_visible(method):
    """For calls that create nothing anyone sees (a media upload, its start and end):
    one left unanswered is only a retry away (LinkedIn drops media no post uses), so it
    is `Transient`, never `Unconfirmed`, as on X and Meta."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Unconfirmed as error:
            raise Transient(error.message, network="linkedin", body=error.body) from error

    return wrapper


def _credentials(account) -> dict[str, Any]:
    return dict(account.credentials or {})


def _organization_urn(account) -> str:
    remote_id = str(account.remote_id or "")
    if remote_id.isdigit():
        return f"urn:li:organization:{remote_id}"
    return remote_id


def _comment_object(comment_urn: str) -> str:
    """The post (or activity) a comment URN belongs to."""
    found = COMMENT_URN_RE.match(comment_urn)
    return found.group("object") if found else comment_urn


def _comment_urn(comment) -> str | None:
    """A comment's URN as LinkedIn gives it; None when the item has none."""
    if not isinstance(comment, dict):
        return None
    urn = comment.get("commentUrn") or comment.get("$URN")
    if not urn and comment.get("id") and comment.get("object"):
        urn = f"urn:li:comment:({comment['object']},{comment['id']})"
    return urn or None


def _skip_malformed(what: str, item: Any, missing: str) -> None:
    """Log an item of a poll's page that cannot be read (the others are kept): its
    keys only, never what people wrote."""
    keys = sorted(item) if isinstance(item, dict) else type(item).__name__
    logger.warning(
        "linkedin: skipped a %s without %s while polling (keys: %s)", what, missing, keys
    )


def _article_title(text: str, link: str) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return (first_line or link)[:200]


class LinkedInNetwork(RefreshTokenMixin, NetworkBase):
    name = "linkedin"
    no_renewal_token = gettext_lazy("This LinkedIn account has no renewal token: reconnect it.")

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
        author = _organization_urn(account)
        api = _Api(_credentials(account).get("access_token", ""), account_id=account.pk)
        done = list(done_parts)

        if done:
            post_urn = done[0]
        else:
            post_urn = self._create_post(api, author, out)
            if on_part:
                on_part(post_urn)
        parts = done[1:]
        if out.first_comment and not parts:
            comment_urn = self._comment(api, author, post_urn, out.first_comment)
            parts.append(comment_urn)
            if on_part:
                on_part(comment_urn)
        return RemoteRef(
            network=self.name,
            id=post_urn,
            url=_post_url(post_urn),
            parts=tuple(parts),
            data={"author": author},
        )

    def _create_post(self, api: _Api, author: str, outgoing: Outgoing) -> str:
        entity: dict[str, Any] = {
            "author": author,
            "commentary": little_text(outgoing.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        images = outgoing.images
        video = outgoing.video
        if video is not None:
            entity["content"] = {
                "media": {"id": self._upload_video(api, author, video), "title": video.filename}
            }
        elif len(images) == 1:
            entity["content"] = {
                "media": {
                    "id": self._upload_image(api, author, images[0]),
                    "altText": images[0].alt_text,
                }
            }
        elif images:
            entity["content"] = {
                "multiImage": {
                    "images": [
                        {"id": self._upload_image(api, author, image), "altText": image.alt_text}
                        for image in images
                    ]
                }
            }
        elif outgoing.link:
            entity["content"] = {
                "article": {
                    "source": outgoing.link,
                    "title": _article_title(outgoing.text, outgoing.link),
                }
            }
        created = api.call("create", writing=True, resource_path="/posts", entity=entity)
        urn = created.entity_id or created.headers.get("x-restli-id", "")
        if not urn:
            raise Unconfirmed("LinkedIn accepted the post without saying its id", network=self.name)
        return urn

    @_nothing_visible
    def _upload_image(self, api: _Api, owner: str, image: Media) -> str:
        answer = api.call(
            "action",
            writing=True,
            resource_path="/images",
            action_name="initializeUpload",
            action_params={"initializeUploadRequest": {"owner": owner}},
        )
        value = answer.value or {}
        api.upload(value["uploadUrl"], image.read(), content_type=image.content_type, signed=True)
        return value["image"]

    @_nothing_visible
    def _upload_video(self, api: _Api, owner: str, video: Media) -> str:
        data = video.read()
        answer = api.call(
            "action",
            writing=True,
            resource_path="/videos",
            action_name="initializeUpload",
            action_params={
                "initializeUploadRequest": {
                    "owner": owner,
                    "fileSizeBytes": len(data),
                    "uploadCaptions": False,
                    "uploadThumbnail": False,
                }
            },
        )
        value = answer.value or {}
        etags = []
        for part in value.get("uploadInstructions", []):
            chunk = data[int(part["firstByte"]) : int(part["lastByte"]) + 1]
            response = api.upload(
                part["uploadUrl"], chunk, content_type="application/octet-stream", signed=False
            )
            etags.append(response.headers.get("ETag", "").strip('"'))
        urn = value["video"]
        api.call(
            "action",
            writing=True,
            resource_path="/videos",
            action_name="finalizeUpload",
            action_params={
                "finalizeUploadRequest": {
                    "video": urn,
                    "uploadToken": value.get("uploadToken", ""),
                    "uploadedPartIds": etags,
                }
            },
        )
        self._wait_for_video(api, urn)
        return urn

    def _wait_for_video(self, api: _Api, urn: str) -> None:
        """A post may only use a video LinkedIn has finished processing."""
        from django.conf import settings

        pause = getattr(settings, "CRIEUR_LINKEDIN_POLL_SECONDS", 3)
        for attempt in range(VIDEO_POLL_ATTEMPTS):
            status = api.call("get", resource_path="/videos/{id}", path_keys={"id": urn})
            state = (status.entity or {}).get("status", "")
            if state == "AVAILABLE":
                return
            if state == "PROCESSING_FAILED":
                raise Rejected(
                    _("LinkedIn could not process the video: check its format and length."),
                    network=self.name,
                    body=status.entity,
                )
            if attempt < VIDEO_POLL_ATTEMPTS - 1 and pause:
                time.sleep(pause)
        raise Transient("LinkedIn is still processing the video", retry_after=60, network=self.name)

    def _comment(self, api: _Api, actor: str, target: str, text: str, parent: str = "") -> str:
        entity: dict[str, Any] = {
            "actor": actor,
            "object": _comment_object(parent) if parent else target,
            "message": {"text": text},
        }
        if parent:
            entity["parentComment"] = parent
        created = api.call(
            "create",
            writing=True,
            resource_path="/socialActions/{id}/comments",
            path_keys={"id": parent or target},
            entity=entity,
        )
        body = created.entity or {}
        urn = body.get("commentUrn") or body.get("$URN") or ""
        if not urn and created.entity_id:
            urn = f"urn:li:comment:({body.get('object') or target},{created.entity_id})"
        if not urn:
            raise Unconfirmed(
                "LinkedIn accepted the comment without saying its id", network=self.name
            )
        return urn

    # -- after publishing -----------------------------------------------------------------

    def delete(self, ref: RemoteRef, *, account) -> None:
        api = _Api(_credentials(account).get("access_token", ""), account_id=account.pk)
        try:
            api.call("delete", writing=True, resource_path="/posts/{id}", path_keys={"id": ref.id})
        except Rejected as error:
            if error.status in (404, 410):
                return  # already gone: what deleting wanted
            raise

    def _recent_posts(self, api: _Api, author: str, count: int = RECENT_POSTS) -> list[dict]:
        found = api.call(
            "finder",
            resource_path="/posts",
            finder_name="author",
            query_params={"author": author, "count": count, "sortBy": "LAST_MODIFIED"},
        )
        return list(found.elements or [])

    def fetch_replies(self, account, since: datetime | None) -> list[Inbound]:
        api = _Api(_credentials(account).get("access_token", ""), account_id=account.pk)
        author = _organization_urn(account)
        inbound = []
        for post in self._recent_posts(api, author):
            if not isinstance(post, dict) or not post.get("id"):
                _skip_malformed("post", post, "id")
                continue
            comments = api.call(
                "get_all",
                resource_path="/socialActions/{id}/comments",
                path_keys={"id": post["id"]},
            )
            for comment in comments.elements or []:
                if _comment_urn(comment) is None:
                    _skip_malformed("comment", comment, "URN")
                    continue
                found = [comment]
                summary = comment.get("commentsSummary") or {}
                if summary.get("aggregatedTotalComments"):
                    replies = api.call(
                        "get_all",
                        resource_path="/socialActions/{id}/comments",
                        path_keys={"id": _comment_urn(comment)},
                    )
                    found += list(replies.elements or [])
                for item in (self._inbound_comment(each, post["id"]) for each in found):
                    if item is None or item.author_id == author:
                        continue  # unreadable, or the page's own comments and replies
                    if since is not None and item.created_at <= since:
                        continue
                    inbound.append(item)
        return sorted(inbound, key=lambda item: item.created_at)

    def _inbound_comment(self, comment: dict, post_urn: str) -> Inbound | None:
        """The comment as an inbound item; None, logged, for one that cannot be read
        (without URN, or without author: it might be the page's own)."""
        urn = _comment_urn(comment)
        if urn is None:
            _skip_malformed("comment", comment, "URN")
            return None
        if not comment.get("actor"):
            _skip_malformed("comment", comment, "actor")
            return None
        parent = comment.get("parentComment", "")
        created = comment.get("created") or {}
        return Inbound(
            network=self.name,
            remote_id=urn,
            kind="reply" if parent else "comment",
            text=(comment.get("message") or {}).get("text", ""),
            author_id=comment["actor"],
            author_name=comment.get("actorName", ""),
            created_at=_from_millis(created.get("time")),
            in_reply_to=parent or post_urn,
            raw=comment,
        )

    def reply(self, inbound: Inbound, text: str, *, account) -> RemoteRef:
        api = _Api(_credentials(account).get("access_token", ""), account_id=account.pk)
        actor = _organization_urn(account)
        if inbound.remote_id.startswith("urn:li:comment:"):
            urn = self._comment(api, actor, inbound.in_reply_to, text, parent=inbound.remote_id)
        else:  # a mention in a post: answer under that post
            urn = self._comment(api, actor, inbound.remote_id, text)
        return RemoteRef(network=self.name, id=urn, url=_post_url(_comment_object(urn)))

    def hide(self, inbound: Inbound, *, account) -> None:
        raise Rejected(
            _(
                "LinkedIn does not let applications hide a comment: hide or delete it from "
                "the page on LinkedIn, or answer it."
            ),
            network=self.name,
        )

    def metrics(self, ref: RemoteRef, *, account) -> Metrics:
        api = _Api(_credentials(account).get("access_token", ""), account_id=account.pk)
        organization = ref.data.get("author") or _organization_urn(account)
        kind = "ugcPosts" if ref.id.startswith("urn:li:ugcPost:") else "shares"
        found = api.call(
            "finder",
            resource_path="/organizationalEntityShareStatistics",
            finder_name="organizationalEntity",
            query_params={"organizationalEntity": organization, kind: [ref.id]},
        )
        elements = found.elements or []
        totals = (elements[0] if elements else {}).get("totalShareStatistics") or {}
        return Metrics(
            impressions=totals.get("impressionCount"),
            reactions=totals.get("likeCount"),
            comments=totals.get("commentCount"),
            shares=totals.get("shareCount"),
            clicks=totals.get("clickCount"),
            raw=totals,
        )

    def find_recent(
        self, account: SocialAccount, *, text: str, since: datetime | None
    ) -> RemoteRef | None:
        api = _Api(_credentials(account).get("access_token", ""), account_id=account.pk)
        author = _organization_urn(account)
        wanted = {little_text(text).strip(), linkedin_escape(text).strip(), text.strip()}
        for post in self._recent_posts(api, author):
            created = _from_millis(post.get("publishedAt") or post.get("createdAt"))
            if since is not None and created < since:
                continue
            if (post.get("commentary") or "").strip() in wanted:
                return RemoteRef(
                    network=self.name,
                    id=post["id"],
                    url=_post_url(post["id"]),
                    data={"author": author},
                )
        return None

    # -- webhooks -------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: dict) -> bool:
        """`X-LI-Signature` is the hex HMAC-SHA256, keyed with the app's client secret,
        of "hmacsha256=" followed by the body exactly as received."""
        lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
        signature = str(lowered.get("x-li-signature", "")).strip()
        secret = config.client("linkedin")[1]
        if not signature or not secret:
            return False
        expected = hmac.new(secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature.lower())

    def parse_webhook(self, payload: dict) -> list[Inbound]:
        if payload.get("type") not in (None, "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS"):
            return []
        inbound = []
        for note in payload.get("notifications") or []:
            action = note.get("action")
            activity = note.get("decoratedGeneratedActivity") or {}
            source = note.get("decoratedSourcePost") or {}
            post_urn = source.get("entity") or note.get("sourcePost", "")
            created = _from_millis(note.get("lastModifiedAt"))
            if action == "COMMENT":
                comment = activity.get("comment") or {}
                parent = comment.get("parentComment", "")
                inbound.append(
                    Inbound(
                        network=self.name,
                        remote_id=comment.get("entity") or note.get("generatedActivity", ""),
                        kind="reply" if parent else "comment",
                        text=comment.get("text", ""),
                        author_id=comment.get("owner", ""),
                        author_name=comment.get("ownerName", ""),
                        created_at=created,
                        in_reply_to=parent or post_urn,
                        raw=note,
                    )
                )
            elif action == "SHARE_MENTION":
                share = activity.get("share") or {}
                inbound.append(
                    Inbound(
                        network=self.name,
                        remote_id=share.get("entity") or note.get("generatedActivity", ""),
                        kind="mention",
                        text=share.get("text", ""),
                        author_id=share.get("owner", ""),
                        author_name="",
                        created_at=created,
                        raw=note,
                    )
                )
        return inbound

    # -- OAuth 2 (3-legged) ---------------------------------------------------------------

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str = "") -> str:
        # LinkedIn's web flow takes no PKCE challenge: the client secret guards the code.
        client_id, _secret = config.client("linkedin")
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": SCOPES,
            }
        )
        return f"{config.address('linkedin_oauth')}/authorization?{query}"

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        client_id, secret = config.client("linkedin")
        redaction.remember(secret, *redaction.secrets_of(form))
        with transport.http_errors("linkedin"):
            response = requests.post(
                f"{config.address('linkedin_oauth')}/accessToken",
                data={**form, "client_id": client_id, "client_secret": secret},
                timeout=config.timeout(),
            )
        if response.status_code >= 500 or response.status_code == 429:
            _raise_for(response)
        body = _body(response)
        if response.status_code >= 400 or not isinstance(body, dict) or "access_token" not in body:
            reason = _message(body) or response.status_code
            if form.get("grant_type") == "refresh_token":
                raise AuthExpired(
                    _("LinkedIn refused to renew the access (%(reason)s): reconnect the account.")
                    % {"reason": reason},
                    network=self.name,
                    status=response.status_code,
                    body=body,
                )
            raise Rejected(
                _("LinkedIn refused the authorization (%(reason)s): start the connection again.")
                % {"reason": reason},
                network=self.name,
                status=response.status_code,
                body=body,
            )
        return body

    def connect(
        self, *, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> list[AccountGrant]:
        body = self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )
        credentials = self._tokens(body)
        expires_at = self._expiry(body)
        api = _Api(credentials["access_token"])
        acls = api.call(
            "finder",
            resource_path="/organizationAcls",
            finder_name="roleAssignee",
            query_params={"role": "ADMINISTRATOR", "state": "APPROVED"},
        )
        grants = []
        seen = set()
        for acl in acls.elements or []:
            urn = acl.get("organization") or acl.get("organizationalTarget") or ""
            identifier = urn.rsplit(":", 1)[-1]
            if not identifier.isdigit() or urn in seen:
                continue
            seen.add(urn)
            organization = api.call(
                "get", resource_path="/organizations/{id}", path_keys={"id": int(identifier)}
            ).entity
            grants.append(
                AccountGrant(
                    network=self.name,
                    remote_id=urn,
                    display_name=organization.get("localizedName") or urn,
                    handle=organization.get("vanityName", ""),
                    credentials=dict(credentials),
                    token_expires_at=expires_at,
                )
            )
        return grants

    # -- the webhook door (base.WebhookReceiver) -------------------------------------------

    def webhook_handshake(self, query: dict[str, str]) -> HandshakeAnswer | None:
        """No subscription check is answered for LinkedIn yet."""
        return None

    def webhook_items(self, payload: dict[str, Any]) -> WebhookItems:
        """Comments on the organisation's posts and mentions of it (see `parse_webhook`),
        each notification read on its own; the account is the notification's
        organisation."""
        kind = payload.get("type")
        if kind not in (None, "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS"):
            return WebhookItems()
        reader = ItemReader()
        for note in listed(payload, "notifications"):
            reader.read("notification", note, lambda note=note: self._webhook_item(kind, note))
        return reader.result()

    def _webhook_item(self, kind, note: dict) -> list[Received]:
        return [
            Received(
                network=self.name,
                account_remote_id=note.get("organizationalEntity", ""),
                kind=inbound.kind,
                identity=("activity", inbound.remote_id),
                content=inbound,
            )
            for inbound in self.parse_webhook({"type": kind, "notifications": [note]})
        ]


NETWORK = LinkedInNetwork()
