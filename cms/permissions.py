"""Who may do what to a post: Django's permissions, except that nobody publishes a post."""

from django.contrib.auth import get_user_model
from wagtail.permission_policies import ModelPermissionPolicy

# Wagtail's snippet views ask for "publish" to publish, unpublish and schedule.
CIRCUIT_ONLY = frozenset({"publish", "unpublish"})


class PostPermissionPolicy(ModelPermissionPolicy):
    """A post goes live only when its approval circuit finishes, for everyone.

    Superusers hold every Django permission, and an administrator may give any
    permission to a group; neither makes a post live with Wagtail's publish action.
    Finishing a circuit publishes without asking this policy
    (workflows.services.approved_revision_publish).
    """

    def user_has_permission(self, user, action):
        if action in CIRCUIT_ONLY:
            return False
        return super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        actions = [action for action in actions if action not in CIRCUIT_ONLY]
        if not actions:
            return get_user_model().objects.none()
        return super().users_with_any_permission(actions)


def in_current_round(*, post, user) -> bool:
    """Whether `user` is one of the people the post's current approval round waits for.

    They hold no permission to change posts, yet Wagtail opens the editor to them while
    the post is in their round (Task.user_can_access_editor): they must see it, its
    preview included, as its editors do.
    """
    task = post.current_workflow_task if post is not None and post.pk else None
    return task is not None and bool(task.specific.user_can_access_editor(post, user))


SEE_POSTS = ("cms.view_post", "cms.change_post", "cms.add_post")


def may_see_post(user, post=None) -> bool:
    """Whoever may read posts, write them, or decide on this one in its current round."""
    if user is None or not user.is_authenticated:
        return False
    if any(user.has_perm(permission) for permission in SEE_POSTS):
        return True
    return in_current_round(post=post, user=user)
