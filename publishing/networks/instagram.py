"""Instagram professional accounts through Meta's official SDK (`facebook-business`):
containers (image, carousel, reel, story), status polling until FINISHED, publishing,
the daily publishing quota read before publishing, the first comment.

`account.remote_id` is the Instagram user id; `credentials["access_token"]` the token of
the Page it is linked to.
"""

import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from . import meta
from .base import Inbound, Metrics, RateLimited, Rejected, RemoteRef, Transient
from .facebook import FacebookNetwork


class InstagramNetwork(FacebookNetwork):
    name = "instagram"

    def publish(self, variant, *, key, done_parts=(), on_part=None) -> RemoteRef:
        account = variant.account
        out = self.outgoing(variant)
        done = list(done_parts)
        if done:
            media_id = done[0]
        else:
            self._check_quota(account)
            container = self._container(account, out, variant.format)
            self._wait_until_finished(account, container)
            media_id = self._call(
                account, "POST", (account.remote_id, "media_publish"), {"creation_id": container}
            )["id"]
            if on_part:
                on_part(media_id)
        parts = list(done[1:])
        if out.first_comment and not parts:
            comment = self._call(
                account, "POST", (media_id, "comments"), {"message": out.first_comment}
            )
            parts.append(comment["id"])
            if on_part:
                on_part(comment["id"])
        return RemoteRef(network=self.name, id=media_id, parts=tuple(parts))

    def _check_quota(self, account) -> None:
        answer = self._call(
            account,
            "GET",
            (account.remote_id, "content_publishing_limit"),
            {"fields": "quota_usage,config"},
        )
        for entry in answer.get("data", []):
            total = entry.get("config", {}).get("quota_total")
            duration = entry.get("config", {}).get("quota_duration", 86400)
            if total is not None and entry.get("quota_usage", 0) >= total:
                raise RateLimited(
                    _("Instagram's publishing quota (%(total)d posts in 24 hours) is used up.")
                    % {"total": total},
                    network=self.name,
                    reset_at=datetime.now(UTC) + timedelta(seconds=int(duration)),
                    body=answer,
                )

    def _container(self, account, out, format: str) -> str:
        user = account.remote_id
        if format in ("reel", "story") and out.video is not None:
            params = {
                "media_type": "REELS" if format == "reel" else "STORIES",
                "video_url": out.video.url,
                "caption": out.text,
            }
            return self._call(account, "POST", (user, "media"), params)["id"]
        images = out.images
        if not images:
            raise Rejected(
                _("Instagram needs an image or a video: add one to the post."), network=self.name
            )
        if len(images) == 1 or format == "story":
            params = {"image_url": images[0].url, "alt_text": images[0].alt_text}
            if format == "story":
                params["media_type"] = "STORIES"
            else:
                params["caption"] = out.text
            return self._call(account, "POST", (user, "media"), params)["id"]
        children = [
            self._call(
                account,
                "POST",
                (user, "media"),
                {"image_url": image.url, "alt_text": image.alt_text, "is_carousel_item": "true"},
            )["id"]
            for image in images[:10]
        ]
        params = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": out.text}
        return self._call(account, "POST", (user, "media"), params)["id"]

    def _wait_until_finished(self, account, container: str) -> None:
        for attempt in range(settings.CRIEUR_INSTAGRAM_POLL_ATTEMPTS):
            answer = self._call(account, "GET", (container,), {"fields": "status_code,status"})
            status = answer.get("status_code")
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                raise Rejected(
                    _(
                        "Instagram could not prepare the media (%(status)s): check the image or "
                        "video and try again."
                    )
                    % {"status": answer.get("status") or status},
                    network=self.name,
                    body=answer,
                )
            if attempt + 1 < settings.CRIEUR_INSTAGRAM_POLL_ATTEMPTS:
                time.sleep(settings.CRIEUR_INSTAGRAM_POLL_SECONDS)
        raise Transient(
            _("Instagram is still preparing the media: it will be tried again."),
            network=self.name,
            retry_after=60,
        )

    def delete(self, ref, *, account) -> None:
        raise Rejected(
            _("Instagram does not let applications delete a post: delete it in the Instagram app."),
            network=self.name,
        )

    def fetch_replies(self, account, since: datetime | None) -> list[Inbound]:
        media = self._call(
            account, "GET", (account.remote_id, "media"), {"fields": "id,timestamp"}
        ).get("data", [])
        inbound = []
        for item in media:
            comments = self._call(
                account, "GET", (item["id"], "comments"), {"fields": "id,text,username,timestamp"}
            )
            for comment in comments.get("data", []):
                created = meta._when(comment.get("timestamp"))
                if since and created < since:
                    continue
                inbound.append(
                    Inbound(
                        network=self.name,
                        remote_id=comment["id"],
                        kind="comment",
                        text=comment.get("text", ""),
                        author_id=comment.get("username", ""),
                        author_name=comment.get("username", ""),
                        created_at=created,
                        in_reply_to=item["id"],
                        raw=comment,
                    )
                )
        return inbound

    def reply(self, inbound, text: str, *, account) -> RemoteRef:
        answer = self._call(account, "POST", (inbound.remote_id, "replies"), {"message": text})
        return RemoteRef(network=self.name, id=answer["id"])

    def hide(self, inbound, *, account) -> None:
        self._call(account, "POST", (inbound.remote_id,), {"hide": "true"})

    def metrics(self, ref, *, account) -> Metrics:
        answer = self._call(account, "GET", (ref.id,), {"fields": "like_count,comments_count"})
        return Metrics(
            reactions=answer.get("like_count"), comments=answer.get("comments_count"), raw=answer
        )

    def find_recent(self, account, *, text: str, since: datetime) -> RemoteRef | None:
        media = self._call(
            account, "GET", (account.remote_id, "media"), {"fields": "id,caption,timestamp"}
        )
        for item in media.get("data", []):
            if meta._when(item.get("timestamp")) >= since and (
                item.get("caption", "").strip() == text.strip()
            ):
                return RemoteRef(network=self.name, id=item["id"])
        return None


NETWORK = InstagramNetwork()
