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
