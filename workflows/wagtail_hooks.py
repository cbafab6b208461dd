"""The workflows part of the admin; the notifications and the dashboard's panels and trail
register their own hooks in the modules imported below."""

from django.contrib import messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from cms import extensions as cms_extensions
from cms.models import Post
from cms.words import date_words

from . import dashboard_hooks, external_hooks, notification_hooks  # noqa: F401
from .action_menu import CircuitSubmitMenuItem
from .models import Decision
from .roles import circuit_refused_to
from .services import round_ends_after_planned
from .users import bulk_action_refusal

# Deactivating, deleting or giving a role to a superuser is for superusers only.
hooks.register("before_bulk_action", bulk_action_refusal)
# The post editor offers a reserved circuit (the crisis fast track) only to its role.
hooks.register(cms_extensions.CIRCUIT_REFUSED, circuit_refused_to)


@hooks.register(cms_extensions.POST_KEEPS_TRAIL)
def post_has_decisions(post) -> bool:
    """A post someone decided on is a record: removing it archives it."""
    return Decision.objects.filter(revision__in=post.revisions).exists()


class PartialApprovalLogFormatter(LogFormatter):
    label = _("Approval (more approvers needed)")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return _("%(name)s approved in “%(round)s”; the round waits for its other members.") % {
            "name": data.get("name", ""),
            "round": data.get("round", ""),
        }


@hooks.register("register_log_actions")
def workflows_log_actions(actions):
    actions.register_action("workflows.partial_approval")(PartialApprovalLogFormatter)


@hooks.register("construct_snippet_action_menu")
def submit_label_follows_the_circuit(menu_items, request, context):
    """« Submit to … » names the circuit chosen in the form, before it is saved."""
    if context.get("model") is not Post:
        return
    for index, item in enumerate(menu_items):
        if item.name == "action-submit" and not isinstance(item, CircuitSubmitMenuItem):
            menu_items[index] = CircuitSubmitMenuItem(order=item.order)


# The actions after which a round may have started: a submission, or a decision that
# moved the post on to its next round.
ROUND_STARTING_ACTIONS = ("action-submit", "action-restart-workflow", "action-workflow-action")


def round_after_planned_warning(request, instance):
    """Whoever just sent a post into a round that may end after its planned time is told
    at once (its approvers and its author are notified: workflows.services.round_started)."""
    if not isinstance(instance, Post) or not any(
        request.POST.get(action) for action in ROUND_STARTING_ACTIONS
    ):
        return None
    post = Post.objects.get(pk=instance.pk)
    task_state = post.current_workflow_task_state
    if task_state is None or not round_ends_after_planned(
        task_state=task_state.specific, post=post
    ):
        return None
    messages.warning(
        request,
        gettext(
            "“%(post)s” is planned for %(planned)s, but the round “%(round)s” may last until "
            "%(deadline)s. If the approval comes later, the post waits for a new date: ask "
            "the approvers to decide before, or plan it later."
        )
        % {
            "post": post.title,
            "planned": date_words(post.planned_at),
            "round": task_state.task.name,
            "deadline": date_words(task_state.specific.deadline),
        },
    )
    return None


hooks.register("after_create_snippet", round_after_planned_warning)
hooks.register("after_edit_snippet", round_after_planned_warning)
