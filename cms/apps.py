"""Django application configuration for cms."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Content")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.permissions import register_permission_policy

        from .models import Post
        from .permissions import PostPermissionPolicy

        # Registered here, before any Wagtail code asks for the post's policy.
        register_permission_policy(Post, PostPermissionPolicy(Post), exact_class=True)
