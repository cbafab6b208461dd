"""Reading publishing state."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from cms.adaptation import variant_draft, variant_problems
from networks.checks import NETWORK_NAMES, Draft, ImageInfo, check_text, text_length
from networks.limits import LIMITS
from networks.models import SocialAccount
from networks.outgoing import x_thread_preview

from .models import Heartbeat, Publication
from .services import SCHEDULER

# Beyond this, the dashboard says the scheduler is not running.
BEAT_STALE_AFTER = timedelta(minutes=2)


def due_publications(*, until):
    """Scheduled publications due by `until` on connected accounts, earliest first.

    A publication waiting for a retry is due at its next try; one on an account to
    reconnect is held.
    """
    return Publication.objects.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=until),
        state=Publication.State.SCHEDULED,
        scheduled_at__lte=until,
        account__status=SocialAccount.Status.CONNECTED,
    ).order_by("scheduled_at", "pk")


# A publication due longer ago than this and still waiting means workers are missing.
NOT_PICKED_UP_AFTER = timedelta(minutes=1)


def scheduler_last_beat():
    """When the scheduler last beat, or None if it never ran. Beat sends the tick and a
    worker runs it, so a recent beat says that both beat and a worker are alive."""
    return Heartbeat.objects.filter(name=SCHEDULER).values_list("beat_at", flat=True).first()


def scheduler_beating(*, last_beat, now) -> bool:
    return bool(last_beat and now - last_beat <= BEAT_STALE_AFTER)


def not_picked_up_count(*, now) -> int:
    """Publications due for more than NOT_PICKED_UP_AFTER that no worker has taken."""
    late = now - NOT_PICKED_UP_AFTER
    return (
        due_publications(until=late)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=late))
        .count()
    )


def scheduler_health(*, now=None, limit: int = 20) -> dict:
    """What the dashboard shows: is the scheduler beating, is due work picked up, and
    which publications wait for a person (failed, unconfirmed, missed)."""
    now = now or timezone.now()
    last_beat = scheduler_last_beat()
    waiting = (
        Publication.objects.needs_a_person()
        .select_related("post", "account")
        .order_by("-scheduled_at")
    )
    return {
        "last_beat": last_beat,
        "alive": scheduler_beating(last_beat=last_beat, now=now),
        "not_picked_up": not_picked_up_count(now=now),
        "held": Publication.objects.filter(state=Publication.State.SCHEDULED)
        .exclude(account__status=SocialAccount.Status.CONNECTED)
        .count(),
        "accounts_to_reconnect": list(
            SocialAccount.objects.filter(status=SocialAccount.Status.NEEDS_RECONNECT)
        ),
        "waiting_count": waiting.count(),
        "waiting": list(waiting[:limit]),
    }


@dataclass(frozen=True)
class VariantReport:
    account: object
    length: int
    maximum: int
    problems: list


def post_network_reports(*, post) -> list[VariantReport]:
    """For each network version of the post, its length as the network counts it and its
    problems; works on an unsaved or revision copy of the post (in-memory children)."""
    reports = []
    for variant in post.variants.all():
        if not variant.account_id:
            continue
        network = variant.account.network
        draft = variant_draft(variant)
        limits = LIMITS[network]
        has_media = bool(draft.images) or draft.video
        maximum = (
            limits.text_with_media if has_media and limits.text_with_media else limits.max_text
        )
        reports.append(
            VariantReport(
                account=variant.account,
                length=text_length(network, variant.effective_text),
                maximum=maximum,
                problems=variant_problems(variant),
            )
        )
    return reports


def live_check(*, network: str, text: str, alt_texts: list[str], video: bool, format: str) -> dict:
    """What the editor's live counter shows for one version while it is typed."""
    images = [ImageInfo(format="jpeg", width=1080, height=1080, alt_text=a) for a in alt_texts]
    draft = Draft(text=text, images=images, video=video)
    limits = LIMITS[network]
    has_media = bool(images) or video
    maximum = limits.text_with_media if has_media and limits.text_with_media else limits.max_text
    parts = x_thread_preview(text) if network == "x" and format == "thread" else [text]
    problems = [] if len(parts) > 1 else check_text(network, draft)
    # Media problems (JPEG, proportions) are judged on the saved images, not here.
    problems = [p for p in problems if p.code not in ("converted_to_jpeg", "cropped")]
    from django.utils.translation import gettext as _

    length = text_length(network, text)
    if len(parts) > 1:
        summary = _(
            "%(network)s — %(count)d parts in the thread, each within %(max)d characters"
        ) % {"network": NETWORK_NAMES[network], "count": len(parts), "max": maximum}
    else:
        summary = _("%(network)s — %(length)d / %(max)d characters") % {
            "network": NETWORK_NAMES[network],
            "length": length,
            "max": maximum,
        }
    return {
        "network": network,
        "summary": summary,
        "preview_label": _("Preview on %(network)s") % {"network": NETWORK_NAMES[network]},
        "length": length,
        "maximum": maximum,
        "parts": [{"text": p, "length": text_length(network, p)} for p in parts],
        "problems": [
            {"code": p.code, "message": p.message, "blocking": p.blocking} for p in problems
        ],
    }
