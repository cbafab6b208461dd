"""What publishing tells the team, through the notifications of workflows."""

from django.contrib.auth import get_user_model

from workflows.models import Notification
from workflows.notifications import notify


def publication_failed_notify(*, publication) -> None:
    """A publication failed for good: whoever planned it and wrote the post hears of it."""
    ids = {publication.created_by_id, publication.post.created_by_id}
    notify(
        kind=Notification.Kind.PUBLICATION_FAILED,
        recipients=get_user_model().objects.filter(pk__in=ids - {None}),
        post=publication.post,
        detail=f"{publication.account} — {publication.error}",
    )


def publication_failed(sender, publication, **kwargs) -> None:
    """Receiver of publishing.signals.publication_failed: hands over to the service."""
    publication_failed_notify(publication=publication)
