"""Django application configuration for listening."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    name = "listening"
    verbose_name = _("Listening")
    default_auto_field = "django.db.models.BigAutoField"
