"""The networks' part of the admin: the accounts, connecting one, the sandbox page."""

from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import config, views
from .models import SocialAccount
from .wording import WordedViewSetMixin, Wording


class SocialAccountViewSet(WordedViewSetMixin, SnippetViewSet):
    model = SocialAccount
    icon = "globe"
    menu_label = _("Network accounts")
    add_to_settings_menu = True
    wording = Wording(
        add=_("Add a network account"),
        new=_("New network account"),
        created=_("Network account “%(object)s” created."),
        updated=_("Network account “%(object)s” saved."),
        deleted=_("Network account “%(object)s” deleted."),
        no_match=_("No network account matches your search or filters."),
        choose=_("Choose a network account"),
        choose_another=_("Choose another network account"),
        edit_chosen=_("Edit this network account"),
    )
    list_display = [
        "display_name",
        "network",
        # As the network shows it (networks.display): « @name » on X, a number on WhatsApp.
        Column(
            "handle",
            label=capfirst(SocialAccount._meta.get_field("handle").verbose_name),
            accessor="handle_display",
            sort_key="handle",
        ),
        "status",
    ]
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


@hooks.register("register_admin_urls")
def networks_admin_urls():
    # The connect addresses keep their first path: they are registered as OAuth
    # redirect URIs in each network's developer console.
    return [
        path("publishing/connect/", views.connect, name="networks_connect"),
        path(
            "publishing/connect/<str:provider>/",
            views.connect_start,
            name="networks_connect_start",
        ),
        path(
            "publishing/connect/<str:provider>/callback/",
            views.connect_callback,
            name="networks_connect_callback",
        ),
        path("networks/sandbox/", views.sandbox_page, name="networks_sandbox"),
    ]


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission, sandbox_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission
        self.sandbox_only = sandbox_only

    def is_shown(self, request):
        if self.sandbox_only and not config.sandbox_url():
            return False
        return request.user.has_perm(self.permission)


@hooks.register("register_settings_menu_item")
def connect_menu_item():
    return PermissionMenuItem(
        _("Connect an account"),
        reverse("networks_connect"),
        icon_name="link",
        order=150,
        permission="networks.add_socialaccount",
    )


@hooks.register("register_admin_menu_item")
def sandbox_menu_item():
    return PermissionMenuItem(
        _("Sandbox networks"),
        reverse("networks_sandbox"),
        icon_name="globe",
        order=900,
        permission="networks.view_socialaccount",
        sandbox_only=True,
    )
