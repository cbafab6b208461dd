"""The workflows part of the admin; the notifications and the dashboard's panels and trail
register their own hooks in the modules imported below."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from . import dashboard_hooks, external_hooks, notification_hooks  # noqa: F401
from .users import bulk_action_refusal

# Deactivating, deleting or giving a role to a superuser is for superusers only.
hooks.register("before_bulk_action", bulk_action_refusal)


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
