"""Reading publishing state."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from .models import Heartbeat
from .networks.checks import Draft, ImageInfo, check_text, text_length
from .networks.limits import LIMITS
from .services import SCHEDULER

# Beyond this, the dashboard says the scheduler is not running.
BEAT_STALE_AFTER = timedelta(minutes=2)


def scheduler_health(*, now=None) -> dict:
    now = now or timezone.now()
    beat = Heartbeat.objects.filter(name=SCHEDULER).first()
    return {
        "last_beat": beat.beat_at if beat else None,
        "alive": bool(beat and now - beat.beat_at <= BEAT_STALE_AFTER),
    }


@dataclass(frozen=True)
class VariantReport:
    account: object
    length: int
    maximum: int
    problems: list


def _image_info(post_image) -> ImageInfo:
    image = post_image.image
    extension = image.file.name.rsplit(".", 1)[-1].lower() if image.file else ""
    return ImageInfo(
        format="jpeg" if extension in ("jpg", "jpeg") else extension,
        width=image.width,
        height=image.height,
        alt_text=post_image.alt_text,
    )


def post_network_reports(*, post) -> list[VariantReport]:
    """For each network version of the post, its length as the network counts it and its
    problems; works on an unsaved or revision copy of the post (in-memory children)."""
    images = [_image_info(item) for item in post.images.all() if item.image_id]
    video = bool(post.document_id)
    reports = []
    for variant in post.variants.all():
        if not variant.account_id:
            continue
        network = variant.account.network
        draft = Draft(text=variant.effective_text, images=images, video=video)
        limits = LIMITS[network]
        has_media = bool(images) or video
        maximum = (
            limits.text_with_media if has_media and limits.text_with_media else limits.max_text
        )
        reports.append(
            VariantReport(
                account=variant.account,
                length=text_length(network, draft.text),
                maximum=maximum,
                problems=check_text(network, draft),
            )
        )
    return reports
