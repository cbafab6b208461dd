"""The post editor's « Submit to … » button names the circuit chosen in the form.

Wagtail writes the label once, from the saved post; the submission itself uses the
circuit chosen in the same click (cms.views.ChosenCircuitMixin). The button carries the
label of every circuit the form offers, and a small script follows the choice.
"""

import json

from django.utils.translation import gettext
from wagtail.models import Workflow, WorkflowState
from wagtail.snippets.action_menu import SubmitForModerationMenuItem


def submit_labels(*, model, post=None) -> dict[str, str]:
    """The submit button's label for each active circuit, by id; under "" the one used
    when no circuit is chosen (the circuit assigned to posts)."""
    state = post.current_workflow_state if post is not None and post.pk else None
    sent_back = state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES

    def label(workflow) -> str:
        if workflow is None:
            return ""
        if sent_back and state.workflow_id == workflow.pk:
            # Wagtail's own wording: the post goes back to the round that sent it back.
            return gettext("Resubmit to %(task_name)s") % {
                "task_name": state.current_task_state.task.name
            }
        return gettext("Submit to %(workflow_name)s") % {"workflow_name": workflow.name}

    labels = {"": label(model.get_default_workflow())}
    for workflow in Workflow.objects.filter(active=True).order_by("pk"):
        labels[str(workflow.pk)] = label(workflow)
    return labels


class CircuitSubmitMenuItem(SubmitForModerationMenuItem):
    template_name = "workflows/action_menu/submit.html"

    class Media:
        js = ["workflows/circuit_label.js"]

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        labels = submit_labels(model=parent_context["model"], post=parent_context.get("instance"))
        context["circuit_labels"] = json.dumps(labels, ensure_ascii=False)
        return context
