"""Dashboard panels of approval, and the approval trail's pages."""

from django.contrib.admin.utils import quote
from django.template.loader import get_template
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets.button import Button

from cms import extensions as cms_extensions

from . import selectors, trail_views

PANEL_SIZE = 10


class ApprovalPanel(Component):
    """A dashboard list of at most PANEL_SIZE posts, with a link to the full list."""

    list_name = ""

    def items(self, user):
        raise NotImplementedError

    def is_shown(self, user, items) -> bool:
        return True

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        # One more than shown tells whether there are more, without counting them all.
        items = list(self.items(request.user)[: PANEL_SIZE + 1])
        return {
            "request": request,
            "items": items[:PANEL_SIZE],
            "more_url": (
                reverse("workflows_approval_list", args=[self.list_name])
                if len(items) > PANEL_SIZE
                else ""
            ),
            "can_edit": request.user.has_perm("cms.change_post"),
            "shown": self.is_shown(request.user, items),
        }

    def render_html(self, parent_context=None):
        context = self.get_context_data(parent_context)
        if not context["shown"]:
            return ""
        return get_template(self.template_name).render(context)


class WaitingForDecisionPanel(ApprovalPanel):
    name = "waiting_for_decision"
    order = 20
    template_name = "workflows/panels/waiting.html"
    list_name = "waiting"

    def items(self, user):
        return selectors.waiting_for_decision(user=user)

    def is_shown(self, user, items) -> bool:
        return bool(items) or selectors.may_decide(user=user)


class RoundsAfterPlannedPanel(ApprovalPanel):
    """The author's posts whose round may end after their planned time (shown only then)."""

    name = "rounds_after_planned"
    order = 25
    template_name = "workflows/panels/after_planned.html"
    list_name = "after-planned"

    def items(self, user):
        return selectors.rounds_after_planned(user=user)

    def is_shown(self, user, items) -> bool:
        return bool(items)


class SentBackPanel(ApprovalPanel):
    name = "sent_back"
    order = 30
    template_name = "workflows/panels/sent_back.html"
    list_name = "sent-back"

    def items(self, user):
        return selectors.sent_back_to(user=user)

    def is_shown(self, user, items) -> bool:
        return bool(items) or user.has_perm("cms.add_post")


class ToSchedulePanel(ApprovalPanel):
    name = "approved_to_schedule"
    order = 40
    template_name = "workflows/panels/to_schedule.html"
    list_name = "to-schedule"

    def items(self, user):
        return selectors.approved_to_schedule(user=user)

    def is_shown(self, user, items) -> bool:
        return selectors.may_schedule(user=user)


@hooks.register("construct_homepage_panels")
def add_approval_panels(request, panels):
    # Wagtail's own approval panels list the same posts, without deadlines or comments.
    replaced = {"workflow_objects_to_moderate", "user_objects_in_workflow_moderation"}
    panels[:] = [panel for panel in panels if getattr(panel, "name", "") not in replaced]
    panels.extend(
        [
            WaitingForDecisionPanel(),
            RoundsAfterPlannedPanel(),
            SentBackPanel(),
            ToSchedulePanel(),
        ]
    )


@hooks.register("register_admin_urls")
def approval_admin_urls():
    return [
        path(
            "approval/posts/<int:pk>/approval-trail/",
            trail_views.approval_trail,
            name="workflows_approval_trail",
        ),
        path(
            "approval/posts/<int:pk>/approval-trail.csv",
            trail_views.approval_trail_csv,
            name="workflows_approval_trail_csv",
        ),
        path(
            "approval/approval-trail/export/",
            trail_views.approval_trail_export,
            name="workflows_approval_trail_export",
        ),
        path(
            "approval/lists/<slug:which>/",
            trail_views.approval_list,
            name="workflows_approval_list",
        ),
    ]


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_reports_menu_item")
def approval_trail_menu_item():
    return PermissionMenuItem(
        _("Approval trail (CSV)"),
        reverse("workflows_approval_trail_export"),
        icon_name="tasks",
        order=700,
        permission=trail_views.VIEW_PERMISSION,
    )


@hooks.register(cms_extensions.EDIT_BUTTONS)
def approval_trail_button(post, user):
    """The post editor's "more" menu leads to the post's approval trail."""
    return [
        Button(
            _("Approval trail"),
            url=reverse("workflows_approval_trail", args=[quote(post.pk)]),
            icon_name="tasks",
            priority=40,
        )
    ]
