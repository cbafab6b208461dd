"""Who may act on publications: the rules the services check, and the views ask to show
or hide an action."""

from django.core.exceptions import PermissionDenied

from workflows.roles import ADMINISTRATOR

SEND_NOW = "publishing.send_now"
# Moving a post or one of its publications on the calendar keeps its approval: whoever
# edits posts may do it.
MOVE = "cms.change_post"


def may_send_now(user) -> bool:
    return bool(user and user.has_perm(SEND_NOW))


def may_move(user) -> bool:
    return bool(user and user.has_perm(MOVE))


def may_import(user) -> bool:
    """Those who write posts import them, and administrators, who prepare the plan when
    the institution moves to Crieur (they write no post themselves): decided by role."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return (
        user.has_perm("cms.add_post")
        or user.is_superuser
        or user.groups.filter(name=ADMINISTRATOR.group_name).exists()
    )


def may_act_on_publications(user) -> bool:
    """Community managers, the crisis cell and administrators retry or cancel sends."""
    return bool(user and (user.has_perm("cms.change_post") or user.has_perm(SEND_NOW)))


def may_cancel_post_publications(user, post) -> bool:
    """Whoever may act on publications, and the post's author: an edited approved post
    keeps its publications until the new version is approved, and its author may stop
    them before that."""
    return may_act_on_publications(user) or bool(user and post.created_by_id == user.pk)


def require(allowed: bool, message: str = "") -> None:
    """Refuse (PermissionDenied, with `message` for the person) unless `allowed`."""
    if not allowed:
        raise PermissionDenied(message)
