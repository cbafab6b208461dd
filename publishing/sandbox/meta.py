"""The sandbox's Graph API for Facebook Pages and Instagram (under /graph/<version>/).

Nodes live in `bucket("graph", "objects")` (id → fields, with an "owner" network): other
parts (WhatsApp's phone numbers) add theirs. Unknown Page or Instagram user ids are
created on first use, so any demo id works. Instagram containers are FINISHED unless
the fault `instagram_in_progress` or `instagram_error` was injected on the container's
creation (`sandbox.inject("instagram", "instagram_error", path="/media")`).
"""

import hashlib
import hmac
import html
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from .core import Sandbox

QUOTA_TOTAL = 50  # Instagram: 50 API-published posts per 24 hours
INSTAGRAM_EDGES = {"media", "media_publish", "content_publishing_limit", "replies"}
DEMO_PAGES = (
    {"id": "104001", "name": "Ville de Bourg-sur-Lac", "instagram": ("178401", "bourgsurlac")},
    {"id": "104002", "name": "Médiathèque de Bourg-sur-Lac", "instagram": None},
)


def graph_error(status, message, code, kind="OAuthException", subcode=None, headers=None):
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "SandboxTrace"}
    if subcode:
        error["error_subcode"] = subcode
    return Sandbox.json_response(status, {"error": error}, headers)


class _Objects:
    """The Graph nodes of the sandbox's current state (a reset replaces the bucket)."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox

    def __getattr__(self, name):
        return getattr(self.sandbox.bucket("graph", "objects"), name)

    def __getitem__(self, key):
        return self.sandbox.bucket("graph", "objects")[key]

    def __setitem__(self, key, value):
        self.sandbox.bucket("graph", "objects")[key] = value


def register(sandbox: Sandbox) -> None:
    objects = _Objects(sandbox)

    def obj(node: str, owner: str = "facebook") -> dict:
        with sandbox.lock:
            return objects.setdefault(node, {"id": node, "owner": owner})

    def fields(request) -> dict:
        return {**request.args.to_dict(), **request.form.to_dict()}

    def owner_of(request, values) -> str:
        edge = values.get("edge", "")
        if edge in INSTAGRAM_EDGES:
            return "instagram"
        node = objects.get(values.get("node", ""))
        return node["owner"] if node else "facebook"

    for network in ("facebook", "instagram"):

        @sandbox.fault_renderer(network)
        def render(kind, request):
            if kind == "server_error":
                return graph_error(500, "An unexpected error has occurred.", 2, "OAuthException")
            if kind == "rate_limited":
                usage = json.dumps({"call_count": 100, "estimated_time_to_regain_access": 7})
                return graph_error(
                    400,
                    "(#4) Application request limit reached",
                    4,
                    headers={"X-App-Usage": usage},
                )
            if kind == "expired_token":
                return graph_error(
                    400, "Error validating access token: Session has expired.", 190, subcode=463
                )
            if kind == "duplicate":
                return graph_error(400, "Duplicate status message", 506, "OAuthException")
            return None  # timeout, and the Instagram container kinds, play out in handlers

    @sandbox.route(owner_of, "/graph/<version>/<node>", ("GET", "POST", "DELETE"))
    def node(request, version, node):
        item = objects.get(node)
        if item is None:
            return graph_error(
                400, f"Unsupported get request. Object with ID '{node}' does not exist", 100
            )
        if request.method == "DELETE":
            item["deleted"] = True
            return 200, {"success": True}
        if request.method == "POST":
            data = fields(request)
            if "is_hidden" in data:
                item["is_hidden"] = data["is_hidden"] == "true"
            if "hide" in data:
                item["hidden"] = data["hide"] == "true"
            return 200, {"success": True}
        if item.get("kind") == "container":
            state = item.get("state", "FINISHED")
            answer = {"id": node, "status_code": state}
            if state == "ERROR":
                answer["status"] = "Error: Media upload has failed with error code 2207026"
            return 200, answer
        wanted = request.args.get("fields", "")
        public = {k: v for k, v in item.items() if k not in ("owner", "kind")}
        if wanted:
            keep = {f.split("{")[0].split(".")[0] for f in wanted.split(",")} | {"id"}
            public = {k: v for k, v in public.items() if k in keep}
        return 200, public

    @sandbox.route(owner_of, "/graph/<version>/<node>/<edge>", ("GET", "POST"))
    def edge(request, version, node, edge):
        data = fields(request)
        parent = obj(node, "instagram" if edge in INSTAGRAM_EDGES else "facebook")
        if request.method == "GET":
            return 200, {"data": _list(objects, node, edge)}
        if edge == "feed":
            with sandbox.lock:
                for other in objects.values():
                    if (
                        other.get("kind") == "post"
                        and other.get("parent") == node
                        and other.get("message") == data.get("message")
                        and data.get("message")
                    ):
                        return graph_error(400, "Duplicate status message", 506)
            post_id = f"{node}_{sandbox.new_id()}"
            objects[post_id] = {
                "id": post_id,
                "owner": "facebook",
                "kind": "post",
                "parent": node,
                "message": data.get("message", ""),
                "created_time": datetime.now(UTC).isoformat(),
            }
            return 200, {"id": post_id}
        if edge == "photos":
            photo = sandbox.new_id()
            objects[photo] = {"id": photo, "owner": "facebook", "kind": "photo", "parent": node}
            answer = {"id": photo}
            if data.get("published", "true") != "false":
                answer["post_id"] = f"{node}_{photo}"
            return 200, answer
        if edge == "videos":
            video = sandbox.new_id()
            objects[video] = {"id": video, "owner": "facebook", "kind": "video", "parent": node}
            return 200, {"id": video}
        if edge in ("comments", "replies"):
            comment = f"{node}_{sandbox.new_id()}"
            objects[comment] = {
                "id": comment,
                "owner": parent["owner"],
                "kind": "comment",
                "parent": node,
                "message": data.get("message", ""),
            }
            return 200, {"id": comment}
        if edge == "media":
            if not (data.get("image_url") or data.get("video_url") or data.get("children")):
                return graph_error(400, "The parameter image_url is required.", 100)
            container = sandbox.new_id()
            fault = request.environ.get("sandbox.fault", "")
            state = {"instagram_in_progress": "IN_PROGRESS", "instagram_error": "ERROR"}.get(
                fault, "FINISHED"
            )
            objects[container] = {
                "id": container,
                "owner": "instagram",
                "kind": "container",
                "parent": node,
                "state": state,
                "caption": data.get("caption", ""),
            }
            return 200, {"id": container}
        if edge == "media_publish":
            container = objects.get(data.get("creation_id", ""))
            if not container or container.get("kind") != "container":
                return graph_error(400, "Invalid creation_id", 100)
            if container.get("state") != "FINISHED":
                return graph_error(400, "Media ID is not available", 9007, subcode=2207027)
            published = [t for t in parent.get("published_at", []) if t > time.time() - 86400]
            if len(published) >= QUOTA_TOTAL:
                return graph_error(400, "Application request limit reached", 4)
            parent["published_at"] = [*published, time.time()]
            media = sandbox.new_id()
            objects[media] = {
                "id": media,
                "owner": "instagram",
                "kind": "media",
                "parent": node,
                "caption": container.get("caption", ""),
                "timestamp": datetime.now(UTC).isoformat(),
            }
            container["state"] = "PUBLISHED"
            return 200, {"id": media}
        return graph_error(400, f"Unknown edge {edge} on {node}", 100)

    def _list(objects, node, edge):
        if edge == "content_publishing_limit":
            recent = list(obj(node, "instagram").get("published_at", []))
            used = len([t for t in recent if t > time.time() - 86400])
            return [
                {
                    "quota_usage": used,
                    "config": {"quota_total": QUOTA_TOTAL, "quota_duration": 86400},
                }
            ]
        kind = {
            "feed": "post",
            "published_posts": "post",
            "comments": "comment",
            "replies": "comment",
            "media": "media",
        }.get(edge)
        return [
            {k: v for k, v in item.items() if k not in ("owner", "kind", "parent")}
            for item in list(objects.values())
            if item.get("kind") == kind and item.get("parent") == node
        ]

    @sandbox.route("facebook", "/graph/<version>/me/accounts", ("GET",))
    def me_accounts(request, version):
        pages = []
        for page in DEMO_PAGES:
            obj(page["id"])["name"] = page["name"]
            entry = {
                "id": page["id"],
                "name": page["name"],
                "access_token": f"sandbox-page-{page['id']}",
            }
            if page["instagram"]:
                ig_id, username = page["instagram"]
                obj(ig_id, "instagram")["username"] = username
                entry["instagram_business_account"] = {"id": ig_id, "username": username}
            pages.append(entry)
        return 200, {"data": pages}

    @sandbox.route("facebook", "/graph/<version>/oauth/access_token", ("GET",))
    def access_token(request, version):
        if not request.args.get("client_secret"):
            return graph_error(400, "Missing client_secret parameter.", 101)
        if request.args.get("grant_type") == "fb_exchange_token":
            return 200, {
                "access_token": "sandbox-long-" + sandbox.new_id(),
                "token_type": "bearer",
                "expires_in": 5_184_000,
            }
        if not request.args.get("code"):
            return graph_error(400, "Missing code parameter.", 100)
        return 200, {"access_token": "sandbox-short-" + sandbox.new_id(), "token_type": "bearer"}

    @sandbox.route("facebook", "/graph/oauth", ("GET", "POST"))
    def consent(request):
        data = request.values
        if request.method == "POST":
            query = urlencode(
                {"code": "sandbox-code-" + sandbox.new_id(), "state": data.get("state", "")}
            )
            return Response(status=302, headers={"Location": f"{data.get('redirect_uri')}?{query}"})
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in data.items()
        )
        page = (
            '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Meta (bac à sable)</title>'
            "<h1>Meta — bac à sable</h1><p>Crieur demande à publier sur vos Pages Facebook et "
            "comptes Instagram.</p>"
            f'<form method="post">{hidden}<button type="submit">Autoriser</button></form></html>'
        )
        return Response(page, mimetype="text/html")

    @sandbox.route("_sandbox", "/_sandbox/meta/comments", ("POST",))
    def citizen_comment(request):
        data = request.get_json(force=True)
        target = objects.get(data["object_id"])
        if target is None:
            return 404, {"error": "no such object"}
        comment = f"{data['object_id']}_{sandbox.new_id()}"
        objects[comment] = {
            "id": comment,
            "owner": target["owner"],
            "kind": "comment",
            "parent": data["object_id"],
            "message": data["text"],
            "from": {"id": "9" + sandbox.new_id(), "name": data.get("author", "Habitant")},
        }
        if target["owner"] == "instagram":
            payload = {
                "object": "instagram",
                "entry": [
                    {
                        "id": target.get("parent", ""),
                        "time": int(time.time()),
                        "changes": [
                            {
                                "field": "comments",
                                "value": {
                                    "id": comment,
                                    "text": data["text"],
                                    "from": {"id": "9", "username": data.get("author", "habitant")},
                                    "media": {"id": data["object_id"]},
                                },
                            }
                        ],
                    }
                ],
            }
        else:
            payload = {
                "object": "page",
                "entry": [
                    {
                        "id": target.get("parent", ""),
                        "time": int(time.time()),
                        "changes": [
                            {
                                "field": "feed",
                                "value": {
                                    "item": "comment",
                                    "verb": "add",
                                    "comment_id": comment,
                                    "post_id": data["object_id"],
                                    "parent_id": data["object_id"],
                                    "message": data["text"],
                                    "from": {"id": "9", "name": data.get("author", "Habitant")},
                                    "created_time": int(time.time()),
                                },
                            }
                        ],
                    }
                ],
            }
        body = sandbox.webhook_body(payload)
        secret = sandbox.secrets.get("meta", "")
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        sandbox.deliver_webhook("meta", payload, {"X-Hub-Signature-256": signature})
        return 201, {"id": comment}
