"""What publishing tells the team, through the notifications of workflows."""

from django.contrib.auth import get_user_model

from workflows.models import Notification
from workflows.notifications import notify

from .models import Publication

# Publications of a post that may still go out by themselves.
GOING = (Publication.State.SCHEDULED, Publication.State.PUBLISHING)


def _people(*ids):
    return get_user_model().objects.filter(pk__in=set(ids) - {None})


def publication_failed_notify(*, publication) -> None:
    """A publication failed for good: whoever planned it and wrote the post hears of it."""
    notify(
        kind=Notification.Kind.PUBLICATION_FAILED,
        recipients=_people(publication.created_by_id, publication.post.created_by_id),
        post=publication.post,
        detail=f"{publication.account} — {publication.error}",
    )


def publication_published_notify(*, publication) -> Notification | None:
    """A post is on its networks: its author (and whoever planned it) hears of it once,
    when none of the post's publications planned at the same time is still to go, with a
    link to the post on each network that gave one."""
    batch = Publication.objects.filter(
        post_id=publication.post_id, scheduled_at=publication.scheduled_at
    )
    if batch.filter(state__in=GOING).exists():
        return None  # the last one of the batch tells
    published = list(
        batch.filter(state=Publication.State.PUBLISHED)
        .select_related("account", "post")
        .order_by("account__network", "pk")
    )
    if not published:
        return None
    links = [(str(p.account), p.remote_url) for p in published if p.remote_url]
    post = published[0].post
    accounts = ", ".join(str(p.account) for p in published)
    if Notification.objects.filter(
        kind=Notification.Kind.PUBLISHED, post=post, detail=accounts
    ).exists():
        return None  # two workers finishing the batch at once: it is told once
    recipients = _people(post.created_by_id, *(p.created_by_id for p in published))
    notifications = notify(
        kind=Notification.Kind.PUBLISHED,
        recipients=recipients,
        post=post,
        detail=accounts,
        links=links,
    )
    return notifications[0] if notifications else None


def publication_failed(sender, publication, **kwargs) -> None:
    """Receiver of publishing.signals.publication_failed: hands over to the service."""
    publication_failed_notify(publication=publication)


def publication_published(sender, publication, **kwargs) -> None:
    """Receiver of publishing.signals.publication_published: hands over to the service."""
    publication_published_notify(publication=publication)
