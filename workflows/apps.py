"""Django application configuration for workflows."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class WorkflowsConfig(AppConfig):
    default = True  # this module holds UsersConfig too
    name = "workflows"
    verbose_name = _("Approval")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from wagtail.models import TaskState, WorkflowState
        from wagtail.signals import (
            task_submitted,
            workflow_approved,
            workflow_rejected,
            workflow_submitted,
        )

        from . import signals
        from .models import RoundState

        post_migrate.connect(signals.bootstrap_after_migrate, sender=self)
        self._offer_crieur_rounds_only()
        # A round starting: its approvers are told, the automatic check runs. Wagtail
        # sends task_submitted from Task.start, before the circuit moves on.
        task_submitted.connect(
            signals.round_started, sender=RoundState, dispatch_uid="crieur_round_started"
        )
        task_submitted.connect(
            signals.task_started, sender=TaskState, dispatch_uid="crieur_task_started"
        )
        # Crieur's notifications replace Wagtail's approval e-mails: connected first under
        # the same dispatch_uid, ours is the one Django keeps when wagtail.admin connects
        # its own later (workflows comes before wagtail.admin in INSTALLED_APPS).
        workflow_approved.connect(
            signals.workflow_approved,
            sender=WorkflowState,
            dispatch_uid="workflow_state_approved_email_notification",
        )
        workflow_rejected.connect(
            signals.workflow_rejected,
            sender=WorkflowState,
            dispatch_uid="workflow_state_rejected_email_notification",
        )
        # Each round tells its own approvers when it starts (services.round_started).
        workflow_submitted.connect(
            signals.nothing,
            sender=WorkflowState,
            dispatch_uid="workflow_state_submitted_email_notification",
        )

    @staticmethod
    def _offer_crieur_rounds_only() -> None:
        """The workflow editor offers Crieur's rounds, not Wagtail's group approval task.

        Wagtail's task would let the author approve their own post (no four eyes); the
        tasks it already runs keep working. Wagtail caches the list it offers in
        TASK_TYPES and only computes it when empty.
        """
        import wagtail.workflows

        from .models import ExternalRound, PolicyRound, RoleRound

        wagtail.workflows.TASK_TYPES = [RoleRound, ExternalRound, PolicyRound]


class UsersConfig(WagtailUsersAppConfig):
    """Wagtail's users app with Crieur's user views (workflows.users): only superusers
    grant superuser status or edit a superuser. Listed in INSTALLED_APPS instead of
    "wagtail.users"."""

    user_viewset = "workflows.users.UserViewSet"
