"""Facebook Pages through Meta's official SDK (`facebook-business`): feed posts, photos
with their alt text (uploaded unpublished, then attached to one feed post, however many
there are), videos, the first comment, comments, metrics; Meta's OAuth and webhooks.

`account.remote_id` is the Page id; `credentials["access_token"]` the Page token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from . import meta
from .base import Duplicate, Inbound, Metrics, NetworkError, Outgoing, RemoteRef
from .common import NetworkBase

if TYPE_CHECKING:
    from .models import SocialAccount

POST_URL = "https://www.facebook.com/{id}"
COMMENT_FIELDS = "id,message,from{id,name},created_time,parent{id}"
RECENT_POSTS = 25  # the posts whose comments `fetch_replies` reads


def _token(account) -> str:
    return (account.credentials or {}).get("access_token", "")


def message_of(out: Outgoing) -> str:
    """The post's text; with photos (which cannot carry a link preview) the link is
    added to the text when it is not already there."""
    text = out.text
    if out.link and out.media and out.link not in text:
        text = f"{text}\n\n{out.link}" if text else out.link
    return text


class FacebookNetwork(meta.MetaAppMixin, NetworkBase):
    name = "facebook"

    def _call(self, account, method, path, params=None, *, safe=False) -> dict:
        return meta.call(
            self.name, _token(account), method, path, params, safe=safe, account_id=account.pk
        )

    # -- publishing ------------------------------------------------------------------------

    def publish(
        self,
        out: Outgoing,
        *,
        account: SocialAccount,
        key: str,
        done_parts: Sequence[str] = (),
        on_part: Callable[[str], None] | None = None,
    ) -> RemoteRef:
        """The post (feed, photos or video), then the first comment as a part. `key` has
        no place in the Graph API: a repeated text is refused as a duplicate (506)."""
        done = [str(part) for part in done_parts if part]
        if done:
            post_id = done[0]
        else:
            post_id = self._post(account, out)
            if on_part:
                on_part(post_id)
        parts = done[1:]
        if out.first_comment and not parts:
            answer = self._call(
                account, "POST", (post_id, "comments"), {"message": out.first_comment}
            )
            comment_id = meta.created_id(answer, self.name)
            parts.append(comment_id)
            if on_part:
                on_part(comment_id)
        return RemoteRef(
            network=self.name, id=post_id, url=POST_URL.format(id=post_id), parts=tuple(parts)
        )

    def _post(self, account, out) -> str:
        try:
            return self._send(account, out)
        except Duplicate as error:
            raise Duplicate(
                error.message,
                ref=self._existing(account, message_of(out)),
                network=self.name,
                status=error.status,
                body=error.body,
            ) from error

    def _existing(self, account, text: str) -> RemoteRef | None:
        """The post Meta called a duplicate, when it can be found; never raises."""
        try:
            return self.find_recent(account, text=text, since=datetime.now(UTC) - timedelta(days=2))
        except NetworkError:
            return None

    def _send(self, account, out) -> str:
        page = account.remote_id
        message = message_of(out)
        if out.video is not None:
            answer = self._call(
                account,
                "POST",
                (page, "videos"),
                {"file_url": out.video.url, "description": message},
            )
            return meta.created_id(answer, self.name)
        images = out.images
        params = {"message": message}
        if images:
            # Unpublished photos are invisible until attached: sending them again is safe.
            for index, image in enumerate(images):
                answer = self._call(
                    account,
                    "POST",
                    (page, "photos"),
                    {"url": image.url, "published": False, "alt_text_custom": image.alt_text},
                    safe=True,
                )
                params[f"attached_media[{index}]"] = {
                    "media_fbid": meta.created_id(answer, self.name)
                }
        elif out.link:
            params["link"] = out.link
        answer = self._call(account, "POST", (page, "feed"), params)
        return meta.created_id(answer, self.name)

    def delete(self, ref, *, account) -> None:
        self._call(account, "DELETE", (ref.id,), safe=True)

    # -- comments ---------------------------------------------------------------------------

    def _inbound(self, account, comment: dict, post_id: str) -> Inbound | None:
        """The comment as an inbound item; None for the Page's own and, logged, for one
        that cannot be read (without id, or without author: it might be the Page's)."""
        if not isinstance(comment, dict) or not comment.get("id"):
            meta.skip_malformed(self.name, "comment", comment, "id")
            return None
        author = comment.get("from")
        if not isinstance(author, dict) or not author.get("id"):
            meta.skip_malformed(self.name, "comment", comment, "author (from)")
            return None
        if str(author["id"]) == str(account.remote_id):
            return None  # the Page's own replies
        parent = (comment.get("parent") or {}).get("id")
        return Inbound(
            network=self.name,
            remote_id=str(comment["id"]),
            kind="reply" if parent else "comment",
            text=comment.get("message", ""),
            author_id=str(author.get("id", "")),
            author_name=author.get("name", ""),
            created_at=meta.when(comment.get("created_time")),
            in_reply_to=str(parent or post_id),
            raw=comment,
        )

    def fetch_replies(self, account, since: datetime | None) -> list[Inbound]:
        """Comments and replies on the Page's recent posts, since `since`."""
        posts = self._call(
            account,
            "GET",
            (account.remote_id, "published_posts"),
            {"fields": "id", "limit": RECENT_POSTS},
            safe=True,
        )
        params = {"fields": COMMENT_FIELDS, "filter": "stream", "order": "chronological"}
        if since:
            params["since"] = int(since.timestamp())
        inbound = []
        for post in posts.get("data", []):
            if not isinstance(post, dict) or not post.get("id"):
                meta.skip_malformed(self.name, "post", post, "id")
                continue
            comments = self._call(account, "GET", (post["id"], "comments"), params, safe=True)
            for comment in comments.get("data", []):
                item = self._inbound(account, comment, post["id"])
                if item and (since is None or item.created_at >= since):
                    inbound.append(item)
        return inbound

    def reply(self, inbound, text: str, *, account) -> RemoteRef:
        answer = self._call(account, "POST", (inbound.remote_id, "comments"), {"message": text})
        comment_id = meta.created_id(answer, self.name)
        return RemoteRef(network=self.name, id=comment_id, url=POST_URL.format(id=comment_id))

    def hide(self, inbound, *, account) -> None:
        self._call(account, "POST", (inbound.remote_id,), {"is_hidden": True}, safe=True)

    # -- reading back ------------------------------------------------------------------------

    def metrics(self, ref, *, account) -> Metrics:
        answer = self._call(
            account,
            "GET",
            (ref.id,),
            {
                "fields": "shares,reactions.summary(total_count).limit(0),"
                "comments.summary(total_count).limit(0)"
            },
            safe=True,
        )
        return Metrics(
            reactions=(answer.get("reactions") or {}).get("summary", {}).get("total_count"),
            comments=(answer.get("comments") or {}).get("summary", {}).get("total_count"),
            shares=(answer.get("shares") or {}).get("count", 0),
            raw=answer,
        )

    def find_recent(
        self, account: SocialAccount, *, text: str, since: datetime | None
    ) -> RemoteRef | None:
        """The Page's post with this text published since `since` (reconciliation)."""
        params: dict = {"fields": "id,message,created_time"}
        if since is not None:
            params["since"] = int(since.timestamp())
        answer = self._call(
            account, "GET", (account.remote_id, "published_posts"), params, safe=True
        )
        wanted = text.strip()
        for post in answer.get("data", []):
            message = (post.get("message") or "").strip()
            if wanted and (message == wanted or message.startswith(wanted + "\n")):
                return RemoteRef(
                    network=self.name, id=post["id"], url=POST_URL.format(id=post["id"])
                )
        return None


NETWORK = FacebookNetwork()
