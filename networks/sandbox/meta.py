"""The sandbox's Graph API for Facebook Pages and Instagram (under /graph/<version>/).

Nodes live in `bucket("graph", "objects")` (id → fields, with an "owner" network and a
"kind"); other parts (WhatsApp's phone numbers) add theirs, and the node route here
answers for all of them. Unknown Page or Instagram user ids are created on first use,
so any demo id works. Requests are recorded under "instagram" when the path is an
Instagram edge or node, else under "facebook".

Instagram containers are FINISHED unless a fault says otherwise. The container kinds
apply to the container created by the faulted request, so inject them on the
container's creation: `sandbox.inject("instagram", "instagram_error", path="/media",
method="POST")`. Kinds: `instagram_in_progress` (stays IN_PROGRESS), `instagram_error`
(goes to ERROR), `instagram_expired` (EXPIRED), `instagram_slow` (IN_PROGRESS for its
first two status reads, then FINISHED). A carousel takes the worst state of its
children.
"""

import base64
import hashlib
import hmac
import html
import json
import re
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from .core import Sandbox, bearer_token

QUOTA_TOTAL = 50  # Instagram: 50 API-published posts per rolling 24 hours (docs, 2025)
QUOTA_SECONDS = 86_400
VERSION = re.compile(r"v\d+\.\d+")
INSTAGRAM_EDGES = {"media", "media_publish", "content_publishing_limit", "replies"}
SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CONTAINER_FAULTS = {
    "instagram_in_progress": "IN_PROGRESS",
    "instagram_error": "ERROR",
    "instagram_expired": "EXPIRED",
    "instagram_slow": "SLOW",
}
CONTAINER_ERROR = "Error: Media upload has failed with error code 2207052"
HIDDEN = {"owner", "kind", "parent", "parent_ref", "post", "deleted", "published_at", "slow"}
DEMO_PAGES = (
    {"id": "104001", "name": "Ville de Bourg-sur-Lac", "instagram": ("178401", "bourgsurlac")},
    {"id": "104002", "name": "Médiathèque de Bourg-sur-Lac", "instagram": None},
)
SANDBOX_USER = {"id": "900001", "name": "Camille Martin (bac à sable)"}


def graph_error(status, message, code, subcode=None, kind="OAuthException", headers=None):
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "SandboxTrace"}
    if subcode:
        error["error_subcode"] = subcode
    if code in (1, 2):
        error["is_transient"] = True
    return Sandbox.json_response(status, {"error": error}, headers)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def split_fields(spec: str) -> list[str]:
    """Top-level names of a Graph `fields` list ("a,b.summary(x),c{d,e}" → a, b, c)."""
    names, depth, current = [], 0, ""
    for char in spec:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [n.strip() for n in names if n.strip()]


def field_name(spec: str) -> str:
    return re.split(r"[.{(]", spec, maxsplit=1)[0]


def shortcode(media_id: str) -> str:
    """Instagram's shortcode of a media, as in its permalink: the media's number written
    in base 64 with the alphabet A-Z a-z 0-9 - _."""
    number = int(media_id) if str(media_id).isdigit() else int.from_bytes(media_id.encode())
    code = ""
    while True:
        number, digit = divmod(number, 64)
        code = SHORTCODE_ALPHABET[digit] + code
        if not number:
            return code


def register(sandbox: Sandbox) -> None:
    def objects() -> dict:
        return sandbox.bucket("graph", "objects")

    def node_of(node: str, kind: str, owner: str) -> dict:
        """A Page or an Instagram user, created on first use."""
        with sandbox.lock:
            return objects().setdefault(node, {"id": node, "owner": owner, "kind": kind})

    def live(node: str) -> dict | None:
        item = objects().get(node)
        return None if item is None or item.get("deleted") else item

    def params(request) -> dict:
        return {**request.args.to_dict(), **request.form.to_dict()}

    def owner_of(request, values) -> str:
        if values.get("edge") in INSTAGRAM_EDGES:
            return "instagram"
        item = objects().get(values.get("node", ""))
        return item["owner"] if item else "facebook"

    def missing(node: str) -> Response:
        return graph_error(
            400,
            f"Unsupported get request. Object with ID '{node}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation.",
            100,
            33,
        )

    def token_problem(request) -> Response | None:
        """Any non-empty token works; a wrong appsecret_proof does not."""
        token = (
            request.args.get("access_token")
            or request.form.get("access_token")
            or bearer_token(request)
        )
        if not token:
            return graph_error(400, "An access token is required to request this resource.", 104)
        proof = request.args.get("appsecret_proof") or request.form.get("appsecret_proof")
        secret = sandbox.secrets.get("meta", "")
        if proof and secret:
            expected = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof, expected):
                return graph_error(400, "Invalid appsecret_proof provided in the API argument", 100)
        return None

    def bad_version(version: str) -> Response | None:
        if VERSION.fullmatch(version):
            return None
        return graph_error(400, f"Unknown path components: /{version}", 2500)

    # -- faults --------------------------------------------------------------------------

    def usage(node: str, kind: str, minutes: int) -> str:
        entry = {
            "type": kind,
            "call_count": 100,
            "total_cputime": 34,
            "total_time": 41,
            "estimated_time_to_regain_access": minutes,
        }
        return json.dumps({node or "0": [entry]})

    def page_in(request) -> str:
        parts = request.path.split("/")
        return parts[3] if len(parts) > 3 else ""

    def render(network: str):
        def renderer(kind, request):
            if kind == "server_error":
                return graph_error(500, "An unexpected error has occurred. Please retry.", 2)
            if kind == "rate_limited":
                node = page_in(request)
                if network == "instagram":
                    # Instagram: Business Use Case limit, HTTP 429 with both headers.
                    headers = {
                        "X-App-Usage": json.dumps(
                            {"call_count": 100, "total_cputime": 20, "total_time": 25}
                        ),
                        "X-Business-Use-Case-Usage": usage(node, "instagram", 12),
                    }
                    return graph_error(
                        429, "(#4) Application request limit reached", 4, None, headers=headers
                    )
                headers = {"X-Business-Use-Case-Usage": usage(node, "pages", 7)}
                return graph_error(400, "(#32) Page request limit reached", 32, headers=headers)
            if kind == "expired_token":
                return graph_error(
                    400,
                    "Error validating access token: Session has expired on Monday, "
                    "05-Jan-26 10:00:00 PST.",
                    190,
                    463,
                )
            if kind == "duplicate":
                return graph_error(400, "Duplicate status message", 506)
            return None  # timeout, and the container kinds, play out in the handlers

        return renderer

    for network in ("facebook", "instagram"):
        sandbox.fault_renderer(network)(render(network))

    # -- reading nodes ---------------------------------------------------------------------

    def comments_under(node: str, stream: bool = False) -> list[dict]:
        """Comments on `node`; with `stream`, also the replies to them (Page posts)."""
        found = [
            item
            for item in list(objects().values())
            if item.get("kind") == "comment"
            and not item.get("deleted")
            and node in (item.get("parent"), item.get("post") if stream else None)
        ]
        return sorted(found, key=lambda c: c.get("at", 0))

    def container_state(item: dict) -> str:
        state = item.get("status_code", "FINISHED")
        if state == "SLOW":
            item["slow"] = item.get("slow", 0) + 1
            if item["slow"] > 2:
                item["status_code"] = state = "FINISHED"
            else:
                return "IN_PROGRESS"
        if item.get("children"):
            states = [container_state(objects().get(c, {})) for c in item["children"]]
            for worse in ("ERROR", "EXPIRED", "IN_PROGRESS"):
                if worse in states and state == "FINISHED":
                    return worse
        return state

    def view(item: dict, spec: str = "") -> dict:
        """An object as the Graph shows it, with the fields asked for."""
        kind = item.get("kind")
        public = {k: v for k, v in item.items() if k not in HIDDEN and k != "at"}
        if kind == "container":
            state = container_state(item)
            public["status_code"] = state
            public["status"] = CONTAINER_ERROR if state == "ERROR" else state
        if not spec:
            return public
        # An object stored without an id (a test's malformed item) is shown without one.
        answer = {"id": item["id"]} if "id" in item else {}
        for wanted in split_fields(spec):
            name = field_name(wanted)
            if name == "comments" and kind in ("post", "photo", "video", "media"):
                comments = comments_under(item["id"])
                answer[name] = {"data": [], "summary": {"total_count": len(comments)}}
            elif name == "reactions":
                total = item.get("reaction_count", 0)
                answer[name] = {"data": [], "summary": {"total_count": total}}
            elif name == "shares":
                answer[name] = {"count": item.get("share_count", 0)}
            elif name == "comments_count":
                answer[name] = len(comments_under(item["id"]))
            elif name == "replies" and kind == "comment":
                inner = wanted[wanted.find("{") + 1 : -1] if "{" in wanted else ""
                replies = comments_under(item["id"]) if "id" in item else []
                answer[name] = {"data": [view(c, inner) for c in replies]}
            elif name == "parent" and item.get("parent_ref"):
                answer[name] = {"id": item["parent_ref"]}
            elif name in public:
                answer[name] = public[name]
        return answer

    @sandbox.route(owner_of, "/graph/<version>/<node>", ("GET", "POST", "DELETE"))
    def node(request, version, node):
        problem = bad_version(version) or token_problem(request)
        if problem:
            return problem
        item = live(node)
        if item is None:
            return missing(node)
        data = params(request)
        if request.method == "DELETE":
            if item.get("kind") == "media":
                return graph_error(400, "Unsupported delete request.", 100)
            item["deleted"] = True
            for comment in comments_under(node, stream=True):
                comment["deleted"] = True
            return 200, {"success": True}
        if request.method == "POST":
            if "is_hidden" in data:  # a Page comment
                item["is_hidden"] = data["is_hidden"] == "true"
            if "hide" in data:  # an Instagram comment
                item["hidden"] = data["hide"] == "true"
            if "message" in data and item.get("kind") in ("post", "comment"):
                item["message"] = data["message"]
            return 200, {"success": True}
        return 200, view(item, request.args.get("fields", ""))

    # -- edges -------------------------------------------------------------------------------

    def since_filter(request, items: list[dict]) -> list[dict]:
        since = request.args.get("since")
        if not since:
            return items
        return [i for i in items if i.get("at", 0) >= int(since)]

    def listing(request, node: str, edge: str) -> dict:
        spec = request.args.get("fields", "")
        if edge == "content_publishing_limit":
            user = node_of(node, "ig_user", "instagram")
            recent = [t for t in user.get("published_at", []) if t > time.time() - QUOTA_SECONDS]
            entry = {
                "quota_usage": len(recent),
                "config": {"quota_total": QUOTA_TOTAL, "quota_duration": QUOTA_SECONDS},
            }
            return {"data": [entry]}
        if edge in ("feed", "published_posts"):
            node_of(node, "page", "facebook")
            kinds = ("post",)
        elif edge == "media":
            node_of(node, "ig_user", "instagram")
            kinds = ("media",)
        elif edge in ("comments", "replies"):
            if live(node) is None:
                return None
            stream = request.args.get("filter") == "stream"
            found = since_filter(request, comments_under(node, stream))
            return {"data": [view(c, spec) for c in found]}
        else:
            return {"data": []}
        found = [
            item
            for item in list(objects().values())
            if item.get("kind") in kinds and item.get("parent") == node and not item.get("deleted")
        ]
        found = since_filter(request, sorted(found, key=lambda i: -i.get("at", 0)))
        limit = int(request.args.get("limit") or 25)
        return {"data": [view(i, spec) for i in found[:limit]]}

    def new_object(**fields) -> dict:
        item = {"at": time.time(), **fields}
        objects()[item["id"]] = item
        return item

    def create_post(node: str, message: str, **extra) -> dict:
        with sandbox.lock:
            for other in list(objects().values()):
                if (
                    message
                    and other.get("kind") == "post"
                    and other.get("parent") == node
                    and other.get("message") == message
                    and not other.get("deleted")
                    and other.get("at", 0) > time.time() - 86_400
                ):
                    return None
            return new_object(
                id=f"{node}_{sandbox.new_id()}",
                owner="facebook",
                kind="post",
                parent=node,
                message=message,
                created_time=now_iso(),
                **extra,
            )

    def duplicate() -> Response:
        return graph_error(400, "Duplicate status message", 506)

    def publish_to_page(request, node: str, edge: str, data: dict):
        node_of(node, "page", "facebook")
        if edge == "feed":
            media = []
            for key in sorted(k for k in data if k.startswith("attached_media[")):
                fbid = json.loads(data[key]).get("media_fbid", "")
                photo = objects().get(fbid)
                if not photo or photo.get("kind") != "photo" or photo.get("parent") != node:
                    return graph_error(400, f"Invalid media_fbid {fbid}", 100)
                media.append(fbid)
            if not (data.get("message") or data.get("link") or media):
                return graph_error(400, "(#100) Missing message or attachment", 100)
            post = create_post(
                node, data.get("message", ""), link=data.get("link", ""), attached_media=media
            )
            if post is None:
                return duplicate()
            for fbid in media:
                objects()[fbid]["published"] = True
            return 200, {"id": post["id"]}
        if edge == "photos":
            if not data.get("url"):
                return graph_error(400, "(#324) Requires upload file", 324)
            photo = new_object(
                id=sandbox.new_id(),
                owner="facebook",
                kind="photo",
                parent=node,
                url=data["url"],
                alt_text_custom=data.get("alt_text_custom", ""),
                published=data.get("published", "true") != "false",
            )
            if not photo["published"]:
                return 200, {"id": photo["id"]}
            post = create_post(node, data.get("message", ""), attached_media=[photo["id"]])
            if post is None:
                return duplicate()
            return 200, {"id": photo["id"], "post_id": post["id"]}
        if edge == "videos":
            if not data.get("file_url"):
                return graph_error(400, "(#100) Missing file_url", 100)
            video = new_object(
                id=sandbox.new_id(),
                owner="facebook",
                kind="video",
                parent=node,
                file_url=data["file_url"],
                description=data.get("description", ""),
            )
            create_post(node, data.get("description", ""), video=video["id"])
            return 200, {"id": video["id"]}
        return None

    def create_container(request, node: str, data: dict):
        user = node_of(node, "ig_user", "instagram")
        media_type = data.get("media_type", "IMAGE")
        children = [c for c in data.get("children", "").split(",") if c]
        if media_type == "CAROUSEL":
            if not 2 <= len(children) <= 10:
                return graph_error(400, "Carousels take 2 to 10 children", 100, 2207028)
            for child in children:
                item = objects().get(child)
                if not item or item.get("kind") != "container" or not item.get("is_carousel_item"):
                    return graph_error(400, f"Invalid child {child}", 100)
        elif media_type in ("REELS", "STORIES", "VIDEO") and data.get("video_url"):
            pass
        elif not data.get("image_url"):
            return graph_error(400, "The parameter image_url is required.", 100)
        fault = request.environ.get("sandbox.fault", "")
        container = new_object(
            id=sandbox.new_id(),
            owner="instagram",
            kind="container",
            parent=user["id"],
            media_type=media_type,
            status_code=CONTAINER_FAULTS.get(fault, "FINISHED"),
            caption=data.get("caption", ""),
            alt_text=data.get("alt_text", ""),
            image_url=data.get("image_url", ""),
            video_url=data.get("video_url", ""),
            is_carousel_item=data.get("is_carousel_item") == "true",
            children=children,
        )
        return 200, {"id": container["id"]}

    def media_publish(node: str, data: dict):
        user = node_of(node, "ig_user", "instagram")
        container = objects().get(data.get("creation_id", ""))
        if not container or container.get("kind") != "container":
            return graph_error(400, "Invalid parameter: creation_id", 100)
        state = container_state(container)
        if state == "PUBLISHED":
            return graph_error(400, "The media has already been published", 9007, 2207016)
        if state != "FINISHED":
            return graph_error(400, "Media ID is not available", 9007, 2207027)
        recent = [t for t in user.get("published_at", []) if t > time.time() - QUOTA_SECONDS]
        if len(recent) >= QUOTA_TOTAL:
            return graph_error(
                400,
                "You reached maximum number of posts that is allowed to be published by "
                "Content Publishing API.",
                9,
                2207042,
            )
        user["published_at"] = [*recent, time.time()]
        container["status_code"] = "PUBLISHED"
        media_id = sandbox.new_id()
        media = new_object(
            id=media_id,
            owner="instagram",
            kind="media",
            parent=user["id"],
            container=container["id"],
            media_type=container["media_type"],
            caption=container.get("caption", ""),
            timestamp=now_iso(),
            like_count=0,
            permalink=f"https://www.instagram.com/p/{shortcode(media_id)}/",
        )
        return 200, {"id": media["id"]}

    def create_comment(node: str, data: dict, edge: str, author: dict | None = None):
        target = live(node)
        if target is None:
            return missing(node)
        if not data.get("message"):
            return graph_error(400, "(#100) Missing message", 100)
        instagram = target["owner"] == "instagram"
        if instagram and edge == "comments" and target.get("kind") != "media":
            return graph_error(400, "Unsupported post request.", 100)
        root = target.get("post", node) if target.get("kind") == "comment" else node
        author = author or {"id": root_owner(root)}  # the Page or account itself
        comment = {
            "id": sandbox.new_id() if instagram else f"{root.split('_')[-1]}_{sandbox.new_id()}",
            "owner": target["owner"],
            "kind": "comment",
            "parent": node,
            "post": root,
        }
        if instagram:
            comment.update(
                text=data["message"],
                username=author.get("username", ""),
                timestamp=now_iso(),
                parent_id=node if target.get("kind") == "comment" else None,
                **{"from": {"id": author["id"], "username": author.get("username", "")}},
            )
            if comment["parent_id"] is None:
                comment.pop("parent_id")
        else:
            comment.update(
                message=data["message"],
                created_time=now_iso(),
                **{"from": {"id": author["id"], "name": author.get("name", "")}},
            )
            if target.get("kind") == "comment":
                comment["parent_ref"] = node
        return new_object(**comment)

    def root_owner(root: str) -> str:
        item = objects().get(root) or {}
        return str(item.get("parent", ""))

    @sandbox.route(owner_of, "/graph/<version>/<node>/<edge>", ("GET", "POST"))
    def edge(request, version, node, edge):
        problem = bad_version(version) or token_problem(request)
        if problem:
            return problem
        if request.method == "GET":
            answer = listing(request, node, edge)
            return missing(node) if answer is None else (200, answer)
        data = params(request)
        if edge in ("feed", "photos", "videos"):
            answer = publish_to_page(request, node, edge, data)
            if answer is not None:
                return answer
        if edge == "media":
            return create_container(request, node, data)
        if edge == "media_publish":
            return media_publish(node, data)
        if edge in ("comments", "replies"):
            comment = create_comment(node, data, edge)
            if isinstance(comment, Response):
                return comment
            return 200, {"id": comment["id"]}
        return graph_error(400, f"Unsupported post request: /{node}/{edge}", 100)

    # -- the user and their Pages ------------------------------------------------------------

    @sandbox.route("facebook", "/graph/<version>/me/accounts", ("GET",))
    def me_accounts(request, version):
        problem = bad_version(version) or token_problem(request)
        if problem:
            return problem
        pages = []
        for page in DEMO_PAGES:
            node_of(page["id"], "page", "facebook")["name"] = page["name"]
            entry = {
                "id": page["id"],
                "name": page["name"],
                "access_token": f"sandbox-page-{page['id']}-{sandbox.new_id()}",
                "category": "Administration publique",
                "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE"],
            }
            if page["instagram"]:
                ig_id, username = page["instagram"]
                node_of(ig_id, "ig_user", "instagram")["username"] = username
                entry["instagram_business_account"] = {"id": ig_id, "username": username}
            pages.append(entry)
        return 200, {"data": pages, "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}}

    # -- OAuth: consent page and token endpoint --------------------------------------------

    def codes() -> dict:
        return sandbox.bucket("facebook", "oauth_codes")

    @sandbox.route("facebook", "/graph/<version>/oauth/access_token", ("GET",))
    def access_token(request, version):
        problem = bad_version(version)
        if problem:
            return problem
        args = request.args
        if not args.get("client_id") or not args.get("client_secret"):
            return graph_error(400, "Missing client_id or client_secret parameter.", 101)
        expires = {"token_type": "bearer", "expires_in": 5_184_000}
        if args.get("grant_type") == "fb_exchange_token":
            if not args.get("fb_exchange_token"):
                return graph_error(400, "Missing fb_exchange_token parameter.", 100)
            return 200, {"access_token": "sandbox-long-" + sandbox.new_id(), **expires}
        grant = codes().pop(args.get("code", ""), None)
        if grant is None:
            return graph_error(400, "This authorization code has been used.", 100, 36009)
        if grant["redirect_uri"] != args.get("redirect_uri"):
            return graph_error(
                400,
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request",
                100,
                36008,
            )
        if grant["code_challenge"]:
            verifier = args.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != grant["code_challenge"]:
                return graph_error(400, "Invalid code verifier.", 100)
        return 200, {
            "access_token": "sandbox-short-" + sandbox.new_id(),
            "token_type": "bearer",
            "expires_in": 3600,
        }

    @sandbox.route("facebook", "/graph/oauth", ("GET", "POST"))
    def consent(request):
        data = request.values
        if not data.get("client_id") or not data.get("redirect_uri"):
            return Response(
                '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Erreur</title>'
                "<p>Il manque l'identifiant de l'application ou l'adresse de retour.</p></html>",
                status=400,
                mimetype="text/html",
            )
        if request.method == "POST":
            code = "sandbox-code-" + sandbox.new_id()
            codes()[code] = {
                "redirect_uri": data["redirect_uri"],
                "code_challenge": data.get("code_challenge", ""),
            }
            query = urlencode({"code": code, "state": data.get("state", "")})
            separator = "&" if "?" in data["redirect_uri"] else "?"
            return Response(
                status=302, headers={"Location": f"{data['redirect_uri']}{separator}{query}"}
            )
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in data.items()
        )
        scopes = "".join(
            f"<li>{html.escape(s)}</li>" for s in data.get("scope", "").split(",") if s
        )
        page = (
            '<!doctype html><html lang="fr"><meta charset="utf-8">'
            "<title>Meta — bac à sable</title>"
            "<h1>Connexion à Meta (bac à sable)</h1>"
            f"<p>{html.escape(SANDBOX_USER['name'])} : Crieur demande à publier sur vos Pages "
            "Facebook et vos comptes Instagram professionnels, et à modérer leurs "
            f"commentaires.</p><ul>{scopes}</ul>"
            f'<form method="post">{hidden}<button type="submit">Autoriser</button></form>'
            "</html>"
        )
        return Response(page, mimetype="text/html")

    # -- control: a citizen comments ------------------------------------------------------

    @sandbox.route("_sandbox", "/_sandbox/meta/comments", ("POST",))
    def citizen_comment(request):
        data = request.get_json(force=True)
        target = live(str(data.get("object_id", "")))
        if target is None or not data.get("text"):
            return 404, {"error": "no such object, or no text"}
        author_name = data.get("author") or "Habitant"
        username = re.sub(r"\W+", ".", author_name.lower()).strip(".") or "habitant"
        author = {"id": "9" + sandbox.new_id(), "name": author_name, "username": username}
        comment = create_comment(target["id"], {"message": data["text"]}, "comments", author)
        if isinstance(comment, Response):
            return comment.status_code, json.loads(comment.get_data(as_text=True))
        if target["owner"] == "instagram":
            value = {
                "id": comment["id"],
                "text": data["text"],
                "from": {"id": author["id"], "username": username},
                "media": {"id": comment["post"], "media_product_type": "FEED"},
            }
            if comment.get("parent_id"):
                value["parent_id"] = comment["parent_id"]
            owner = root_owner(comment["post"])
            payload = {
                "object": "instagram",
                "entry": [
                    {
                        "id": owner,
                        "time": int(time.time()),
                        "changes": [{"field": "comments", "value": value}],
                    }
                ],
            }
        else:
            value = {
                "from": {"id": author["id"], "name": author_name},
                "post_id": comment["post"],
                "comment_id": comment["id"],
                "parent_id": target["id"],
                "created_time": int(time.time()),
                "item": "comment",
                "verb": "add",
                "message": data["text"],
            }
            payload = {
                "object": "page",
                "entry": [
                    {
                        "id": root_owner(comment["post"]),
                        "time": int(time.time()),
                        "changes": [{"field": "feed", "value": value}],
                    }
                ],
            }
        body = sandbox.webhook_body(payload)
        secret = sandbox.secrets.get("meta", "")
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        sandbox.deliver_webhook("meta", payload, {"X-Hub-Signature-256": signature})
        return 201, {"id": comment["id"]}
