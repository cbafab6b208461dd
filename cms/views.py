"""Admin views of the cms app that Wagtail does not provide."""

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import CreateView, EditView

from .selectors import field_changes


class ChosenCircuitMixin:
    """Submitting sends the post through the circuit chosen in the form being submitted.

    Wagtail works out the circuit once, when the request starts, from the saved post;
    a circuit chosen in the same click would be ignored.
    """

    def submit_action(self):
        self.__dict__.pop("workflow", None)  # Wagtail's cached_property, read afresh
        state = getattr(self, "workflow_state", None)
        if (
            state is not None
            and state.status == state.STATUS_NEEDS_CHANGES
            and state.workflow_id != getattr(self.workflow, "pk", None)
        ):
            # Sent back, then moved to another circuit: the new circuit starts afresh.
            state.cancel(user=self.request.user)
            self.workflow.start(self.object, self.request.user)
            return None
        return super().submit_action()

    def restart_workflow_action(self):
        self.__dict__.pop("workflow", None)
        return super().restart_workflow_action()

    def get_success_message(self, *args):
        if self.action == "workflow-action":
            return self._decision_message()
        if self.action not in ("submit", "restart-workflow"):
            return super().get_success_message(*args)
        # Says where the post now is: Wagtail's French wording for a submission reads
        # "scheduled for publishing", and an automatic check may have sent it back.
        state = type(self.object).objects.get(pk=self.object.pk).current_workflow_state
        if state is None:
            return super().get_success_message(*args)
        task_state = state.current_task_state
        if state.status == state.STATUS_NEEDS_CHANGES:
            messages.warning(
                self.request,
                _("“%(title)s” was sent back at once by “%(round)s”: %(comment)s")
                % {
                    "title": self.object.title,
                    "round": task_state.task.name,
                    "comment": task_state.comment,
                },
            )
            return None
        return _(
            "“%(title)s” is submitted to the circuit “%(circuit)s”; it now waits for “%(round)s”."
        ) % {
            "title": self.object.title,
            "circuit": state.workflow.name,
            "round": task_state.task.name if task_state else "",
        }

    def _decision_message(self):
        """After an approver's decision: approved, sent back, or which round comes next."""
        post = type(self.object).objects.get(pk=self.object.pk)
        state = post.current_workflow_state
        if state is None and post.live:
            return _("“%(title)s” is approved.") % {"title": post.title}
        if state is not None and state.status == state.STATUS_NEEDS_CHANGES:
            return _("“%(title)s” is sent back to its author with your comment.") % {
                "title": post.title
            }
        if state is not None:
            return _("Your decision is recorded; “%(title)s” now waits for “%(round)s”.") % {
                "title": post.title,
                "round": state.current_task_state.task.name,
            }
        return _("Your decision is recorded.")


class PostCreateView(ChosenCircuitMixin, CreateView):
    """Records who created the post (the author the four-eyes rule refers to)."""

    def save_instance(self):
        self.form.instance.created_by = self.request.user
        return super().save_instance()


class PostEditView(ChosenCircuitMixin, EditView):
    """An approver's click saves no revision when nothing in the form changed.

    Wagtail's editor saves a revision on every action; an "Approve" with an untouched
    form would otherwise leave an empty newer revision, and the post would look as if
    it had changes waiting for approval.
    """

    def save_instance(self):
        if self.action == "workflow-action" and not self.form.has_changed():
            self.new_revision = None
            return self.object
        return super().save_instance()

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                _("Approval trail"),
                url=reverse("workflows_approval_trail", args=[quote(self.object.pk)]),
                icon_name="tasks",
                priority=40,
            )
        )
        if self._may_cancel_publications():
            buttons.append(
                Button(
                    _("Cancel the scheduled publications"),
                    url=reverse(
                        "publishing_post_publications_cancel", args=[quote(self.object.pk)]
                    ),
                    icon_name="cross",
                    priority=50,
                )
            )
        return buttons

    def _may_cancel_publications(self) -> bool:
        """An edited approved post keeps its publications until the new version is
        approved; its author (or whoever schedules) may stop them before that."""
        from publishing.models import Publication
        from publishing.views import may_act_on_publications

        user = self.request.user
        if not (may_act_on_publications(user) or self.object.created_by_id == user.pk):
            return False
        return Publication.objects.filter(
            post=self.object, state__in=[Publication.State.SCHEDULED, Publication.State.FROZEN]
        ).exists()


class ChangesButtonMixin:
    """Adds a "Field changes" button to the edit view's "more" menu."""

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                _("Field changes"),
                url=reverse(self.changes_url_name, args=[quote(self.object.pk)]),
                icon_name="history",
                priority=30,
            )
        )
        return buttons


class FieldChangesView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Every recorded change of one object, field by field (django-simple-history)."""

    template_name = "cms/field_changes.html"
    any_permission_required = ["add", "change", "delete", "view"]
    header_icon = "history"
    model = None
    permission_policy = None
    edit_url_name = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(self.model, pk=kwargs["pk"])

    def get_page_title(self):
        return _("Field changes")

    def get_page_subtitle(self):
        return str(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        context["changes"] = field_changes(instance=self.object)
        context["edit_url"] = reverse(self.edit_url_name, args=[quote(self.object.pk)])
        return context


def changes_edit_view(edit_view_class, changes_url_name):
    return type(
        f"Changes{edit_view_class.__name__}",
        (ChangesButtonMixin, edit_view_class),
        {"changes_url_name": changes_url_name},
    )


__all__ = ["FieldChangesView", "PostCreateView", "PostEditView", "changes_edit_view"]
