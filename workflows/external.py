"""Approval by people without an account: signed, single-use, expiring links by e-mail."""


def approval_links_send(*, task_state_id: int) -> None:
    """Send each external approver of the round their link."""


def approval_links_remind(*, task_state_id: int) -> None:
    """Send the approvers who have not decided their link again, as a reminder."""
