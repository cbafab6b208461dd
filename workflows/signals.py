"""Signal handlers of workflows: they only hand over to services."""


def bootstrap_after_migrate(sender, using="default", **kwargs) -> None:
    from .services import roles_bootstrap

    roles_bootstrap(using=using)
