"""From the last approval to publications: exactly the approved revision, at its time."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from cms.models import Post, Variant
from publishing.models import Publication
from tests.factories import PostFactory
from workflows import roles
from workflows.models import round_decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


@pytest.fixture
def director(roles_people):
    return roles_people[roles.DIRECTOR.key]


def planned_post(author, accounts, *, at, text="Le marché de Noël ouvre samedi."):
    post = PostFactory(created_by=author, text=text, planned_at=at)
    post.variants = [Variant(account=account) for account in accounts]
    post.save()
    post.save_revision(user=author)
    return Post.objects.get(pk=post.pk)


def submit(post, author):
    post.get_workflow().start(post, author)
    return Post.objects.get(pk=post.pk)


def approve(post, director, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        round_decide(
            task_state=post.current_workflow_task_state.specific, verdict="approve", user=director
        )
    return Post.objects.get(pk=post.pk)


def test_approval_creates_one_publication_per_account_for_the_reviewed_revision(
    author, director, five_accounts, django_capture_on_commit_callbacks
):
    at = timezone.now() + timedelta(hours=3)
    post = submit(
        planned_post(author, [five_accounts["x"], five_accounts["facebook"]], at=at), author
    )
    reviewed = post.current_workflow_task_state.revision

    post = approve(post, director, django_capture_on_commit_callbacks)

    publications = Publication.objects.filter(post=post)
    assert {p.account.network for p in publications} == {"x", "facebook"}
    assert {p.revision_id for p in publications} == {reviewed.pk} == {post.live_revision_id}
    assert {p.scheduled_at for p in publications} == {at}
    assert {p.state for p in publications} == {Publication.State.SCHEDULED}


def test_an_edit_after_approval_needs_approval_and_moves_the_publications_only_then(
    author, director, five_accounts, django_capture_on_commit_callbacks
):
    at = timezone.now() + timedelta(hours=3)
    post = approve(
        submit(planned_post(author, [five_accounts["x"]], at=at), author),
        director,
        django_capture_on_commit_callbacks,
    )
    first = Publication.objects.get(post=post)
    approved = first.revision_id

    post.text = "Le marché de Noël ouvre samedi à 10 h."
    [variant] = post.variants.all()
    post.variants = [variant]
    post.save_revision(user=author)

    post = Post.objects.get(pk=post.pk)
    assert post.approval_status.code == "approved_changed"
    first.refresh_from_db()
    assert first.revision_id == approved  # still the approved text until the new one is
    assert first.state == Publication.State.SCHEDULED

    post = submit(post, author)
    first.refresh_from_db()
    assert first.revision_id == approved  # submitting is not approving
    post = approve(post, director, django_capture_on_commit_callbacks)

    first.refresh_from_db()
    assert Publication.objects.filter(post=post).count() == 1
    assert first.revision_id == post.live_revision_id != approved
    assert first.revision.as_object().text == "Le marché de Noël ouvre samedi à 10 h."
    assert first.state == Publication.State.SCHEDULED


def test_the_author_can_cancel_the_publications_of_the_approved_version(
    client, author, director, five_accounts, django_capture_on_commit_callbacks
):
    at = timezone.now() + timedelta(hours=3)
    post = approve(
        submit(
            planned_post(author, [five_accounts["x"], five_accounts["linkedin"]], at=at), author
        ),
        director,
        django_capture_on_commit_callbacks,
    )
    client.force_login(author)
    url = reverse("publishing_post_publications_cancel", args=[post.pk])
    editor = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk]))
    assert url in editor.content.decode()  # offered in the post's "more" menu

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert Publication.objects.filter(post=post, state="scheduled").count() == 2  # asked only

    response = client.post(url)

    assert response.status_code == 302
    assert set(Publication.objects.filter(post=post).values_list("state", flat=True)) == {
        Publication.State.CANCELLED
    }
    assert (
        ModelLogEntry.objects.filter(action="publishing.cancel", object_id=str(post.pk)).count()
        == 2
    )


def test_a_director_cannot_cancel_the_publications(
    client, author, director, five_accounts, django_capture_on_commit_callbacks
):
    at = timezone.now() + timedelta(hours=3)
    post = approve(
        submit(planned_post(author, [five_accounts["x"]], at=at), author),
        director,
        django_capture_on_commit_callbacks,
    )
    client.force_login(director)

    client.post(reverse("publishing_post_publications_cancel", args=[post.pk]))

    assert Publication.objects.get(post=post).state == Publication.State.SCHEDULED


def test_an_approval_after_the_planned_time_does_not_publish_late(
    author, director, five_accounts, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post = submit(
            planned_post(author, [five_accounts["x"]], at=start + timedelta(hours=1)), author
        )
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        post = approve(post, director, django_capture_on_commit_callbacks)

    assert post.live
    assert not Publication.objects.filter(post=post).exists()
    entry = ModelLogEntry.objects.get(action="publishing.needs_date", object_id=str(post.pk))
    assert str(five_accounts["x"]) in entry.data["accounts"]
