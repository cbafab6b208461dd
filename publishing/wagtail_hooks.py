"""The publishing part of the admin: network accounts and the scheduler's health."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.components import Component
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import SocialAccount
from .selectors import scheduler_health


class SocialAccountViewSet(SnippetViewSet):
    model = SocialAccount
    icon = "globe"
    menu_label = _("Network accounts")
    add_to_settings_menu = True
    list_display = ["display_name", "network", "handle", "status"]
    list_filter = ["network", "status"]
    search_fields = ["display_name", "handle"]
    ordering = ["network", "display_name"]
    panels = [
        FieldPanel("network"),
        FieldPanel("display_name"),
        FieldPanel("handle"),
        FieldPanel("remote_id"),
        FieldPanel("status"),
        FieldPanel("token_expires_at"),
    ]


register_snippet(SocialAccountViewSet)


class SchedulerHealthPanel(Component):
    name = "scheduler_health"
    order = 50
    template_name = "publishing/scheduler_health_panel.html"

    def get_context_data(self, parent_context):
        return {"health": scheduler_health()}


@hooks.register("construct_homepage_panels")
def add_scheduler_health_panel(request, panels):
    panels.append(SchedulerHealthPanel())
