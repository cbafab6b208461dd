"""Facebook Pages through Meta's official SDK (`facebook-business`): feed posts, photos
with their alt text, several photos in one post, videos, the first comment.

`account.remote_id` is the Page id; `credentials["access_token"]` the Page token.
"""

from datetime import datetime

from . import meta
from .base import Inbound, Metrics, RemoteRef
from .common import NetworkBase


def _token(account) -> str:
    return (account.credentials or {}).get("access_token", "")


class FacebookNetwork(NetworkBase):
    name = "facebook"

    def _call(self, account, method, path, params=None):
        return meta.call(self.name, _token(account), method, path, params)

    def publish(self, variant, *, key, done_parts=(), on_part=None) -> RemoteRef:
        account = variant.account
        out = self.outgoing(variant)
        done = list(done_parts)
        if done:
            post_id = done[0]
        else:
            post_id = self._post(account, out)
            if on_part:
                on_part(post_id)
        parts = list(done[1:])
        if out.first_comment and not parts:
            comment = self._call(
                account, "POST", (post_id, "comments"), {"message": out.first_comment}
            )
            parts.append(comment["id"])
            if on_part:
                on_part(comment["id"])
        return RemoteRef(
            network=self.name,
            id=post_id,
            url=f"https://www.facebook.com/{post_id}",
            parts=tuple(parts),
        )

    def _post(self, account, out) -> str:
        page = account.remote_id
        if out.video is not None:
            answer = self._call(
                account,
                "POST",
                (page, "videos"),
                {"file_url": out.video.url, "description": out.text},
            )
            return answer["id"]
        photo_ids = []
        for image in out.images:
            answer = self._call(
                account,
                "POST",
                (page, "photos"),
                {"url": image.url, "published": "false", "alt_text_custom": image.alt_text},
            )
            photo_ids.append(answer["id"])
        params = {"message": out.text}
        if out.link and not photo_ids:
            params["link"] = out.link
        for index, photo in enumerate(photo_ids):
            params[f"attached_media[{index}]"] = {"media_fbid": photo}
        return self._call(account, "POST", (page, "feed"), params)["id"]

    def delete(self, ref, *, account) -> None:
        self._call(account, "DELETE", (ref.id,))

    def fetch_replies(self, account, since: datetime | None) -> list[Inbound]:
        params = {"fields": "id,message,from,created_time,parent{id}", "filter": "stream"}
        if since:
            params["since"] = int(since.timestamp())
        posts = self._call(account, "GET", (account.remote_id, "published_posts"), {"fields": "id"})
        inbound = []
        for post in posts.get("data", []):
            comments = self._call(account, "GET", (post["id"], "comments"), params)
            for comment in comments.get("data", []):
                author = comment.get("from", {})
                parent = (comment.get("parent") or {}).get("id")
                inbound.append(
                    Inbound(
                        network=self.name,
                        remote_id=comment["id"],
                        kind="reply" if parent else "comment",
                        text=comment.get("message", ""),
                        author_id=str(author.get("id", "")),
                        author_name=author.get("name", ""),
                        created_at=meta._when(comment.get("created_time")),
                        in_reply_to=parent or post["id"],
                        raw=comment,
                    )
                )
        return inbound

    def reply(self, inbound, text: str, *, account) -> RemoteRef:
        answer = self._call(account, "POST", (inbound.remote_id, "comments"), {"message": text})
        return RemoteRef(network=self.name, id=answer["id"])

    def hide(self, inbound, *, account) -> None:
        self._call(account, "POST", (inbound.remote_id,), {"is_hidden": "true"})

    def metrics(self, ref, *, account) -> Metrics:
        answer = self._call(
            account,
            "GET",
            (ref.id,),
            {"fields": "shares,reactions.summary(true),comments.summary(true)"},
        )
        return Metrics(
            reactions=answer.get("reactions", {}).get("summary", {}).get("total_count"),
            comments=answer.get("comments", {}).get("summary", {}).get("total_count"),
            shares=answer.get("shares", {}).get("count"),
            raw=answer,
        )

    def find_recent(self, account, *, text: str, since: datetime) -> RemoteRef | None:
        answer = self._call(
            account,
            "GET",
            (account.remote_id, "published_posts"),
            {"fields": "id,message,created_time", "since": int(since.timestamp())},
        )
        for post in answer.get("data", []):
            if post.get("message", "").strip() == text.strip():
                return RemoteRef(network=self.name, id=post["id"])
        return None

    def verify_webhook(self, body: bytes, headers: dict) -> bool:
        return meta.verify_webhook(body, headers)

    def parse_webhook(self, payload: dict) -> list[Inbound]:
        return meta.parse_webhook(payload)

    def authorization_url(self, *, redirect_uri, state, code_challenge) -> str:
        return meta.authorization_url(
            redirect_uri=redirect_uri, state=state, code_challenge=code_challenge
        )

    def connect(self, *, code, redirect_uri, code_verifier):
        return meta.connect(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)

    def refresh(self, account):
        return meta.refresh(account)


NETWORK = FacebookNetwork()
