"""Signal handlers of publishing: they only hand over to services."""


def post_approved(sender, instance, revision=None, **kwargs) -> None:
    """An approved revision of a post: its publications follow it (time and content)."""
    from cms.models import Post

    from .services import publications_sync

    if isinstance(instance, Post):
        publications_sync(post=instance, by=getattr(revision, "user", None))
