"""A reserved circuit (the crisis fast track) is checked against whoever submits, when
they submit, at every door of the editor."""

import pytest
from django.urls import reverse
from wagtail.models import Workflow, WorkflowState

from cms.models import Post
from tests.factories import PostFactory
from tests.forms import post_form_data
from workflows import roles
from workflows.models import round_decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_track(db):
    return Workflow.objects.get(name=roles.FAST_TRACK.name)


@pytest.fixture
def crisis(roles_people):
    return roles_people[roles.CRISIS_CELL.key]


@pytest.fixture
def author(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


def fast_track_draft(crisis, fast_track):
    post = PostFactory(title="Alerte crue", created_by=crisis, approval_workflow=fast_track)
    post.save_revision(user=crisis)
    return post


def submit(client, user, url, post, **fields):
    client.force_login(user)
    return client.post(
        url,
        post_form_data(
            title=post.title,
            text="Texte modifié par la personne qui soumet.",
            approval_workflow=post.approval_workflow_id or "",
            **fields,
            **{"action-submit": "1"},
        ),
    )


def states(post):
    return WorkflowState.objects.filter(object_id=str(post.pk))


def test_a_community_manager_cannot_submit_a_draft_left_on_the_fast_track(
    client, author, crisis, fast_track
):
    post = fast_track_draft(crisis, fast_track)
    url = reverse("wagtailsnippets_cms_post:edit", args=[post.pk])

    response = submit(client, author, url, post)

    assert response.status_code == 200  # the form comes back with the reason, text kept
    assert "Texte modifié par la personne qui soumet.".encode() in response.content
    assert not states(post).exists()


def test_a_community_manager_cannot_resubmit_a_fast_track_post_sent_back(
    client, author, crisis, fast_track
):
    from tests.factories import UserFactory

    post = fast_track_draft(crisis, fast_track)
    fast_track.start(post, crisis)
    task_state = Post.objects.get(pk=post.pk).current_workflow_task_state.specific
    round_decide(task_state=task_state, verdict="reject", user=UserFactory(role=roles.CRISIS_CELL))
    post = Post.objects.get(pk=post.pk)
    assert post.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES

    response = submit(
        client, author, reverse("wagtailsnippets_cms_post:edit", args=[post.pk]), post
    )

    assert response.status_code == 200
    state = Post.objects.get(pk=post.pk).current_workflow_state
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES


def test_a_community_manager_cannot_copy_a_fast_track_post_into_the_fast_track(
    client, author, crisis, fast_track
):
    post = fast_track_draft(crisis, fast_track)

    response = submit(
        client, author, reverse("wagtailsnippets_cms_post:copy", args=[post.pk]), post
    )

    assert response.status_code == 200
    assert not WorkflowState.objects.filter(workflow=fast_track).exists()


def test_the_crisis_cell_submits_its_draft_through_the_fast_track(client, crisis, fast_track):
    post = fast_track_draft(crisis, fast_track)

    response = submit(
        client, crisis, reverse("wagtailsnippets_cms_post:edit", args=[post.pk]), post
    )

    assert response.status_code == 302
    assert Post.objects.get(pk=post.pk).current_workflow_state.workflow == fast_track


def test_a_community_manager_may_move_the_draft_to_the_standard_circuit_and_submit(
    client, author, crisis, fast_track
):
    post = fast_track_draft(crisis, fast_track)
    standard = Workflow.objects.get(name=roles.STANDARD.name)
    client.force_login(author)

    response = client.post(
        reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
        post_form_data(title=post.title, text=post.text, approval_workflow=standard.pk)
        | {"action-submit": "1"},
    )

    assert response.status_code == 302, response.content[:2000]
    assert Post.objects.get(pk=post.pk).current_workflow_state.workflow == standard
