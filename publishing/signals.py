"""Signal handlers of publishing (they only hand over to services), and its own signals."""

from django.dispatch import Signal

from cms.models import Post

from .services import publications_sync

# Sent when a publication stops and waits for a person (failed, missed or unconfirmed),
# with `publication`: the notifications of workflows listen, publishing does not know them.
publication_failed = Signal()
# Sent once a publication is on its network, with `publication`.
publication_published = Signal()


def post_approved(sender, instance, revision=None, **kwargs) -> None:
    """An approved revision of a post: its publications follow it (time and content)."""
    if isinstance(instance, Post):
        publications_sync(post=instance, by=getattr(revision, "user", None))
