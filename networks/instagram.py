"""Instagram professional accounts through Meta's official SDK (`facebook-business`):
containers (image, carousel, reel, story) polled until FINISHED, the publishing quota
read first, `media_publish`, the first comment; comments, metrics. OAuth and webhooks
are Meta's, shared with Facebook (meta.py).

`account.remote_id` is the Instagram user id; `credentials["access_token"]` the token of
the Page it is linked to.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from . import meta
from .base import (
    Inbound,
    Metrics,
    NetworkError,
    Outgoing,
    RateLimited,
    Rejected,
    RemoteRef,
    Transient,
)
from .common import NetworkBase

if TYPE_CHECKING:
    from .models import SocialAccount

logger = logging.getLogger(__name__)

MAX_CAROUSEL = 10
DEFAULT_QUOTA_SECONDS = 86_400
COMMENT_FIELDS = "id,text,username,timestamp,from{id,username},parent_id"


def _token(account) -> str:
    return (account.credentials or {}).get("access_token", "")


class InstagramNetwork(meta.MetaAppMixin, NetworkBase):
    name = "instagram"

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
        """Quota, container(s), status until FINISHED, `media_publish`, then the first
        comment as a part. Containers are never seen until published, so everything
        before `media_publish` may be done again; `key` has no place in the API."""
        done = [str(part) for part in done_parts if part]
        if done:
            media_id = done[0]
        else:
            plan = self._plan(out)  # refuses before any call
            self._check_quota(account)
            container = self._create(account, plan)
            self._wait_until_finished(account, container)
            answer = self._call(
                account, "POST", (account.remote_id, "media_publish"), {"creation_id": container}
            )
            media_id = meta.created_id(answer, self.name)
            if on_part:
                on_part(media_id)
        parts = done[1:]
        if out.first_comment and not parts:
            answer = self._call(
                account, "POST", (media_id, "comments"), {"message": out.first_comment}
            )
            comment_id = meta.created_id(answer, self.name)
            parts.append(comment_id)
            if on_part:
                on_part(comment_id)
        return RemoteRef(
            network=self.name,
            id=media_id,
            url=self._permalink(account, media_id),
            parts=tuple(parts),
        )

    def _permalink(self, account, media_id: str) -> str:
        """The post's address on Instagram (`/p/<shortcode>/`): Instagram makes it from
        a shortcode, not from the media id, so it is asked for. The post is already
        out: when the address cannot be read, the publication keeps no link rather
        than failing."""
        try:
            answer = self._call(account, "GET", (media_id,), {"fields": "permalink"}, safe=True)
        except NetworkError as error:
            logger.warning("Instagram did not give media %s's permalink: %s", media_id, error)
            return ""
        permalink = answer.get("permalink")
        return permalink if isinstance(permalink, str) else ""

    def _plan(self, out) -> tuple[dict, list[dict]]:
        """(the container to publish, its carousel children), as Graph parameters."""
        images, video = out.images, out.video
        if out.format == "story":
            if video is not None:
                return {"media_type": "STORIES", "video_url": video.url}, []
            if images:  # stories take neither caption nor alt text
                return {"media_type": "STORIES", "image_url": images[0].url}, []
        elif video is not None and not images:
            # Instagram publishes every single video as a reel.
            return {"media_type": "REELS", "video_url": video.url, "caption": out.text}, []
        elif len(images) == 1 and video is None:
            image = images[0]
            return {"image_url": image.url, "caption": out.text, "alt_text": image.alt_text}, []
        elif images:
            items = [*images, *([video] if video is not None else [])]
            if len(items) > MAX_CAROUSEL:
                raise Rejected(
                    _(
                        "An Instagram carousel takes at most %(max)d images and videos: "
                        "remove %(extra)d of them."
                    )
                    % {"max": MAX_CAROUSEL, "extra": len(items) - MAX_CAROUSEL},
                    network=self.name,
                )
            children = [
                {"image_url": image.url, "alt_text": image.alt_text, "is_carousel_item": True}
                for image in images
            ]
            if video is not None:
                children.append(
                    {"media_type": "VIDEO", "video_url": video.url, "is_carousel_item": True}
                )
            return {"media_type": "CAROUSEL", "caption": out.text}, children
        raise Rejected(
            _("Instagram needs an image or a video: add one to the post."), network=self.name
        )

    def _check_quota(self, account) -> None:
        """Instagram allows a number of API publications per 24 hours (50 today): read
        it before creating anything, rather than learn it from a refusal."""
        answer = self._call(
            account,
            "GET",
            (account.remote_id, "content_publishing_limit"),
            {"fields": "quota_usage,config"},
            safe=True,
        )
        for entry in answer.get("data", []):
            quota = entry.get("config") or {}
            total = quota.get("quota_total")
            if total is None or int(entry.get("quota_usage") or 0) < int(total):
                continue
            # The window slides; when the oldest post leaves it is not given: the latest.
            seconds = int(quota.get("quota_duration") or DEFAULT_QUOTA_SECONDS)
            raise RateLimited(
                _("Instagram's publishing quota (%(total)d posts in 24 hours) is used up.")
                % {"total": int(total)},
                network=self.name,
                reset_at=datetime.now(UTC) + timedelta(seconds=seconds),
                scope="account",
                body=answer,
            )

    def _create(self, account, plan) -> str:
        params, children = plan
        user = account.remote_id
        if children:
            ids = []
            for child in children:
                answer = self._call(account, "POST", (user, "media"), child, safe=True)
                child_id = meta.created_id(answer, self.name)
                if child.get("media_type") == "VIDEO":
                    self._wait_until_finished(account, child_id)
                ids.append(child_id)
            params = {**params, "children": ",".join(ids)}
        answer = self._call(account, "POST", (user, "media"), params, safe=True)
        return meta.created_id(answer, self.name)

    def _wait_until_finished(self, account, container: str) -> None:
        attempts = max(1, int(settings.CRIEUR_INSTAGRAM_POLL_ATTEMPTS))
        for attempt in range(attempts):
            answer = self._call(
                account, "GET", (container,), {"fields": "status_code,status"}, safe=True
            )
            status = answer.get("status_code")
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                raise Rejected(
                    _(
                        "Instagram could not prepare the media (%(status)s): check the image "
                        "or the video (format, size, proportions), then send the post again."
                    )
                    % {"status": answer.get("status") or status},
                    network=self.name,
                    body=answer,
                )
            if attempt + 1 < attempts:
                time.sleep(settings.CRIEUR_INSTAGRAM_POLL_SECONDS)
        raise Transient(
            _("Instagram is still preparing the media: it will be tried again."),
            network=self.name,
            retry_after=60,
            body={"container": container},
        )

    def delete(self, ref, *, account) -> None:
        raise Rejected(
            _(
                "Instagram does not let applications delete a post: delete it in the "
                "Instagram app, then mark it deleted here."
            ),
            network=self.name,
        )

    # -- comments ---------------------------------------------------------------------------

    def _inbound(self, account, comment: dict, media_id: str) -> Inbound | None:
        """The comment as an inbound item; None for the account's own and, logged, for
        one that cannot be read (without id, or without author: it might be ours)."""
        if not isinstance(comment, dict) or not comment.get("id"):
            meta.skip_malformed(self.name, "comment", comment, "id")
            return None
        author = comment.get("from")
        author = author if isinstance(author, dict) else {}
        username = author.get("username") or comment.get("username") or ""
        if not (author.get("id") or username):
            meta.skip_malformed(self.name, "comment", comment, "author (from)")
            return None
        if str(author.get("id", "")) == str(account.remote_id) or (
            not author.get("id") and username == (account.handle or "").lstrip("@")
        ):
            return None  # the account's own replies
        parent = comment.get("parent_id")
        return Inbound(
            network=self.name,
            remote_id=str(comment["id"]),
            kind="reply" if parent else "comment",
            text=comment.get("text", ""),
            author_id=str(author.get("id") or username),
            author_name=username,
            created_at=meta.when(comment.get("timestamp")),
            in_reply_to=str(parent or media_id),
            raw=comment,
        )

    def fetch_replies(self, account, since: datetime | None) -> list[Inbound]:
        """Comments (and their replies) on the account's recent media since `since`."""
        media = self._call(
            account,
            "GET",
            (account.remote_id, "media"),
            {"fields": "id,timestamp", "limit": 25},
            safe=True,
        ).get("data", [])
        inbound = []
        for item in media:
            if not isinstance(item, dict) or not item.get("id"):
                meta.skip_malformed(self.name, "media", item, "id")
                continue
            comments = self._call(
                account,
                "GET",
                (item["id"], "comments"),
                {"fields": f"{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}"},
                safe=True,
            ).get("data", [])
            for comment in comments:
                replies = (
                    (comment.get("replies") or {}).get("data", [])
                    if isinstance(comment, dict)
                    else []
                )
                for entry in (comment, *replies):
                    found = self._inbound(account, entry, item["id"])
                    if found and (since is None or found.created_at >= since):
                        inbound.append(found)
        return inbound

    def reply(self, inbound, text: str, *, account) -> RemoteRef:
        # Instagram threads one level deep: a reply to a reply answers its parent comment.
        target = inbound.in_reply_to if inbound.kind == "reply" else inbound.remote_id
        answer = self._call(account, "POST", (target, "replies"), {"message": text})
        return RemoteRef(network=self.name, id=meta.created_id(answer, self.name))

    def hide(self, inbound, *, account) -> None:
        self._call(account, "POST", (inbound.remote_id,), {"hide": True}, safe=True)

    # -- reading back ------------------------------------------------------------------------

    def metrics(self, ref, *, account) -> Metrics:
        answer = self._call(
            account, "GET", (ref.id,), {"fields": "like_count,comments_count"}, safe=True
        )
        return Metrics(
            reactions=answer.get("like_count"), comments=answer.get("comments_count"), raw=answer
        )

    def find_recent(
        self, account: SocialAccount, *, text: str, since: datetime | None
    ) -> RemoteRef | None:
        media = self._call(
            account,
            "GET",
            (account.remote_id, "media"),
            {"fields": "id,caption,timestamp", "limit": 25},
            safe=True,
        )
        wanted = text.strip()
        for item in media.get("data", []):
            if since is not None and meta.when(item.get("timestamp")) < since:
                continue
            if wanted and (item.get("caption") or "").strip() == wanted:
                return RemoteRef(network=self.name, id=str(item["id"]))
        return None


NETWORK = InstagramNetwork()
