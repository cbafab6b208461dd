"""Django application configuration for publishing."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = _("Publishing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail import hooks
        from wagtail.signals import published

        from networks.signals import broadcast_list_register, webhook_item_received

        from . import broadcast_services
        from .notifications import publication_failed as publication_failed_notify
        from .notifications import publication_published as publication_published_notify
        from .signals import post_approved, publication_failed, publication_published

        published.connect(post_approved, dispatch_uid="publishing_post_approved")
        # A publication that stops for a person: its planner and its author hear of it.
        publication_failed.connect(publication_failed_notify, dispatch_uid="crieur_failed")
        # A post on its networks: its author hears of it, with a link to each network's post.
        publication_published.connect(publication_published_notify, dispatch_uid="crieur_published")
        # The WhatsApp broadcast list: networks asks it who gets a post, and hands it the
        # WhatsApp items of webhooks (receipts, preferences, the list's commands).
        broadcast_list_register(broadcast_services.BROADCAST_LIST)
        webhook_item_received.connect(
            broadcast_services.whatsapp_item_received, dispatch_uid="publishing_whatsapp_items"
        )
        hooks.register("crieur_variant_problems", broadcast_services.whatsapp_template_problems)
