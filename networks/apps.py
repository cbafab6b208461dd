"""Django application configuration for networks."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "networks"
    verbose_name = _("Networks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import redaction

        # Every log record of every process (web, worker, beat) is cut of secrets.
        redaction.install()
