"""Django application configuration for publishing."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = _("Publishing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.signals import published

        from .networks import redaction
        from .signals import post_approved

        # Every log record of every process (web, worker, beat) is cut of secrets.
        redaction.install()

        published.connect(post_approved, dispatch_uid="publishing_post_approved")
