"""Changing posts: removing one, which archives a public record instead of erasing it."""

from django.db import transaction
from django.utils import timezone
from wagtail.actions.delete import DeleteAction
from wagtail.log_actions import log

from . import extensions


def post_keeps_trail(*, post) -> bool:
    """Whether the post is a record to keep: it entered a circuit, was approved, or has
    decisions or publications (public archives, Code du patrimoine L211-1)."""
    return (
        post.live
        or post.live_revision_id is not None
        or post.workflow_states.exists()
        or extensions.trail_kept_elsewhere(post=post)
    )


def post_remove(*, post, by) -> str:
    """Delete a post, or archive it when it keeps a trail; returns "deleted" or "archived".

    Archiving ends its open round, lets the apps above cms stop what they hold for it
    (publishing cancels its scheduled publications), withdraws its approval and takes it
    off the calendar, so it can be neither submitted nor scheduled again; its revisions,
    decisions, circuit states and publications stay, with a line in its history (which
    keeps the time it was planned for).
    """
    with transaction.atomic():
        post = type(post).objects.select_for_update().get(pk=post.pk)
        if not post_keeps_trail(post=post):
            DeleteAction(post, user=by).execute(skip_permission_checks=True)
            return "deleted"
        if post.archived_at is not None:
            return "archived"
        state = post.current_workflow_state
        if state is not None:
            state.cancel(user=by)
        extensions.post_archiving(post=post, by=by)
        if post.live:
            # Not through the permission check: nobody holds publish, and this only
            # withdraws an approval, logged below as the archiving.
            post.unpublish(user=None, log_action=False)
        planned, post.planned_at = post.planned_at, None  # off the calendar: planned for nothing
        post.archived_at = timezone.now()
        post.archived_by = by
        type(post).objects.filter(pk=post.pk).update(
            archived_at=post.archived_at, archived_by=by, planned_at=None
        )
        log(
            instance=post,
            action="cms.archive",
            user=by,
            data={"planned": planned.isoformat() if planned else ""},
        )
    return "archived"
