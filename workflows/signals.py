"""Signal handlers of workflows: they only hand over to services."""

from . import services
from .models import PolicyRound


def bootstrap_after_migrate(sender, using="default", **kwargs) -> None:
    services.roles_bootstrap(using=using)


def round_started(sender, instance, user=None, **kwargs) -> None:
    """Wagtail started a round a person decides (RoleRound, ExternalRound)."""
    services.round_started(task_state=instance, by=user)


def task_started(sender, instance, user=None, **kwargs) -> None:
    """Wagtail started a task kept in a plain TaskState: the automatic check runs at once
    (before Wagtail moves the circuit on or back)."""
    if isinstance(instance.task.specific, PolicyRound):
        services.policy_round_run(task_state=instance)


def workflow_approved(sender, instance, user=None, **kwargs) -> None:
    services.workflow_approved_notify(workflow_state=instance, by=user)


def workflow_rejected(sender, instance, user=None, **kwargs) -> None:
    services.workflow_rejected_notify(workflow_state=instance, by=user)


def nothing(sender, **kwargs) -> None:
    """Stands in for a Wagtail handler that Crieur replaces (see WorkflowsConfig.ready)."""
