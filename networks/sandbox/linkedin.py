"""The sandbox's LinkedIn: the versioned `/rest` API of organization pages, its uploads,
OAuth 2 (3-legged) and signed organization social action webhooks.

It behaves like LinkedIn where it matters to Crieur: it refuses a call without a valid
`LinkedIn-Version`, cuts a `commentary` at its first unescaped reserved character (the
"little text format"), refuses the same text twice from one author (DUPLICATE_POST),
and answers a created post with an empty 201 and its URN in `x-restli-id`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
import time
from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from .core import bearer_token

NETWORK = "linkedin"
RESERVED = set("|{}@[]()<>#*_~\\")
# The little text format's own constructs, which may use reserved characters: a mention
# `@[Name](urn:li:organization:1)` and a hashtag template `{hashtag|\#|word}` (the
# symbol may be the full-width "＃"; the word holds no space and no reserved character).
MENTION_TEMPLATE = r"@\[[^\]\\]*\]\(urn:li:[a-zA-Z]+:[^)\s]+\)"
HASHTAG_TEMPLATE = r"\{hashtag\|\\[#＃]\|(?P<tag>[^\s|{}@\[\]()<>#*_~\\]+)\}"
TEMPLATE_RE = re.compile(f"{MENTION_TEMPLATE}|{HASHTAG_TEMPLATE}")
VERSION_RE = re.compile(r"^\d{6}(\.\d{2})?$")
VIDEO_PART_BYTES = 4 * 1024 * 1024
TOKEN_SECONDS = 60 * 24 * 3600
REFRESH_SECONDS = 365 * 24 * 3600
ORGANIZATIONS = (
    {"id": 2414183, "localizedName": "Ville de Bourg-sur-Lac", "vanityName": "bourg-sur-lac"},
    {"id": 5120448, "localizedName": "Métropole du Lac", "vanityName": "metropole-du-lac"},
)


def keep_little_text(commentary: str) -> str:
    """What LinkedIn keeps of a commentary: everything up to the first reserved character
    that is neither escaped nor part of a mention or hashtag template."""
    position = 0
    while position < len(commentary):
        template = TEMPLATE_RE.match(commentary, position)
        if template:
            position = template.end()
            continue
        char = commentary[position]
        if char == "\\" and position + 1 < len(commentary):
            if commentary[position + 1] in RESERVED:
                position += 2
                continue
            return commentary[:position]
        if char in RESERVED:
            return commentary[:position]
        position += 1
    return commentary


def little_elements(commentary: str) -> list[tuple[str, str]]:
    """A kept commentary read as LinkedIn reads it: ("text", …), ("hashtag", word) and
    ("mention", name) elements in order, escapes undone."""
    elements: list[tuple[str, str]] = []
    plain: list[str] = []
    position = 0
    while position < len(commentary):
        template = TEMPLATE_RE.match(commentary, position)
        if template:
            if plain:
                elements.append(("text", "".join(plain)))
                plain = []
            whole = template.group(0)
            if template.group("tag") is not None:
                elements.append(("hashtag", template.group("tag")))
            else:
                elements.append(("mention", whole[2 : whole.index("]")]))
            position = template.end()
            continue
        char = commentary[position]
        if char == "\\" and position + 1 < len(commentary):
            char = commentary[position + 1]
            position += 1
        plain.append(char)
        position += 1
    if plain:
        elements.append(("text", "".join(plain)))
    return elements


def shown_text(commentary: str) -> str:
    """The text LinkedIn shows for a kept commentary: a hashtag as "#word"."""
    return "".join(
        f"#{value}" if kind == "hashtag" else value for kind, value in little_elements(commentary)
    )


def hashtags_of(commentary: str) -> list[str]:
    """The hashtags LinkedIn made of a kept commentary, in order."""
    return [value for kind, value in little_elements(commentary) if kind == "hashtag"]


def signature(secret: str, body: bytes) -> str:
    """LinkedIn's `X-LI-Signature`: hex HMAC-SHA256 of "hmacsha256=" + the body."""
    return hmac.new(secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)


def error(status: int, message: str, code: str = "", **extra):
    body = {"status": status, "message": message}
    if code:
        body["code"] = code
    body.update(extra)
    return status, body


def register(sandbox) -> None:
    posts = lambda: sandbox.bucket(NETWORK, "posts")  # noqa: E731
    images = lambda: sandbox.bucket(NETWORK, "images")  # noqa: E731
    videos = lambda: sandbox.bucket(NETWORK, "videos")  # noqa: E731
    uploads = lambda: sandbox.bucket(NETWORK, "uploads")  # noqa: E731
    comments = lambda: sandbox.bucket(NETWORK, "comments")  # noqa: E731
    codes = lambda: sandbox.bucket(NETWORK, "codes")  # noqa: E731
    tokens = lambda: sandbox.bucket(NETWORK, "tokens")  # noqa: E731

    def organizations() -> dict:
        bucket = sandbox.bucket(NETWORK, "organizations")
        if not bucket:
            for organization in ORGANIZATIONS:
                bucket[str(organization["id"])] = dict(organization)
        return bucket

    def refused(request):
        """LinkedIn's answer to a call it will not serve, or None."""
        if not bearer_token(request):
            return error(
                401, "Invalid access token", "INVALID_ACCESS_TOKEN", serviceErrorCode=65600
            )
        version = request.headers.get("LinkedIn-Version", "")
        if not version:
            return error(
                400,
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
                "VERSION_MISSING",
            )
        if not VERSION_RE.match(version):
            return error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION")
        return None

    # -- posts ----------------------------------------------------------------------------

    def media_problem(media_id: str):
        store = images() if media_id.startswith("urn:li:image:") else videos()
        item = store.get(media_id)
        if item is None:
            return error(400, f"Media {media_id} does not exist", "INVALID_CONTENT")
        if item["status"] != "AVAILABLE":
            return error(400, f"Media {media_id} is not available ({item['status']})")
        return None

    @sandbox.route(NETWORK, "/linkedin/rest/posts", ("POST",))
    def create_post(request):
        problem = refused(request)
        if problem:
            return problem
        data = request.get_json(silent=True) or {}
        for field in ("author", "commentary", "visibility", "distribution", "lifecycleState"):
            if field not in data:
                return error(422, f"/{field} :: field is required but not found", "FIELD_REQUIRED")
        content = data.get("content") or {}
        multi = (content.get("multiImage") or {}).get("images") or []
        if "multiImage" in content and not 2 <= len(multi) <= 20:
            return error(422, "A multiImage post takes 2 to 20 images")
        for media in [content.get("media") or {}, *multi]:
            if media.get("id"):
                problem = media_problem(media["id"])
                if problem:
                    return problem
        author = data["author"]
        kept = keep_little_text(data["commentary"])
        with sandbox.lock:
            for urn, post in posts().items():
                if post["author"] == author and post["commentary"] == kept:
                    return error(422, f"Content is a duplicate of {urn}", "DUPLICATE_POST")
            kind = (
                "ugcPost" if "multiImage" in content or media_kind(content) == "video" else "share"
            )
            urn = f"urn:li:{kind}:{sandbox.new_id()}"
            stamp = now_ms()
            posts()[urn] = {
                **data,
                "id": urn,
                "commentary": kept,
                "received_commentary": data["commentary"],
                "createdAt": stamp,
                "publishedAt": stamp,
                "lastModifiedAt": stamp,
                "impressions": 0,
            }
        return Response(status=201, headers={"x-restli-id": urn, "Location": f"/rest/posts/{urn}"})

    def media_kind(content: dict) -> str:
        media_id = (content.get("media") or {}).get("id", "")
        return "video" if media_id.startswith("urn:li:video:") else "image"

    def public_post(post: dict) -> dict:
        return {k: v for k, v in post.items() if k not in ("received_commentary", "impressions")}

    @sandbox.route(NETWORK, "/linkedin/rest/posts", ("GET",))
    def list_posts(request):
        problem = refused(request)
        if problem:
            return problem
        if request.args.get("q") != "author":
            return error(400, "Unsupported finder", "ILLEGAL_ARGUMENT")
        author = request.args.get("author", "")
        count = int(request.args.get("count", 10))
        found = sorted(
            (p for p in posts().values() if p["author"] == author),
            key=lambda p: p["lastModifiedAt"],
            reverse=True,
        )
        elements = [public_post(p) for p in found[:count]]
        return 200, {
            "elements": elements,
            "paging": {"start": 0, "count": count, "total": len(found)},
        }

    @sandbox.route(NETWORK, "/linkedin/rest/posts/<urn>", ("GET",))
    def get_post(request, urn):
        problem = refused(request)
        if problem:
            return problem
        post = posts().get(urn)
        if post is None:
            return error(404, f"Post {urn} not found", "NOT_FOUND")
        return 200, public_post(post)

    @sandbox.route(NETWORK, "/linkedin/rest/posts/<urn>", ("DELETE",))
    def delete_post(request, urn):
        problem = refused(request)
        if problem:
            return problem
        if posts().pop(urn, None) is None:
            return error(404, f"Post {urn} not found", "NOT_FOUND")
        return Response(status=204)

    # -- images and videos ----------------------------------------------------------------

    def upload_url(request, upload_id: str) -> str:
        return f"{request.host_url.rstrip('/')}/linkedin/upload/{upload_id}"

    @sandbox.route(NETWORK, "/linkedin/rest/images", ("POST",))
    def images_action(request):
        problem = refused(request)
        if problem:
            return problem
        if request.args.get("action") != "initializeUpload":
            return error(400, "Unsupported action", "ILLEGAL_ARGUMENT")
        owner = ((request.get_json(silent=True) or {}).get("initializeUploadRequest") or {}).get(
            "owner", ""
        )
        if not owner.startswith(("urn:li:organization:", "urn:li:person:")):
            return error(422, "/initializeUploadRequest/owner :: field is required")
        urn = f"urn:li:image:D4E10AQ{sandbox.new_id()}"
        upload_id = sandbox.new_id()
        images()[urn] = {"id": urn, "owner": owner, "status": "WAITING_UPLOAD", "size": 0}
        uploads()[upload_id] = {"kind": "image", "urn": urn}
        return 200, {
            "value": {
                "uploadUrlExpiresAt": now_ms() + 3600_000,
                "uploadUrl": upload_url(request, upload_id),
                "image": urn,
            }
        }

    @sandbox.route(NETWORK, "/linkedin/rest/images/<urn>", ("GET",))
    def get_image(request, urn):
        problem = refused(request)
        if problem:
            return problem
        image = images().get(urn)
        return (200, image) if image else error(404, f"Image {urn} not found", "NOT_FOUND")

    @sandbox.route(NETWORK, "/linkedin/rest/videos", ("POST",))
    def videos_action(request):
        problem = refused(request)
        if problem:
            return problem
        data = request.get_json(silent=True) or {}
        action = request.args.get("action")
        if action == "initializeUpload":
            ask = data.get("initializeUploadRequest") or {}
            size = int(ask.get("fileSizeBytes") or 0)
            if not ask.get("owner") or size <= 0:
                return error(422, "/initializeUploadRequest :: owner and fileSizeBytes required")
            urn = f"urn:li:video:D4E10AQ{sandbox.new_id()}"
            instructions = []
            for first in range(0, size, VIDEO_PART_BYTES):
                upload_id = sandbox.new_id()
                last = min(first + VIDEO_PART_BYTES, size) - 1
                uploads()[upload_id] = {"kind": "video", "urn": urn, "first": first, "last": last}
                instructions.append(
                    {
                        "uploadUrl": upload_url(request, upload_id),
                        "firstByte": first,
                        "lastByte": last,
                    }
                )
            token = hashlib.sha256(urn.encode()).hexdigest()[:16]
            videos()[urn] = {
                "id": urn,
                "owner": ask["owner"],
                "status": "WAITING_UPLOAD",
                "size": size,
                "uploadToken": token,
                "parts": [],
            }
            return 200, {
                "value": {
                    "uploadUrlsExpireAt": now_ms() + 3600_000,
                    "video": urn,
                    "uploadInstructions": instructions,
                    "uploadToken": token,
                }
            }
        if action == "finalizeUpload":
            ask = data.get("finalizeUploadRequest") or {}
            video = videos().get(ask.get("video", ""))
            if video is None:
                return error(404, "Video not found", "NOT_FOUND")
            etags = [etag for _first, etag in sorted(video["parts"])]
            if (
                ask.get("uploadToken", "") != video["uploadToken"]
                or ask.get("uploadedPartIds") != etags
            ):
                return error(400, "Uploaded part ids do not match the upload", "INVALID_PART_IDS")
            video["status"] = "AVAILABLE"
            return 200, {}
        return error(400, "Unsupported action", "ILLEGAL_ARGUMENT")

    @sandbox.route(NETWORK, "/linkedin/rest/videos/<urn>", ("GET",))
    def get_video(request, urn):
        problem = refused(request)
        if problem:
            return problem
        video = videos().get(urn)
        if video is None:
            return error(404, f"Video {urn} not found", "NOT_FOUND")
        return 200, {k: video[k] for k in ("id", "owner", "status")}

    @sandbox.route(NETWORK, "/linkedin/upload/<upload_id>", ("PUT", "POST"))
    def upload(request, upload_id):
        target = uploads().get(upload_id)
        if target is None:
            return error(404, "Unknown upload", "NOT_FOUND")
        if target["kind"] == "image" and not bearer_token(request):
            return error(401, "Invalid access token", "INVALID_ACCESS_TOKEN")
        content = request.get_data()
        digest = hashlib.sha256(content).hexdigest()
        target.update(size=len(content), sha256=digest, content_type=request.mimetype)
        if target["kind"] == "image":
            images()[target["urn"]].update(status="AVAILABLE", size=len(content), sha256=digest)
            return Response(status=201)
        expected = target["last"] - target["first"] + 1
        if len(content) != expected:
            return error(400, f"Part must be {expected} bytes, got {len(content)}")
        etag = f"/sandbox/{digest[:24]}"
        videos()[target["urn"]]["parts"].append((target["first"], etag))
        return Response(status=200, headers={"ETag": f'"{etag}"'})

    # -- comments -------------------------------------------------------------------------

    def new_comment(target: str, data: dict) -> dict:
        comment_id = sandbox.new_id()
        thread = data.get("object") or target
        urn = f"urn:li:comment:({thread},{comment_id})"
        stamp = now_ms()
        comment = {
            "id": comment_id,
            "commentUrn": urn,
            "$URN": urn,
            "object": thread,
            "target": target,
            "actor": data["actor"],
            "message": data["message"],
            "created": {"actor": data["actor"], "time": stamp},
            "lastModified": {"actor": data["actor"], "time": stamp},
        }
        if data.get("parentComment"):
            comment["parentComment"] = data["parentComment"]
        comments()[urn] = comment
        return comment

    def with_summary(comment: dict) -> dict:
        urn = comment.get("commentUrn")  # a test's malformed comment may have none
        replies = sum(1 for c in comments().values() if urn and c.get("target") == urn)
        shown = {k: v for k, v in comment.items() if k != "target"}
        shown["commentsSummary"] = {
            "aggregatedTotalComments": replies,
            "totalFirstLevelComments": replies,
        }
        return shown

    @sandbox.route(NETWORK, "/linkedin/rest/socialActions/<target>/comments", ("POST",))
    def create_comment(request, target):
        problem = refused(request)
        if problem:
            return problem
        data = request.get_json(silent=True) or {}
        if not data.get("actor") or not (data.get("message") or {}).get("text"):
            return error(422, "/actor and /message/text are required", "FIELD_REQUIRED")
        if target.startswith("urn:li:comment:"):
            if target not in comments():
                return error(404, f"Comment {target} not found", "NOT_FOUND")
        elif target not in posts():
            return error(404, f"Post {target} not found", "NOT_FOUND")
        comment = new_comment(target, data)
        return 201, with_summary(comment), {"x-restli-id": comment["id"]}

    @sandbox.route(NETWORK, "/linkedin/rest/socialActions/<target>/comments", ("GET",))
    def list_comments(request, target):
        problem = refused(request)
        if problem:
            return problem
        found = sorted(
            (c for c in comments().values() if c["target"] == target),
            key=lambda c: c["created"]["time"],
        )
        elements = [with_summary(c) for c in found]
        return 200, {"elements": elements, "paging": {"start": 0, "count": 10, "total": len(found)}}

    # -- statistics -----------------------------------------------------------------------

    @sandbox.route(NETWORK, "/linkedin/rest/organizationalEntityShareStatistics", ("GET",))
    def share_statistics(request):
        problem = refused(request)
        if problem:
            return problem
        organization = request.args.get("organizationalEntity", "")
        if request.args.get("q") != "organizationalEntity" or not organization:
            return error(400, "q=organizationalEntity and organizationalEntity are required")
        elements = []
        for field, kind in (("shares", "share"), ("ugcPosts", "ugcPost")):
            listed = request.args.get(field, "")
            for urn in re.findall(r"urn:li:\w+:\d+", listed):
                post = posts().get(urn)
                if post is None or post["author"] != organization:
                    continue
                count = sum(1 for c in comments().values() if c["object"] == urn)
                elements.append(
                    {
                        "organizationalEntity": organization,
                        kind: urn,
                        "totalShareStatistics": {
                            "impressionCount": post["impressions"],
                            "uniqueImpressionsCount": post["impressions"],
                            "likeCount": 0,
                            "commentCount": count,
                            "shareCount": 0,
                            "clickCount": 0,
                            "engagement": 0.0,
                        },
                    }
                )
        return 200, {"elements": elements, "paging": {"start": 0, "count": 10}}

    # -- organizations --------------------------------------------------------------------

    @sandbox.route(NETWORK, "/linkedin/rest/organizationAcls", ("GET",))
    def organization_acls(request):
        problem = refused(request)
        if problem:
            return problem
        if request.args.get("q") != "roleAssignee":
            return error(400, "Unsupported finder", "ILLEGAL_ARGUMENT")
        person = tokens().get(bearer_token(request), {}).get("person", "urn:li:person:sandbox")
        elements = [
            {
                "roleAssignee": person,
                "state": "APPROVED",
                "role": "ADMINISTRATOR",
                "organization": f"urn:li:organization:{organization_id}",
            }
            for organization_id in organizations()
        ]
        return 200, {
            "elements": elements,
            "paging": {"start": 0, "count": 10, "total": len(elements)},
        }

    @sandbox.route(NETWORK, "/linkedin/rest/organizations/<organization_id>", ("GET",))
    def organization(request, organization_id):
        problem = refused(request)
        if problem:
            return problem
        found = organizations().get(organization_id)
        if found is None:
            return error(404, f"Organization {organization_id} not found", "NOT_FOUND")
        return 200, found

    # -- OAuth 2 ------------------------------------------------------------------------

    def page(status: int, title: str, body: str) -> Response:
        document = (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
            f"{body}</body></html>"
        )
        return Response(document, status=status, mimetype="text/html")

    @sandbox.route(NETWORK, "/linkedin/oauth/v2/authorization", ("GET",))
    def consent(request):
        args = request.args
        missing = [k for k in ("response_type", "client_id", "redirect_uri") if not args.get(k)]
        if missing or args.get("response_type") != "code":
            return page(
                400,
                "Demande d’autorisation invalide",
                f"<p>Paramètres manquants ou invalides : {html.escape(', '.join(missing))}</p>",
            )
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(args.get(name, ""))}">'
            for name in ("client_id", "redirect_uri", "state", "scope")
        )
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in args.get("scope", "").split())
        return page(
            200,
            "LinkedIn (bac à sable) : autoriser l’accès",
            f"<p>L’application <strong>{html.escape(args['client_id'])}</strong> demande à "
            "gérer les pages LinkedIn dont vous êtes administrateur :</p>"
            f"<ul>{scopes}</ul>"
            f'<form method="post">{hidden}<button type="submit">Autoriser</button></form>',
        )

    @sandbox.route(NETWORK, "/linkedin/oauth/v2/authorization", ("POST",))
    def consent_given(request):
        form = request.form
        redirect_uri = form.get("redirect_uri", "")
        if not redirect_uri or not form.get("client_id"):
            return page(400, "Demande d’autorisation invalide", "<p>Adresse de retour absente.</p>")
        code = f"sandbox-linkedin-code-{sandbox.new_id()}"
        codes()[code] = {
            "client_id": form["client_id"],
            "redirect_uri": redirect_uri,
            "scope": form.get("scope", ""),
        }
        separator = "&" if "?" in redirect_uri else "?"
        query = urlencode({"code": code, "state": form.get("state", "")})
        return redirect(f"{redirect_uri}{separator}{query}", code=302)

    def issue(scope: str, person: str) -> dict:
        access = f"sandbox-linkedin-token-{sandbox.new_id()}"
        refresh = f"sandbox-linkedin-refresh-{sandbox.new_id()}"
        tokens()[access] = {"person": person, "scope": scope}
        tokens()[refresh] = {"person": person, "scope": scope, "refresh": True}
        return {
            "access_token": access,
            "expires_in": TOKEN_SECONDS,
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_SECONDS,
            "scope": scope,
        }

    @sandbox.route(NETWORK, "/linkedin/oauth/v2/accessToken", ("POST",))
    def access_token(request):
        form = request.form
        if not form.get("client_id") or not form.get("client_secret"):
            return 401, {
                "error": "invalid_client",
                "error_description": "Client authentication failed",
            }
        grant = form.get("grant_type")
        if grant == "authorization_code":
            found = codes().pop(form.get("code", ""), None)
            if found is None or found["redirect_uri"] != form.get("redirect_uri"):
                return 400, {
                    "error": "invalid_request",
                    "error_description": "Unable to retrieve access token: appid/redirect uri/code "
                    "verifier does not match authorization code. Or authorization code expired.",
                }
            return 200, issue(found["scope"], f"urn:li:person:{sandbox.new_id()}")
        if grant == "refresh_token":
            found = tokens().pop(form.get("refresh_token", ""), None)
            if found is None or not found.get("refresh"):
                return 400, {
                    "error": "invalid_request",
                    "error_description": "The provided refresh token is invalid",
                }
            return 200, issue(found["scope"], found["person"])
        return 400, {"error": "unsupported_grant_type", "error_description": f"{grant}"}

    # -- faults ---------------------------------------------------------------------------

    @sandbox.fault_renderer(NETWORK)
    def render_fault(kind, request):
        if kind == "server_error":
            return sandbox.json_response(500, {"status": 500, "message": "Internal Server Error"})
        if kind == "unavailable":
            return sandbox.json_response(
                503, {"status": 503, "message": "Service Unavailable"}, {"Retry-After": "30"}
            )
        if kind == "rate_limited":
            return sandbox.json_response(
                429,
                {
                    "status": 429,
                    "message": "Resource level throttle APPLICATION DAY limit for calls to this "
                    "resource is reached.",
                },
            )
        if kind == "expired_token":
            return sandbox.json_response(
                401,
                {
                    "serviceErrorCode": 65601,
                    "code": "REVOKED_ACCESS_TOKEN",
                    "message": "The token used in the request has been revoked by the user",
                    "status": 401,
                },
            )
        if kind == "duplicate":
            data = request.get_json(silent=True) or {}
            earlier = next(
                (urn for urn, p in posts().items() if p["author"] == data.get("author")),
                f"urn:li:share:{sandbox.new_id()}",
            )
            return sandbox.json_response(
                422,
                {
                    "status": 422,
                    "code": "DUPLICATE_POST",
                    "message": f"Content is a duplicate of {earlier}",
                },
            )
        if kind == "forbidden":
            return sandbox.json_response(
                403,
                {
                    "status": 403,
                    "serviceErrorCode": 100,
                    "code": "ACCESS_DENIED",
                    "message": "Not enough permissions to access: partnerApiPostsExternal.CREATE",
                },
            )
        if kind == "version_inactive":
            version = request.headers.get("LinkedIn-Version", "")
            return sandbox.json_response(
                426,
                {
                    "status": 426,
                    "code": "NONEXISTENT_VERSION",
                    "message": f"Requested version {version} is not active",
                },
            )
        return None  # "timeout": the handler runs, the core holds the answer

    # -- control: a citizen comments, LinkedIn notifies ----------------------------------

    @sandbox.route("_sandbox", "/_sandbox/linkedin/comments", ("POST",))
    def citizen_comment(request):
        data = request.get_json(force=True)
        post_urn = data["post_urn"]
        post = posts().get(post_urn)
        if post is None:
            return 404, {"error": f"no LinkedIn post {post_urn}"}
        author = data.get("author") or f"urn:li:person:{sandbox.new_id()}"
        comment = new_comment(post_urn, {"actor": author, "message": {"text": data["text"]}})
        payload = {
            "type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
            "notifications": [
                {
                    "notificationId": int(sandbox.new_id()),
                    "organizationalEntity": post["author"],
                    "action": "COMMENT",
                    "sourcePost": post_urn,
                    "decoratedSourcePost": {
                        "entity": post_urn,
                        "owner": post["author"],
                        "text": post["commentary"],
                    },
                    "generatedActivity": comment["commentUrn"],
                    "decoratedGeneratedActivity": {
                        "comment": {
                            "entity": comment["commentUrn"],
                            "object": post_urn,
                            "owner": author,
                            "text": data["text"],
                        }
                    },
                    "lastModifiedAt": comment["created"]["time"],
                    "subscriber": "urn:li:person:sandbox",
                }
            ],
        }
        secret = sandbox.secrets.get(NETWORK, "")
        body = sandbox.webhook_body(payload)
        status = sandbox.deliver_webhook(
            NETWORK, payload, {"X-LI-Signature": signature(secret, body)}
        )
        return 201, {"comment": with_summary(comment), "webhook_status": status}
