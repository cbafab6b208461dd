"""The notifications in the admin: the menu entry with the unread count, the pages."""

from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem

from . import notification_views as views
from .notifications import unread_count


@hooks.register("register_admin_urls")
def notification_admin_urls():
    return [
        path("notifications/", views.notification_list, name="workflows_notifications"),
        path(
            "notifications/<int:notification_id>/",
            views.notification_open,
            name="workflows_notification_open",
        ),
        path(
            "notifications/read-all/",
            views.notifications_read_all,
            name="workflows_notifications_read_all",
        ),
        path(
            "notifications/e-mail/",
            views.notification_preferences,
            name="workflows_notification_preferences",
        ),
    ]


class NotificationsMenuItem(MenuItem):
    """ "Notifications", with how many the person looking has not read (one query)."""

    def render_component(self, request):
        # Menu items are shared by every request: the count goes into this rendering only.
        count = unread_count(user=request.user)
        label = gettext("Notifications (%(count)s)") % {"count": count} if count else self.label
        return LinkMenuItem(
            self.name,
            label,
            self.url,
            icon_name=self.icon_name,
            classname=self.classname,
            attrs={**self.attrs, "data-unread": str(count)},
        )


@hooks.register("register_admin_menu_item")
def notifications_menu_item():
    return NotificationsMenuItem(
        _("Notifications"),
        reverse("workflows_notifications"),
        name="notifications",
        icon_name="mail",
        order=90,
    )


@hooks.register("register_account_menu_item")
def notification_preferences_account_item(request):
    return {
        "url": reverse("workflows_notification_preferences"),
        "label": gettext("Notifications by e-mail"),
        "help_text": gettext("Choose which notifications you receive by e-mail"),
    }
