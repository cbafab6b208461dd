"""An external approver whose link never left gets it on the next watch."""

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from wagtail.models import Workflow

from cms.models import Post
from tests.factories import PostFactory
from workflows import roles
from workflows.models import ApprovalLink, ExternalApprover, ExternalRound, round_decide
from workflows.services import rounds_watch

pytestmark = pytest.mark.django_db


class DownMailServer(BaseEmailBackend):
    """A mail server that refuses every message (an outage)."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def in_the_elected_round(author, director, capture):
    post = PostFactory(
        created_by=author, approval_workflow=Workflow.objects.get(name=roles.SENSITIVE.name)
    )
    post.save_revision(user=author)
    with capture(execute=True):
        post.get_workflow().start(post, author)
        round_decide(
            task_state=Post.objects.get(pk=post.pk).current_workflow_task_state.specific,
            verdict="approve",
            user=director,
        )
    return Post.objects.get(pk=post.pk)


def test_a_link_the_mail_server_refused_is_sent_on_the_next_watch(
    roles_people, settings, django_capture_on_commit_callbacks
):
    elected = ExternalApprover.objects.create(name="Élise Petit", email="elise@example.org")
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(elected)
    settings.EMAIL_BACKEND = "tests.workflows.test_link_retry.DownMailServer"

    post = in_the_elected_round(
        roles_people[roles.COMMUNITY_MANAGER.key],
        roles_people[roles.DIRECTOR.key],
        django_capture_on_commit_callbacks,
    )
    assert post.current_workflow_task.name == roles.ELECTED_ROUND.name
    assert not ApprovalLink.objects.exists()  # rolled back with the failed e-mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert rounds_watch()["links_retried"] == 1
    assert rounds_watch()["links_retried"] == 0  # once

    [email] = mail.outbox
    assert email.to == ["elise@example.org"]
    assert ApprovalLink.objects.get().approver == elected


def test_an_approver_added_to_a_running_round_gets_a_link(
    roles_people, django_capture_on_commit_callbacks
):
    post = in_the_elected_round(
        roles_people[roles.COMMUNITY_MANAGER.key],
        roles_people[roles.DIRECTOR.key],
        django_capture_on_commit_callbacks,
    )
    assert post.current_workflow_task.name == roles.ELECTED_ROUND.name
    late = ExternalApprover.objects.create(name="Paul Roux", email="paul@example.org")
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(late)

    mail.outbox.clear()

    rounds_watch()

    assert [m.to for m in mail.outbox] == [["paul@example.org"]]
