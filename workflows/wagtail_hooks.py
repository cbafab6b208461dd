"""The workflows part of the admin; the notifications and the dashboard's panels and trail
register their own hooks in the modules imported below."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from cms import extensions as cms_extensions

from . import dashboard_hooks, external_hooks, notification_hooks  # noqa: F401
from .models import Decision
from .roles import circuit_refused_to
from .users import bulk_action_refusal

# Deactivating, deleting or giving a role to a superuser is for superusers only.
hooks.register("before_bulk_action", bulk_action_refusal)
# The post editor offers a reserved circuit (the crisis fast track) only to its role.
hooks.register(cms_extensions.CIRCUIT_REFUSED, circuit_refused_to)


@hooks.register(cms_extensions.POST_KEEPS_TRAIL)
def post_has_decisions(post) -> bool:
    """A post someone decided on is a record: removing it archives it."""
    return Decision.objects.filter(revision__in=post.revisions).exists()


class PartialApprovalLogFormatter(LogFormatter):
    label = _("Approval (more approvers needed)")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return _("%(name)s approved in “%(round)s”; the round waits for its other members.") % {
            "name": data.get("name", ""),
            "round": data.get("round", ""),
        }


@hooks.register("register_log_actions")
def workflows_log_actions(actions):
    actions.register_action("workflows.partial_approval")(PartialApprovalLogFormatter)
