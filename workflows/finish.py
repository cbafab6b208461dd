"""WAGTAIL_FINISH_WORKFLOW_ACTION: imported while Wagtail's models load, so it imports late."""


def workflow_finish(workflow_state, user=None) -> None:
    from .services import approved_revision_publish

    approved_revision_publish(workflow_state=workflow_state, user=user)
