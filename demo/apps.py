"""Django application configuration for the demo data."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = _("Demo")
    default_auto_field = "django.db.models.BigAutoField"
