"""The Standard and Sensitive circuits run end to end on a post, through the admin."""

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import TaskState, Workflow, WorkflowState

from cms.models import Post
from tests.factories import PostFactory
from tests.forms import post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db


def submit(client, post, author):
    """The author submits the post from the editor (the "Submit" action of the form)."""
    client.force_login(author)
    response = client.post(
        reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
        post_form_data(
            title=post.title,
            text=post.text,
            approval_workflow=post.approval_workflow_id or "",
            **{"action-submit": "1"},
        ),
    )
    assert response.status_code == 302, response.content[:2000]
    post.refresh_from_db()
    return post.current_workflow_state


def act(client, user, post, action, comment=""):
    client.force_login(user)
    state = post.current_workflow_state
    response = client.post(
        reverse(
            "wagtailsnippets_cms_post:workflow_action",
            args=[post.pk, action, state.current_task_state.pk],
        ),
        {"comment": comment},
    )
    assert response.status_code == 302
    post.refresh_from_db()


@pytest.fixture
def people(roles_people):
    return roles_people


def new_post(author, circuit=None):
    post = PostFactory(
        approval_workflow=Workflow.objects.get(name=circuit.name) if circuit else None,
        created_by=author,
    )
    post.save_revision(user=author)
    return post


def test_standard_circuit_submit_then_director_approves(client, people):
    author = people[roles.COMMUNITY_MANAGER.key]
    post = new_post(author)

    state = submit(client, post, author)
    assert state.workflow.name == roles.STANDARD.name
    assert post.approval_status.code == "in_round"

    act(client, people[roles.DIRECTOR.key], post, "approve", "Très bien.")

    post = Post.objects.get(pk=post.pk)
    assert post.live
    assert post.approval_status.code == "approved"
    assert WorkflowState.objects.get(pk=state.pk).status == WorkflowState.STATUS_APPROVED
    assert post.live_revision_id == post.latest_revision_id


def test_sensitive_circuit_needs_the_director_then_the_elected_official(client, people):
    author = people[roles.COMMUNITY_MANAGER.key]
    post = new_post(author, roles.SENSITIVE)

    submit(client, post, author)
    act(client, people[roles.DIRECTOR.key], post, "approve")

    post.refresh_from_db()
    assert not post.live
    assert post.current_workflow_task.name == roles.ELECTED_ROUND.name

    # The director cannot take the elected official's round.
    act(client, people[roles.DIRECTOR.key], post, "approve")
    assert not Post.objects.get(pk=post.pk).live

    act(client, people[roles.ELECTED_OFFICIAL.key], post, "approve")
    assert Post.objects.get(pk=post.pk).live


def test_a_rejection_goes_back_to_the_author_with_the_comment(
    client, people, django_capture_on_commit_callbacks
):
    author = people[roles.COMMUNITY_MANAGER.key]
    post = new_post(author)
    state = submit(client, post, author)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):  # e-mails leave on commit
        act(client, people[roles.DIRECTOR.key], post, "reject", "Précisez les horaires, svp.")

    post = Post.objects.get(pk=post.pk)
    assert not post.live
    assert post.approval_status.code == "sent_back"
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    rejected = TaskState.objects.get(workflow_state=state, status=TaskState.STATUS_REJECTED)
    assert rejected.status == TaskState.STATUS_REJECTED
    assert rejected.get_comment() == "Précisez les horaires, svp."
    assert [message.to for message in mail.outbox] == [[author.email]]
    assert "Précisez les horaires, svp." in mail.outbox[0].body


def test_the_sent_back_post_can_be_resubmitted_and_approved(client, people):
    author = people[roles.COMMUNITY_MANAGER.key]
    post = new_post(author)
    submit(client, post, author)
    act(client, people[roles.DIRECTOR.key], post, "reject", "Trop long.")

    post.text = "Version courte."
    post.save_revision(user=author)
    post.current_workflow_state.resume(user=author)
    act(client, people[roles.DIRECTOR.key], post, "approve")

    post = Post.objects.get(pk=post.pk)
    assert post.live
    assert post.text == "Version courte."


def test_an_edit_during_the_round_needs_its_own_approval(people):
    from workflows.models import round_decide

    author = people[roles.COMMUNITY_MANAGER.key]
    director = people[roles.DIRECTOR.key]
    post = new_post(author)
    state = post.get_workflow().start(post, author)
    review = state.current_task_state

    # A newer draft is saved while the round is open: it is not what the director read.
    post.text = "Texte modifié pendant la validation."
    post.save_revision(user=author)
    round_decide(
        task_state=TaskState.objects.get(pk=review.pk).specific, verdict="approve", user=director
    )

    # The approval counts for the version read; the round asks again for the new one.
    post = Post.objects.get(pk=post.pk)
    assert not post.live
    again = post.current_workflow_task_state
    assert again.pk != review.pk and again.task_id == review.task_id
    assert again.revision_id == post.latest_revision_id
    round_decide(task_state=again.specific, verdict="approve", user=director)
    post = Post.objects.get(pk=post.pk)
    assert post.live
    assert post.text == "Texte modifié pendant la validation."


def test_finishing_a_circuit_approves_the_revision_the_round_reviewed(people):
    from workflows.services import approved_revision_publish

    author = people[roles.COMMUNITY_MANAGER.key]
    post = new_post(author)
    reviewed = post.latest_revision
    state = post.get_workflow().start(post, author)
    post.text = "Brouillon plus récent, jamais relu."
    post.save_revision(user=author)
    state = WorkflowState.objects.get(pk=state.pk)

    approved_revision_publish(workflow_state=state, user=people[roles.DIRECTOR.key])

    post = Post.objects.get(pk=post.pk)
    assert post.live_revision_id == reviewed.pk
    assert post.has_unpublished_changes
    assert post.text == reviewed.as_object().text != "Brouillon plus récent, jamais relu."


def test_the_circuit_chosen_in_the_form_is_the_one_the_submission_starts(client, people):
    author = people[roles.COMMUNITY_MANAGER.key]
    sensitive = Workflow.objects.get(name=roles.SENSITIVE.name)
    client.force_login(author)

    # Chosen while creating, submitted in the same click...
    response = client.post(
        reverse("wagtailsnippets_cms_post:add"),
        post_form_data(title="Nouveau", approval_workflow=sensitive.pk, **{"action-submit": "1"}),
    )
    assert response.status_code == 302, response.content[:2000]
    created = Post.objects.get(title="Nouveau")
    assert created.current_workflow_state.workflow == sensitive

    # ... and changed on a post that was in Standard, submitted in the same click.
    post = new_post(author)
    state = submit(client, post, author)
    assert state.workflow.name == roles.STANDARD.name
    act(client, people[roles.DIRECTOR.key], post, "reject", "Circuit sensible, svp.")
    post.approval_workflow = sensitive
    state = submit(client, post, author)
    assert state.workflow == sensitive
    assert WorkflowState.objects.filter(object_id=str(post.pk), status="cancelled").count() == 1


def test_submitting_says_which_round_waits_or_why_the_check_sent_it_back(
    client, people, five_accounts
):
    from django.contrib.messages import get_messages

    author = people[roles.COMMUNITY_MANAGER.key]
    post = new_post(author)
    client.force_login(author)
    url = reverse("wagtailsnippets_cms_post:edit", args=[post.pk])

    response = client.post(
        url, post_form_data(title=post.title, text=post.text, **{"action-submit": "1"})
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert roles.DIRECTOR_ROUND.name in message and roles.STANDARD.name in message

    other = new_post(author)
    response = client.post(
        reverse("wagtailsnippets_cms_post:edit", args=[other.pk]),
        post_form_data(
            title=other.title,
            text=other.text,
            variants=[(five_accounts["x"], "Bien trop long. " * 30)],
            **{"action-submit": "1"},
        ),
    )
    *_, message = list(get_messages(response.wsgi_request))
    assert message.level_tag == "warning"
    assert roles.POLICY_ROUND.name in str(message) and "280" in str(message)
    assert Post.objects.get(pk=other.pk).approval_status.code == "sent_back"
