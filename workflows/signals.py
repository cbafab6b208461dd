"""Signal handlers of workflows: they only hand over to services."""


def bootstrap_after_migrate(sender, using="default", **kwargs) -> None:
    from .services import roles_bootstrap

    roles_bootstrap(using=using)


def workflow_approved(sender, instance, user=None, **kwargs) -> None:
    from .services import workflow_approved_notify

    workflow_approved_notify(workflow_state=instance, by=user)


def workflow_rejected(sender, instance, user=None, **kwargs) -> None:
    from .services import workflow_rejected_notify

    workflow_rejected_notify(workflow_state=instance, by=user)


def publication_failed(sender, publication, **kwargs) -> None:
    from .services import publication_failed_notify

    publication_failed_notify(publication=publication)


def nothing(sender, **kwargs) -> None:
    """Stands in for a Wagtail handler that Crieur replaces (see WorkflowsConfig.ready)."""
