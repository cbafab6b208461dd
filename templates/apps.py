"""Django application configuration for templates."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TemplatesConfig(AppConfig):
    name = "templates"
    verbose_name = _("Message templates")
    default_auto_field = "django.db.models.BigAutoField"
