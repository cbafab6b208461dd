"""Telling the team what needs them: a notification in the admin, and an e-mail if wanted."""

from .models import Notification


def notify(
    *,
    kind: str,
    recipients,
    post=None,
    actor: str = "",
    round_name: str = "",
    comment: str = "",
    detail: str = "",
    url: str = "",
) -> list[Notification]:
    """One notification per recipient; e-mails leave once the transaction commits."""
    return Notification.objects.bulk_create(
        [
            Notification(
                recipient=person,
                kind=kind,
                post=post,
                actor=actor,
                round_name=round_name,
                comment=comment,
                detail=detail,
                url=url,
            )
            for person in recipients
        ]
    )
