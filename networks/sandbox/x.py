"""The sandbox's X: API v2 posts, users, mentions, hidden replies, the v2 media upload,
OAuth 2 with PKCE, and signed Account Activity webhooks.

It behaves like X where it matters to Crieur: it counts text with X's weights (a link
23, with or without a scheme, a wide character or an emoji sequence 2: the rules of
networks/text.py) and refuses past 280, refuses the same text twice
from one account with X's 403 duplicate-content problem, checks the media a post
carries (at most 4 images or one processed video), and answers errors in X's problem
shape (`title`, `detail`, `type`, `status`), which is what tweepy reads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from ..text import x_link_spans, x_weighted_length
from .core import bearer_token

NETWORK = "x"
MAX_WEIGHTED = 280
REPLY_SETTINGS = ("following", "mentionedUsers", "subscribers", "verified")
ONE_SHOT_CATEGORIES = ("tweet_image", "tweet_gif", "dm_image", "dm_gif", "subtitles")
CHUNKED_CATEGORIES = ("tweet_video", "tweet_gif", "tweet_image", "amplify_video", "dm_video")
MAX_ALT_TEXT = 1000
MAX_SEGMENT_BYTES = 5 * 1024 * 1024
TOKEN_SECONDS = 7200
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG_DETAIL = (
    "Your Tweet text is too long. For more information on how Twitter determines text "
    "length see https://github.com/twitter/twitter-text."
)
# The account a consent in the sandbox connects.
CONSENTING_USER = {
    "id": "1460012345678901234",
    "name": "Ville de Bourg-sur-Lac",
    "username": "bourgsurlac",
}


def weighted_length(text: str) -> int:
    """X's count, by X's published rules: the same function Crieur checks drafts with."""
    return x_weighted_length(text)


def display_text(text: str) -> str:
    """A post's text as the API gives it back: `& < >` escaped, links made t.co links."""
    parts, position = [], 0
    for start, end in x_link_spans(text):
        parts.append(_escape(text[position:start]))
        parts.append("https://t.co/" + hashlib.sha256(text[start:end].encode()).hexdigest()[:10])
        position = end
    parts.append(_escape(text[position:]))
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def signature(secret: str, body: bytes) -> str:
    """The `x-twitter-webhooks-signature` header: sha256= and the base64 HMAC-SHA256."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra):
    """X's error body (RFC 7807 problem details)."""
    return status, {"title": title, "detail": detail, "type": kind, "status": status, **extra}


def unauthorized():
    return problem(401, "Unauthorized", "Unauthorized")


def stamp(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def v1_created_at(value: str) -> str:
    """The Account Activity (v1.1) date: "Wed Oct 10 20:19:24 +0000 2018"."""
    return parse_stamp(value).strftime("%a %b %d %H:%M:%S +0000 %Y")


def file_content(storage) -> bytes:
    """A multipart file's bytes (the core has read it once already, to record it)."""
    if storage is None:
        return b""
    storage.stream.seek(0)
    return storage.read()


def register(sandbox) -> None:
    tweets = lambda: sandbox.bucket(NETWORK, "tweets")  # noqa: E731
    users = lambda: sandbox.bucket(NETWORK, "users")  # noqa: E731
    tokens = lambda: sandbox.bucket(NETWORK, "tokens")  # noqa: E731
    media = lambda: sandbox.bucket(NETWORK, "media")  # noqa: E731
    codes = lambda: sandbox.bucket(NETWORK, "codes")  # noqa: E731

    def ensure_user(user_id: str, name: str = "", username: str = "") -> dict:
        with sandbox.lock:
            return users().setdefault(
                user_id,
                {
                    "id": user_id,
                    "name": name or f"Compte {user_id}",
                    "username": username or f"compte{user_id}",
                },
            )

    def caller(request) -> dict | None:
        """The user a bearer token speaks for: issued here, or a test's
        "sandbox-x-token-<user id>", or any other token, as a user of its own."""
        token = bearer_token(request)
        if not token:
            return None
        issued = tokens().get(token)
        if issued is not None:
            if issued.get("refresh"):
                return None
            return ensure_user(issued["user"])
        suffix = token.rsplit("-", 1)[-1]
        if token.startswith("sandbox-x-token-") and suffix.isdigit():
            return ensure_user(suffix)
        return ensure_user(str(int(hashlib.sha256(token.encode()).hexdigest()[:15], 16)))

    # -- posts ----------------------------------------------------------------------------

    def media_problem(media_ids: list[str]):
        items = []
        for media_id in media_ids:
            item = media().get(str(media_id))
            if item is None or item["state"] != "succeeded":
                return problem(
                    400,
                    "Invalid Request",
                    "One or more parameters to your request was invalid.",
                    "https://api.twitter.com/2/problems/invalid-request",
                    errors=[{"message": "Your media IDs are invalid.", "parameters": {}}],
                )
            items.append(item)
        videos = [i for i in items if i["media_category"] in ("tweet_video", "amplify_video")]
        if len(items) > 4 or (videos and len(items) > 1):
            return problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "https://api.twitter.com/2/problems/invalid-request",
                errors=[
                    {
                        "message": "A post takes up to 4 images, or 1 video or GIF.",
                        "parameters": {"media.media_ids": [str(m) for m in media_ids]},
                    }
                ],
            )
        return None

    def new_tweet(author: dict, text: str, *, reply_to: dict | None = None, **extra) -> dict:
        tweet_id = sandbox.new_id()
        tweet = {
            "id": tweet_id,
            "text": text,
            "edit_history_tweet_ids": [tweet_id],
            "author_id": author["id"],
            "created_at": stamp(),
            "conversation_id": tweet_id,
            "mentions": [],
            "hidden": False,
            "impressions": 0,
            "likes": 0,
            **extra,
        }
        if reply_to is not None:
            tweet["conversation_id"] = reply_to["conversation_id"]
            tweet["in_reply_to_user_id"] = reply_to["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to["id"]}]
            tweet["mentions"] = [reply_to["author_id"]]
        tweets()[tweet_id] = tweet
        return tweet

    @sandbox.route(NETWORK, "/x/2/tweets", ("POST",))
    def create_tweet(request):
        author = caller(request)
        if author is None:
            return unauthorized()
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return problem(400, "Invalid Request", "The request body is not JSON.")
        text = data.get("text", "")
        media_ids = (data.get("media") or {}).get("media_ids") or []
        if not text and not media_ids:
            return problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "https://api.twitter.com/2/problems/invalid-request",
                errors=[{"message": "Post text or media is required.", "parameters": {}}],
            )
        if weighted_length(text) > MAX_WEIGHTED:
            return problem(400, "Invalid Request", TOO_LONG_DETAIL)
        settings = data.get("reply_settings")
        if settings is not None and settings not in REPLY_SETTINGS:
            return problem(
                400,
                "Invalid Request",
                f"Invalid reply_settings: {settings}",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        found = media_problem(media_ids)
        if found:
            return found
        reply = data.get("reply") or {}
        parent = None
        if reply.get("in_reply_to_tweet_id"):
            parent = tweets().get(str(reply["in_reply_to_tweet_id"]))
            if parent is None:
                return problem(
                    403,
                    "Forbidden",
                    "You attempted to reply to a Tweet that is deleted or not visible to you.",
                )
        with sandbox.lock:
            for earlier in tweets().values():
                if earlier["author_id"] == author["id"] and earlier["text"] == text and text:
                    return problem(403, "Forbidden", DUPLICATE_DETAIL)
            extra = {"reply_settings": settings or "everyone"}
            if media_ids:
                extra["attachments"] = {
                    "media_keys": [media()[str(m)]["media_key"] for m in media_ids],
                    "media_ids": [str(m) for m in media_ids],
                }
            tweet = new_tweet(author, text, reply_to=parent, **extra)
        return 201, {"data": shown(tweet, set())}

    def shown(tweet: dict, fields: set[str]) -> dict:
        out = {
            "id": tweet["id"],
            "text": display_text(tweet["text"]),
            "edit_history_tweet_ids": tweet["edit_history_tweet_ids"],
        }
        for field in (
            "author_id",
            "created_at",
            "conversation_id",
            "in_reply_to_user_id",
            "referenced_tweets",
            "reply_settings",
        ):
            if field in fields and field in tweet:
                out[field] = tweet[field]
        if "attachments" in fields and "attachments" in tweet:
            out["attachments"] = {"media_keys": tweet["attachments"]["media_keys"]}
        if "public_metrics" in fields:
            replies = sum(
                1
                for t in tweets().values()
                if any(r["id"] == tweet["id"] for r in t.get("referenced_tweets", []))
            )
            out["public_metrics"] = {
                "retweet_count": 0,
                "reply_count": replies,
                "like_count": tweet["likes"],
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": tweet["impressions"],
            }
        return out

    def listing(request, found: list[dict]):
        """A timeline page: newest first, `start_time`, `since_id`, `max_results`,
        `pagination_token`, and the authors under `includes` when expanded."""
        args = request.args
        fields = set(filter(None, args.get("tweet.fields", "").split(",")))
        if args.get("start_time"):
            start = parse_stamp(args["start_time"])
            found = [t for t in found if parse_stamp(t["created_at"]) >= start]
        if args.get("since_id"):
            found = [t for t in found if int(t["id"]) > int(args["since_id"])]
        found.sort(key=lambda t: int(t["id"]), reverse=True)
        size = min(max(int(args.get("max_results", 10)), 5), 100)
        offset = int(args.get("pagination_token") or 0)
        page = found[offset : offset + size]
        body: dict = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [shown(t, fields) for t in page]
            body["meta"].update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
            if "author_id" in args.get("expansions", "").split(","):
                authors = {t["author_id"] for t in page}
                body["includes"] = {"users": [users()[a] for a in sorted(authors) if a in users()]}
        if offset + size < len(found):
            body["meta"]["next_token"] = str(offset + size)
        return 200, body

    @sandbox.route(NETWORK, "/x/2/tweets/<tweet_id>", ("GET",))
    def get_tweet(request, tweet_id):
        if caller(request) is None:
            return unauthorized()
        tweet = tweets().get(tweet_id)
        if tweet is None:
            return 200, {
                "errors": [
                    {
                        "value": tweet_id,
                        "detail": f"Could not find tweet with id: [{tweet_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "id",
                        "resource_id": tweet_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            }
        fields = set(filter(None, request.args.get("tweet.fields", "").split(",")))
        return 200, {"data": shown(tweet, fields)}

    @sandbox.route(NETWORK, "/x/2/tweets/<tweet_id>", ("DELETE",))
    def delete_tweet(request, tweet_id):
        user = caller(request)
        if user is None:
            return unauthorized()
        tweet = tweets().get(tweet_id)
        if tweet is None:
            return problem(
                404,
                "Not Found Error",
                f"Could not find tweet with id: [{tweet_id}].",
                "https://api.twitter.com/2/problems/resource-not-found",
            )
        if tweet["author_id"] != user["id"]:
            return problem(403, "Forbidden", "You are not allowed to delete this Tweet.")
        tweets().pop(tweet_id, None)
        return 200, {"data": {"deleted": True}}

    @sandbox.route(NETWORK, "/x/2/tweets/<tweet_id>/hidden", ("PUT",))
    def hide_reply(request, tweet_id):
        user = caller(request)
        if user is None:
            return unauthorized()
        tweet = tweets().get(tweet_id)
        if tweet is None:
            return problem(
                404,
                "Not Found Error",
                f"Could not find tweet with id: [{tweet_id}].",
                "https://api.twitter.com/2/problems/resource-not-found",
            )
        root = tweets().get(tweet["conversation_id"])
        if root is None or root["author_id"] != user["id"] or tweet["id"] == root["id"]:
            return problem(
                403,
                "Forbidden",
                "You attempted to hide a reply to a Tweet that you did not author.",
            )
        hidden = bool((request.get_json(silent=True) or {}).get("hidden"))
        tweet["hidden"] = hidden
        return 200, {"data": {"hidden": hidden}}

    # -- users and timelines --------------------------------------------------------------

    @sandbox.route(NETWORK, "/x/2/users/me", ("GET",))
    def me(request):
        user = caller(request)
        if user is None:
            return unauthorized()
        return 200, {"data": dict(user)}

    @sandbox.route(NETWORK, "/x/2/users/<user_id>/mentions", ("GET",))
    def mentions(request, user_id):
        if caller(request) is None:
            return unauthorized()
        found = [
            t
            for t in tweets().values()
            if t["author_id"] != user_id
            and (user_id in t["mentions"] or t.get("in_reply_to_user_id") == user_id)
        ]
        return listing(request, found)

    @sandbox.route(NETWORK, "/x/2/users/<user_id>/tweets", ("GET",))
    def user_tweets(request, user_id):
        if caller(request) is None:
            return unauthorized()
        excluded = set(request.args.get("exclude", "").split(","))
        found = [
            t
            for t in tweets().values()
            if t["author_id"] == user_id
            and not ("replies" in excluded and t.get("in_reply_to_user_id"))
        ]
        return listing(request, found)

    # -- media upload (v2) ----------------------------------------------------------------

    def new_media(user: dict, category: str, media_type: str, **extra) -> dict:
        media_id = sandbox.new_id()
        prefix = {"tweet_video": "7", "amplify_video": "13", "tweet_gif": "16"}.get(category, "3")
        item = {
            "id": media_id,
            "media_key": f"{prefix}_{media_id}",
            "owner": user["id"],
            "media_category": category,
            "media_type": media_type,
            "alt_text": "",
            **extra,
        }
        media()[media_id] = item
        return item

    def upload_answer(item: dict) -> dict:
        data = {
            "id": item["id"],
            "media_key": item["media_key"],
            "size": item.get("size", 0),
            "expires_after_secs": 86400,
        }
        if item["state"] != "succeeded" or item["media_category"] == "tweet_video":
            info = {"state": item["state"]}
            if item["state"] in ("pending", "in_progress"):
                info["check_after_secs"] = 1
            info["progress_percent"] = {"pending": 0, "in_progress": 50}.get(item["state"], 100)
            data["processing_info"] = info
        return {"data": data}

    @sandbox.route(NETWORK, "/x/2/media/upload", ("POST",))
    def upload(request):
        user = caller(request)
        if user is None:
            return unauthorized()
        if request.mimetype == "application/json":
            data = request.get_json(silent=True) or {}
            try:
                content = base64.b64decode(data.get("media", ""), validate=True)
            except ValueError:
                return problem(400, "Invalid Request", "media is not valid base64.")
        else:
            data = request.form
            content = file_content(request.files.get("media"))
        category = data.get("media_category", "")
        if not content:
            return problem(400, "Invalid Request", "The media field is required.")
        if category not in ONE_SHOT_CATEGORIES:
            return problem(400, "Invalid Request", f"Invalid media_category: {category!r}.")
        item = new_media(
            user,
            category,
            data.get("media_type", ""),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            state="succeeded",
        )
        return 200, upload_answer(item)

    @sandbox.route(NETWORK, "/x/2/media/upload", ("GET",))
    def upload_status(request):
        if caller(request) is None:
            return unauthorized()
        item = media().get(request.args.get("media_id", ""))
        if item is None:
            return problem(400, "Invalid Request", "Invalid media_id.")
        # Each look moves processing on by one step, as a real upload would in time.
        item["state"] = {"pending": "in_progress", "in_progress": "succeeded"}.get(
            item["state"], item["state"]
        )
        return 200, upload_answer(item)

    @sandbox.route(NETWORK, "/x/2/media/upload/initialize", ("POST",))
    def upload_initialize(request):
        user = caller(request)
        if user is None:
            return unauthorized()
        data = request.get_json(silent=True) or {}
        total = int(data.get("total_bytes") or 0)
        category = data.get("media_category", "")
        if total <= 0 or not data.get("media_type"):
            return problem(400, "Invalid Request", "total_bytes and media_type are required.")
        if category and category not in CHUNKED_CATEGORIES:
            return problem(400, "Invalid Request", f"Invalid media_category: {category!r}.")
        item = new_media(
            user,
            category or "tweet_video",
            data["media_type"],
            total_bytes=total,
            segments={},
            state="initialized",
        )
        return 200, {
            "data": {
                "id": item["id"],
                "media_key": item["media_key"],
                "expires_after_secs": 86400,
            }
        }

    @sandbox.route(NETWORK, "/x/2/media/upload/<media_id>/append", ("POST",))
    def upload_append(request, media_id):
        if caller(request) is None:
            return unauthorized()
        item = media().get(media_id)
        if item is None or item["state"] != "initialized":
            return problem(400, "Invalid Request", "Invalid media_id or upload already finalized.")
        content = file_content(request.files.get("media"))
        index = request.form.get("segment_index", "")
        if not index.isdigit() or not 0 <= int(index) <= 999:
            return problem(400, "Invalid Request", "segment_index must be between 0 and 999.")
        if not content or len(content) > MAX_SEGMENT_BYTES:
            return problem(400, "Invalid Request", "A segment holds 1 byte to 5 MB.")
        item["segments"][int(index)] = content
        return 200, {"data": {"expires_at": int(time.time()) + 86400}}

    @sandbox.route(NETWORK, "/x/2/media/upload/<media_id>/finalize", ("POST",))
    def upload_finalize(request, media_id):
        if caller(request) is None:
            return unauthorized()
        item = media().get(media_id)
        if item is None or item["state"] != "initialized":
            return problem(400, "Invalid Request", "Invalid media_id or upload already finalized.")
        content = b"".join(item["segments"][i] for i in sorted(item["segments"]))
        if len(content) != item["total_bytes"]:
            return problem(
                400,
                "Invalid Request",
                f"File size mismatch: {len(content)} bytes received, "
                f"{item['total_bytes']} announced.",
            )
        item.update(
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            segment_count=len(item["segments"]),
            segments={},
            state="pending" if item["media_category"] == "tweet_video" else "succeeded",
        )
        return 200, upload_answer(item)

    @sandbox.route(NETWORK, "/x/2/media/metadata", ("POST",))
    def media_metadata(request):
        user = caller(request)
        if user is None:
            return unauthorized()
        data = request.get_json(silent=True) or {}
        item = media().get(str(data.get("id", "")))
        if item is None or item["owner"] != user["id"]:
            return problem(400, "Invalid Request", "Invalid media id.")
        alt = ((data.get("metadata") or {}).get("alt_text") or {}).get("text", "")
        if len(alt) > MAX_ALT_TEXT:
            return problem(
                400, "Invalid Request", f"alt_text.text is longer than {MAX_ALT_TEXT} characters."
            )
        item["alt_text"] = alt
        return 200, {"data": {"id": item["id"], "associated_metadata": {"alt_text": {"text": alt}}}}

    # -- OAuth 2 with PKCE ----------------------------------------------------------------

    def page(status: int, title: str, body: str) -> Response:
        document = (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
            f"{body}</body></html>"
        )
        return Response(document, status=status, mimetype="text/html")

    consent_fields = (
        "client_id",
        "redirect_uri",
        "state",
        "scope",
        "code_challenge",
        "code_challenge_method",
    )

    @sandbox.route(NETWORK, "/x/oauth", ("GET",))
    def consent(request):
        args = request.args
        missing = [
            k
            for k in ("response_type", "client_id", "redirect_uri", "state", "code_challenge")
            if not args.get(k)
        ]
        method = args.get("code_challenge_method", "plain")
        if missing or args.get("response_type") != "code" or method not in ("S256", "plain"):
            return page(
                400,
                "Demande d’autorisation invalide",
                f"<p>Paramètres manquants ou invalides : {html.escape(', '.join(missing))}</p>",
            )
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(args.get(name, ""))}">'
            for name in consent_fields
        )
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in args.get("scope", "").split())
        return page(
            200,
            "X (bac à sable) : autoriser l’accès",
            f"<p>L’application <strong>{html.escape(args['client_id'])}</strong> demande "
            f"l’accès au compte <strong>@{html.escape(CONSENTING_USER['username'])}</strong> "
            "pour :</p>"
            f"<ul>{scopes}</ul>"
            f'<form method="post">{hidden}<button type="submit">Autoriser</button></form>',
        )

    @sandbox.route(NETWORK, "/x/oauth", ("POST",))
    def consent_given(request):
        form = request.form
        redirect_uri = form.get("redirect_uri", "")
        if not redirect_uri or not form.get("client_id") or not form.get("code_challenge"):
            return page(400, "Demande d’autorisation invalide", "<p>Paramètres absents.</p>")
        ensure_user(CONSENTING_USER["id"], CONSENTING_USER["name"], CONSENTING_USER["username"])
        code = f"sandbox-x-code-{sandbox.new_id()}"
        codes()[code] = {
            "client_id": form["client_id"],
            "redirect_uri": redirect_uri,
            "scope": form.get("scope", ""),
            "challenge": form["code_challenge"],
            "method": form.get("code_challenge_method", "plain"),
            "user": CONSENTING_USER["id"],
        }
        separator = "&" if "?" in redirect_uri else "?"
        query = urlencode({"state": form.get("state", ""), "code": code})
        return redirect(f"{redirect_uri}{separator}{query}", code=302)

    def issue(scope: str, user_id: str) -> dict:
        access = f"sandbox-x-access-{sandbox.new_id()}"
        refresh = f"sandbox-x-refresh-{sandbox.new_id()}"
        tokens()[access] = {"user": user_id, "scope": scope}
        tokens()[refresh] = {"user": user_id, "scope": scope, "refresh": True}
        return {
            "token_type": "bearer",
            "expires_in": TOKEN_SECONDS,
            "access_token": access,
            "scope": scope,
            "refresh_token": refresh,
        }

    def verifier_matches(found: dict, verifier: str) -> bool:
        if found["method"] == "S256":
            digest = hashlib.sha256(verifier.encode()).digest()
            computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        else:
            computed = verifier
        return bool(verifier) and hmac.compare_digest(computed, found["challenge"])

    @sandbox.route(NETWORK, "/x/2/oauth2/token", ("POST",))
    def token(request):
        auth = request.authorization
        if auth is None or not auth.username or not auth.password:
            return 401, {
                "error": "unauthorized_client",
                "error_description": "Missing valid authorization header",
            }
        form = request.form
        grant = form.get("grant_type")
        if grant == "authorization_code":
            found = codes().pop(form.get("code", ""), None)
            if (
                found is None
                or found["client_id"] != auth.username
                or found["redirect_uri"] != form.get("redirect_uri")
                or not verifier_matches(found, form.get("code_verifier", ""))
            ):
                return 400, {
                    "error": "invalid_request",
                    "error_description": "Value passed for the authorization code was invalid.",
                }
            return 200, issue(found["scope"], found["user"])
        if grant == "refresh_token":
            found = tokens().get(form.get("refresh_token", ""))
            if found is None or not found.get("refresh"):
                return 400, {
                    "error": "invalid_request",
                    "error_description": "Value passed for the token was invalid.",
                }
            tokens().pop(form["refresh_token"])  # X's refresh tokens are single use
            return 200, issue(found["scope"], found["user"])
        return 400, {
            "error": "unsupported_grant_type",
            "error_description": f"Unsupported grant type: {grant}",
        }

    # -- faults ---------------------------------------------------------------------------

    @sandbox.fault_renderer(NETWORK)
    def render_fault(kind, request):
        if kind == "server_error":
            return sandbox.json_response(
                503,
                {
                    "title": "Service Unavailable",
                    "detail": "Service Unavailable",
                    "type": "about:blank",
                    "status": 503,
                },
            )
        if kind == "unavailable":
            return sandbox.json_response(
                503,
                {"title": "Service Unavailable", "detail": "Over capacity", "type": "about:blank"},
                {"Retry-After": "30"},
            )
        if kind == "rate_limited":
            return sandbox.json_response(
                429,
                {
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                },
                {
                    "x-rate-limit-limit": "100",
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": str(int(time.time()) + sandbox.reset_in(request)),
                },
            )
        if kind == "expired_token":
            return sandbox.json_response(*unauthorized())
        if kind == "duplicate":
            return sandbox.json_response(*problem(403, "Forbidden", DUPLICATE_DETAIL))
        if kind == "forbidden":
            return sandbox.json_response(
                *problem(403, "Forbidden", "You are not permitted to perform this action.")
            )
        return None  # "timeout": the handler runs, the core holds the answer

    # -- control: a citizen replies, X notifies -------------------------------------------

    @sandbox.route("_sandbox", "/_sandbox/x/comments", ("POST",))
    def citizen_reply(request):
        data = request.get_json(force=True)
        parent = tweets().get(str(data.get("tweet_id", "")))
        if parent is None:
            return 404, {"error": f"no X post {data.get('tweet_id')}"}
        username = str(data.get("author") or "citoyen")
        with sandbox.lock:
            author = next((u for u in users().values() if u["username"] == username), None)
            if author is None:
                author = ensure_user(
                    sandbox.new_id(), data.get("author_name") or username.title(), username
                )
            reply = new_tweet(author, data["text"], reply_to=parent, reply_settings="everyone")
        owner = ensure_user(parent["author_id"])
        created = reply["created_at"]
        event = {
            "created_at": v1_created_at(created),
            "id": int(reply["id"]),
            "id_str": reply["id"],
            "text": display_text(reply["text"]),
            "in_reply_to_status_id": int(parent["id"]),
            "in_reply_to_status_id_str": parent["id"],
            "in_reply_to_user_id": int(owner["id"]),
            "in_reply_to_user_id_str": owner["id"],
            "in_reply_to_screen_name": owner["username"],
            "user": {
                "id": int(author["id"]),
                "id_str": author["id"],
                "name": author["name"],
                "screen_name": author["username"],
            },
            "entities": {
                "user_mentions": [
                    {"id_str": owner["id"], "screen_name": owner["username"], "name": owner["name"]}
                ]
            },
            "timestamp_ms": str(int(parse_stamp(created).timestamp() * 1000)),
        }
        payload = {"for_user_id": owner["id"], "tweet_create_events": [event]}
        body = sandbox.webhook_body(payload)
        status = sandbox.deliver_webhook(
            NETWORK,
            payload,
            {"x-twitter-webhooks-signature": signature(sandbox.secrets.get(NETWORK, ""), body)},
        )
        fields = {"author_id", "created_at", "conversation_id", "in_reply_to_user_id"}
        return 201, {
            "data": shown(reply, fields | {"referenced_tweets"}),
            "webhook_status": status,
        }
