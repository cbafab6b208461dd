"""The publishing part of the admin: network accounts, the scheduler's health, the calendar
and the import, and what publishing adds to posts and to their approval trail."""

from datetime import datetime

from django.contrib.admin.utils import quote
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms import extensions as cms_extensions
from cms.models import Post
from networks.wording import WordedViewSetMixin, Wording
from workflows import extensions as workflows_extensions

from . import calendar_views, import_views, views
from .broadcast import BroadcastSetup, Subscriber
from .models import Publication
from .panels import NetworkChecksPanel
from .permissions import may_cancel_post_publications, may_import
from .selectors import scheduler_health
from .services import post_publications_cancel


class SchedulerHealthPanel(Component):
    name = "scheduler_health"
    order = 50
    template_name = "publishing/scheduler_health_panel.html"

    def get_context_data(self, parent_context):
        user = parent_context["request"].user
        return {
            "health": scheduler_health(),
            "may_act": views.may_act_on_publications(user),
            # A component renders in its own context: its forms need the page's token.
            "csrf_token": parent_context.get("csrf_token"),
        }


def _readable(moment: str) -> str:
    """A time the log keeps in ISO 8601, as people read it (local time, day first)."""
    try:
        parsed = datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return moment or "—"
    return timezone.localtime(parsed).strftime("%d/%m/%Y %H:%M")


class RescheduleLogFormatter(LogFormatter):
    label = _("Reschedule")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        times = {"from": _readable(data.get("from", "")), "to": _readable(data.get("to", ""))}
        if data.get("account"):
            return _("Rescheduled on %(account)s: %(from)s → %(to)s") % {
                **times,
                "account": data["account"],
            }
        return _("Planned time moved: %(from)s → %(to)s") % times


class CancelLogFormatter(LogFormatter):
    label = _("Cancel publication")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return _("Publication on %(account)s at %(at)s cancelled") % {
            "account": data.get("account", ""),
            "at": _readable(data.get("at", "")),
        }


class NeedsDateLogFormatter(LogFormatter):
    label = _("Approved too late")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return _(
            "Approved after its planned time (%(planned)s): not sent to %(accounts)s. "
            "Choose a new date on the calendar."
        ) % {"planned": _readable(data.get("planned", "")), "accounts": data.get("accounts", "")}


@hooks.register("register_log_actions")
def publishing_log_actions(actions):
    actions.register_action("publishing.reschedule")(RescheduleLogFormatter)
    actions.register_action("publishing.cancel")(CancelLogFormatter)
    actions.register_action("publishing.needs_date")(NeedsDateLogFormatter)


@hooks.register("construct_homepage_panels")
def add_scheduler_health_panel(request, panels):
    panels.append(SchedulerHealthPanel())


@hooks.register("register_admin_urls")
def publishing_admin_urls():
    return [
        path("publishing/send-now/<int:post_id>/", views.send_now, name="publishing_send_now"),
        path(
            "publishing/post/<int:post_id>/cancel-publications/",
            views.post_publications_cancel,
            name="publishing_post_publications_cancel",
        ),
        path(
            "publishing/publication/<int:publication_id>/retry/",
            views.publication_retry,
            name="publishing_publication_retry",
        ),
        path(
            "publishing/publication/<int:publication_id>/cancel/",
            views.publication_cancel,
            name="publishing_publication_cancel",
        ),
        path("publishing/check/", views.check_variant, name="publishing_check_variant"),
    ]


class PermissionMenuItem(MenuItem):
    """A menu item shown to those with one permission."""

    def __init__(self, *args, permission, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_snippet_listing_buttons")
def send_now_listing_button(snippet, user, next_url=None):
    if isinstance(snippet, Post) and snippet.live and user.has_perm("publishing.send_now"):
        yield Button(
            _("Send now"),
            reverse("publishing_send_now", args=[snippet.pk]),
            icon_name="upload",
            priority=50,
        )


@hooks.register("insert_global_admin_js")
def live_counter_js():
    return format_html(
        '<script src="{}" data-check-url="{}" id="crieur-live-counter" defer></script>',
        static("publishing/live_counter.js"),
        reverse("publishing_check_variant"),
    )


class BroadcastSetupViewSet(WordedViewSetMixin, SnippetViewSet):
    """Administrators set each WhatsApp number's mode, approved template and channel admins."""

    model = BroadcastSetup
    icon = "mail"
    menu_label = _("WhatsApp broadcast settings")
    add_to_settings_menu = True
    wording = Wording(
        add=_("Add WhatsApp broadcast settings"),
        new=_("New WhatsApp broadcast settings"),
        created=_("WhatsApp broadcast settings of “%(object)s” created."),
        updated=_("WhatsApp broadcast settings of “%(object)s” saved."),
        deleted=_("WhatsApp broadcast settings of “%(object)s” deleted."),
    )
    list_display = ["account", "mode", "template_name"]


class SubscriberViewSet(WordedViewSetMixin, SnippetViewSet):
    """The citizens who opted in to a WhatsApp list; they subscribe and leave by message."""

    model = Subscriber
    icon = "group"
    # The plural names the model in sentences too, where it is not capitalised.
    menu_label = capfirst(_("WhatsApp subscribers"))
    add_to_settings_menu = True
    wording = Wording(
        add=_("Add a WhatsApp subscriber"),
        new=_("New WhatsApp subscriber"),
        created=_("WhatsApp subscriber “%(object)s” created."),
        updated=_("WhatsApp subscriber “%(object)s” saved."),
        deleted=_("WhatsApp subscriber “%(object)s” deleted."),
        no_match=_("No WhatsApp subscriber matches your search or filters."),
    )
    list_display = ["phone", "account", "territory", "opted_in_at", "opted_out_at"]
    list_filter = ["account", "territory", "source"]
    search_fields = ["phone"]
    ordering = ["-opted_in_at"]


register_snippet(BroadcastSetupViewSet)
register_snippet(SubscriberViewSet)


@hooks.register("register_admin_urls")
def import_admin_urls():
    return [
        path("publishing/import/", import_views.import_upload, name="publishing_import"),
        path(
            "publishing/import/template.csv",
            import_views.import_template,
            name="publishing_import_template",
        ),
        path(
            "publishing/import/<int:job_id>/",
            import_views.import_report,
            name="publishing_import_report",
        ),
        path(
            "publishing/import/<int:job_id>/progress/",
            import_views.import_progress,
            name="publishing_import_progress",
        ),
    ]


class ImportMenuItem(MenuItem):
    """Shown to whoever may import (permissions.may_import: by role)."""

    def is_shown(self, request):
        return may_import(request.user)


@hooks.register("register_admin_menu_item")
def import_menu_item():
    return ImportMenuItem(
        _("Import posts"), reverse("publishing_import"), icon_name="upload", order=210
    )


@hooks.register("register_admin_urls")
def calendar_admin_urls():
    return [
        path("publishing/calendar/", calendar_views.calendar, name="publishing_calendar"),
        path(
            "publishing/calendar/move/",
            calendar_views.calendar_move,
            name="publishing_calendar_move",
        ),
        path(
            "publishing/calendar/move/<str:kind>/<int:pk>/",
            calendar_views.calendar_move_form,
            name="publishing_calendar_move_form",
        ),
        path(
            "publishing/calendar/feed/reset/",
            calendar_views.calendar_feed_reset_view,
            name="publishing_calendar_feed_reset",
        ),
    ]


@hooks.register("register_admin_menu_item")
def calendar_menu_item():
    return PermissionMenuItem(
        _("Calendar"),
        reverse("publishing_calendar"),
        icon_name="date",
        order=200,
        permission="cms.view_post",
    )


# -- What publishing adds to posts (cms.extensions) and to their approval trail
# (workflows.extensions): the apps below publishing ask, publishing answers.


@hooks.register(cms_extensions.NETWORKS_TAB_PANELS)
def network_checks_panel():
    return [NetworkChecksPanel(heading=_("What each network will get"))]


@hooks.register(cms_extensions.EDIT_BUTTONS)
def cancel_publications_button(post, user):
    """An edited approved post keeps its publications until the new version is approved;
    its author (or whoever schedules) may stop them before that."""
    if not may_cancel_post_publications(user, post):
        return []
    if not Publication.objects.open().filter(post=post).exists():
        return []
    return [
        Button(
            _("Cancel the scheduled publications"),
            url=reverse("publishing_post_publications_cancel", args=[quote(post.pk)]),
            icon_name="cross",
            priority=50,
        )
    ]


@hooks.register(cms_extensions.POST_KEEPS_TRAIL)
def post_has_publications(post) -> bool:
    return Publication.objects.filter(post=post).exists()


@hooks.register(cms_extensions.POST_ARCHIVING)
def archived_post_publications_cancel(post, by) -> None:
    """An archived post goes out nowhere: what is scheduled for it is cancelled."""
    post_publications_cancel(post=post, by=by)


@hooks.register(cms_extensions.REVISIONS_TO_GO_OUT)
def revisions_to_go_out():
    # Not gone out and not given up: a failed or missed one may still be tried again.
    return Publication.objects.exclude(
        state__in=[Publication.State.PUBLISHED, Publication.State.CANCELLED]
    ).values("revision_id")


@hooks.register(cms_extensions.DOCUMENT_GONE_OUT)
def document_gone_out(document_id) -> bool:
    # The version that went out, not the post's current one: a later approved version's
    # new document stays private until that version goes out too.
    return Publication.objects.filter(
        state=Publication.State.PUBLISHED, revision__content__document=document_id
    ).exists()


@hooks.register(workflows_extensions.TRAIL_PUBLICATIONS)
def trail_publications(post_ids):
    return (
        Publication.objects.filter(post_id__in=post_ids)
        .select_related("account")
        .order_by("scheduled_at", "pk")
    )


@hooks.register(workflows_extensions.POSTS_PLANNED_BETWEEN)
def posts_planned_between(begin, stop):
    planned = Publication.objects.all()
    if begin is not None:
        planned = planned.filter(scheduled_at__gte=begin)
    if stop is not None:
        planned = planned.filter(scheduled_at__lt=stop)
    return planned.values_list("post_id", flat=True).distinct()


@hooks.register(workflows_extensions.REVISIONS_WITH_A_DATE)
def revisions_with_a_date():
    return Publication.objects.going_out().values("revision_id")
