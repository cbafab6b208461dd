"""Admin views of the cms app that Wagtail does not provide."""

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import log
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.views.snippets import (
    CopyView,
    CreateView,
    DeleteView,
    EditView,
    PreviewOnEditView,
)

from . import extensions
from .models import Post
from .permissions import in_current_round
from .selectors import field_changes
from .services import post_keeps_trail, post_remove


class ChosenCircuitMixin:
    """Submitting sends the post through the circuit chosen in the form being submitted.

    Wagtail works out the circuit once, when the request starts, from the saved post;
    a circuit chosen in the same click would be ignored.

    A reserved circuit (the crisis fast track) is checked against the person who
    submits, when they submit: a post put on the fast track by the crisis cell cannot
    be sent through it by someone else.
    """

    def is_valid(self, form):
        if not super().is_valid(form):
            return False
        if self.action in ("submit", "restart-workflow"):
            problem = reserved_circuit_problem(user=self.request.user, post=form.instance)
            if problem:
                field = "approval_workflow" if "approval_workflow" in form.fields else None
                form.add_error(field, problem)
                self.produced_error_message = self.get_error_message()
                return False
        return True

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


def reserved_circuit_problem(*, user, post) -> str | None:
    """Why `user` may not send `post` through the circuit it would go through now."""
    workflow = post.get_workflow()
    if workflow is None or not extensions.circuit_refused(user=user, workflow=workflow):
        return None
    return _(
        "The circuit “%(name)s” is reserved to the crisis cell: choose another "
        "circuit, or ask the crisis cell to send this post."
    ) % {"name": workflow.name}


class NoPostBeforeSaveMixin:
    """No post exists until its author saves it: no autosave on the forms that create one.

    Wagtail's autosave would create the post at the first keystroke (an abandoned
    attempt left a draft behind, on the calendar too), and report "validation errors"
    while the author had simply not written the text yet. Autosave starts once the post
    exists, in its editor. A request of a page loaded before this (an autosave posting
    JSON) creates nothing either.
    """

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.autosave_enabled = False

    def post(self, request, *args, **kwargs):
        if self.expects_json_response:
            return self.json_error_response(
                "autosave_off",
                _("Nothing is saved automatically before the post exists: click Save."),
            )
        return super().post(request, *args, **kwargs)


class PostCreateView(NoPostBeforeSaveMixin, ChosenCircuitMixin, CreateView):
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

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and self.object.archived_at is not None:
            # An archived post is a record: it is read, never changed or submitted again.
            messages.error(
                request,
                _("“%(title)s” is archived: it can no longer be changed or submitted.")
                % {"title": self.object.title},
            )
            return redirect(self.get_edit_url())
        return super().dispatch(request, *args, **kwargs)

    def save_instance(self):
        if self.action == "workflow-action" and not self.form.has_changed():
            self.new_revision = None
            return self.object
        return super().save_instance()

    @cached_property
    def header_more_buttons(self):
        # The approval trail, cancelling publications: what the apps above cms add.
        return [
            *super().header_more_buttons,
            *extensions.edit_buttons(post=self.object, user=self.request.user),
        ]


class PostCopyView(NoPostBeforeSaveMixin, ChosenCircuitMixin, CopyView):
    """Copying a post makes a new draft with its content; the original is untouched.

    Wagtail's copy form is bound to the original: saving it would overwrite the post,
    even one in a round or approved. Here the form is bound to an unsaved copy with
    no approval, circuit state or publications, authored by whoever saves it.
    """

    def get_object(self, queryset=None):
        if not hasattr(self, "draft"):
            self.original = super().get_object(queryset)
            self.draft = self.original.copy_as_draft()
        return self.draft

    def get_initial_form_instance(self):
        return self.get_object()  # Django's create view resets self.object to None

    def save_instance(self):
        self.form.instance.created_by = self.request.user
        instance = super().save_instance()
        log(
            instance=instance,
            action="cms.copy",
            user=self.request.user,
            data={"source": {"id": self.original.pk, "title": self.original.title}},
        )
        return instance


class PostPreviewOnEditView(PreviewOnEditView):
    """The people of the post's current round preview it, as Wagtail opens the editor to
    them: its preview panel and « open in a new tab » ask for the change permission,
    which approvers do not hold (a blank panel, then a refusal, for a director)."""

    def _in_round(self, post) -> bool:
        return in_current_round(post=post, user=self.request.user)

    def user_has_permission_for_instance(self, permission, instance):
        if super().user_has_permission_for_instance(permission, instance):
            return True
        return permission == "change" and self._in_round(instance)

    def user_has_permission(self, permission):
        if super().user_has_permission(permission):
            return True
        post = getattr(self, "object", None)
        return permission == "change" and post is not None and self._in_round(post)


class PostDeleteView(DeleteView):
    """A post with a trail (a circuit, decisions, publications) is archived, not deleted
    (cms.services.post_remove)."""

    @cached_property
    def archives(self) -> bool:
        return post_keeps_trail(post=self.object)

    @property
    def confirmation_message(self):
        if self.archives:
            return _(
                "This post went through an approval circuit or has publications: it will be "
                "archived, not deleted. Its approval trail and publications are kept, its "
                "scheduled publications are cancelled, and it leaves the list of posts."
            )
        return super().confirmation_message

    def delete_action(self):
        self.outcome = post_remove(post=self.object, by=self.request.user)

    def get_success_message(self):
        if getattr(self, "outcome", None) == "archived":
            return _("“%(title)s” is archived: its approval trail is kept.") % {
                "title": self.object.title
            }
        return super().get_success_message()


class PostDeleteBulkAction(DeleteBulkAction):
    """Wagtail's bulk delete for posts: posts with a trail are archived, the others deleted."""

    models = [Post]
    template_name = "cms/bulk_actions/confirm_bulk_delete_posts.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["archived_items"] = [
            item for item in self.get_actionable_objects()[0] if post_keeps_trail(post=item)
        ]
        return context

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        if user is None:
            raise PermissionDenied
        outcomes = [post_remove(post=post, by=user) for post in objects]
        # Wagtail counts "parent" and "child" objects; here: deleted, then archived.
        return outcomes.count("deleted"), outcomes.count("archived")

    def get_success_message(self, num_parent_objects, num_child_objects):
        if not num_child_objects:
            return super().get_success_message(num_parent_objects, num_child_objects)
        return ngettext(
            "%(deleted)d post deleted; %(archived)d post archived with its approval trail.",
            "%(deleted)d posts deleted; %(archived)d posts archived with their approval trail.",
            num_child_objects,
        ) % {"deleted": num_parent_objects, "archived": num_child_objects}

    def get_execution_context(self):
        return {**super().get_execution_context(), "user": self.request.user}


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


__all__ = [
    "FieldChangesView",
    "PostCopyView",
    "PostCreateView",
    "PostDeleteBulkAction",
    "PostDeleteView",
    "PostEditView",
    "PostPreviewOnEditView",
    "changes_edit_view",
]
