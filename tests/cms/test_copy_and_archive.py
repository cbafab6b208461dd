"""Copying a post makes a new draft; deleting a post with a trail archives it, trail kept."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry, WorkflowState

from cms.models import Post, PostImage, Variant
from cms.services import post_remove
from publishing.models import Publication
from tests.factories import ImageFactory, PostFactory
from tests.forms import post_form_data
from workflows import roles
from workflows.models import Decision, round_decide
from workflows.selectors import post_approval_trail

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


@pytest.fixture
def director(roles_people):
    return roles_people[roles.DIRECTOR.key]


@pytest.fixture
def approved(author, director, five_accounts, django_capture_on_commit_callbacks):
    """A post approved through the Standard circuit, with a publication scheduled on X."""
    post = PostFactory(
        title="Fête du lac",
        text="Texte approuvé.",
        created_by=author,
        planned_at=timezone.now() + timedelta(days=2),
    )
    post.variants = [Variant(account=five_accounts["x"])]
    post.save()
    post.save_revision(user=author)
    post.get_workflow().start(post, author)
    task_state = Post.objects.get(pk=post.pk).current_workflow_task_state.specific
    with django_capture_on_commit_callbacks(execute=True):
        round_decide(task_state=task_state, verdict="approve", user=director)
    post = Post.objects.get(pk=post.pk)
    assert post.live and Publication.objects.filter(post=post).count() == 1
    return post


# -- Copy ---------------------------------------------------------------------------------


def test_a_direct_post_to_the_copy_address_makes_a_new_draft_and_leaves_the_original(
    client, author, approved
):
    planned = approved.planned_at
    client.force_login(author)

    response = client.post(
        reverse("wagtailsnippets_cms_post:copy", args=[approved.pk]),
        post_form_data(
            title="Fête du lac",
            text="Texte remplacé par la copie.",
            planned_at=(planned + timedelta(days=40)).strftime("%Y-%m-%d %H:%M"),
        ),
    )

    assert response.status_code == 302, response.content[:2000]
    original = Post.objects.get(pk=approved.pk)
    assert original.text == "Texte approuvé."
    assert original.planned_at == planned
    assert original.live and original.live_revision_id == approved.live_revision_id
    assert original.latest_revision_id == approved.latest_revision_id
    copy = Post.objects.exclude(pk=approved.pk).get()
    assert copy.text == "Texte remplacé par la copie."
    assert not copy.live and copy.live_revision is None
    assert copy.created_by == author
    assert not WorkflowState.objects.filter(object_id=str(copy.pk)).exists()
    assert not Publication.objects.filter(post=copy).exists()
    assert Publication.objects.filter(post=original).count() == 1
    assert ModelLogEntry.objects.filter(object_id=str(copy.pk), action="cms.copy").exists()


def test_the_copy_form_starts_from_the_post_with_its_images_and_versions(
    client, author, five_accounts
):
    image = ImageFactory()
    post = PostFactory(title="Affiche", created_by=author)
    PostImage.objects.create(post=post, image=image, alt_text="Affiche bleue.", sort_order=0)
    post.variants = [Variant(account=five_accounts["x"], text="Version X.")]
    post.save()
    post.save_revision(user=author)
    client.force_login(author)
    url = reverse("wagtailsnippets_cms_post:copy", args=[post.pk])

    page = client.get(url).content.decode()
    # What the browser sends back: the copied rows, with no id of the original's rows.
    data = post_form_data(
        title="Affiche (copie)",
        text=post.text,
        images=[(image, "Affiche bleue.")],
        variants=[(five_accounts["x"], "Version X.")],
    )
    data.update({"images-INITIAL_FORMS": "1", "variants-INITIAL_FORMS": "1"})
    response = client.post(url, data)

    assert "Affiche bleue." in page and "Version X." in page
    assert response.status_code == 302, response.content[:3000]
    copy = Post.objects.get(title="Affiche (copie)")
    assert [i.alt_text for i in copy.images.all()] == ["Affiche bleue."]
    assert [v.text for v in copy.variants.all()] == ["Version X."]
    assert [i.alt_text for i in Post.objects.get(pk=post.pk).images.all()] == ["Affiche bleue."]
    assert Variant.objects.filter(post=post).count() == 1


# -- Delete: archived when the post has a trail -------------------------------------------


def test_deleting_an_approved_post_archives_it_and_keeps_its_decisions(client, author, approved):
    decisions = set(
        Decision.objects.filter(task_state__workflow_state__object_id=str(approved.pk)).values_list(
            "pk", flat=True
        )
    )
    client.force_login(author)
    url = reverse("wagtailsnippets_cms_post:delete", args=[approved.pk])

    confirm = client.get(url)
    response = client.post(url)

    assert confirm.status_code == 200
    assert response.status_code == 302
    post = Post.objects.get(pk=approved.pk)
    assert post.archived_at is not None and post.archived_by == author
    assert not post.live
    assert post.approval_status.code == "archived"
    assert post.planned_at is None  # off the calendar, so nothing schedules it again
    assert (
        decisions
        and set(Decision.objects.filter(pk__in=decisions).values_list("pk", flat=True)) == decisions
    )
    assert [d.verdict for run in post_approval_trail(post=post) for d in run.decisions] == [
        "approve",
        "approve",
    ]
    [publication] = Publication.objects.filter(post=post)
    assert publication.state == Publication.State.CANCELLED
    assert ModelLogEntry.objects.filter(object_id=str(post.pk), action="cms.archive").exists()


def test_deleting_a_post_with_publications_archives_it_instead_of_failing(client, author, approved):
    Publication.objects.filter(post=approved).update(state=Publication.State.PUBLISHED)
    client.force_login(author)

    response = client.post(reverse("wagtailsnippets_cms_post:delete", args=[approved.pk]))

    assert response.status_code == 302
    [publication] = Publication.objects.filter(post=approved)
    assert publication.state == Publication.State.PUBLISHED
    assert Post.objects.get(pk=approved.pk).archived_at is not None


def test_a_draft_that_never_entered_a_circuit_is_really_deleted(client, author):
    post = PostFactory(created_by=author)
    post.save_revision(user=author)
    client.force_login(author)

    response = client.post(reverse("wagtailsnippets_cms_post:delete", args=[post.pk]))

    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()


def test_bulk_delete_archives_posts_with_a_trail_and_deletes_the_others(client, author, approved):
    draft = PostFactory(created_by=author)
    client.force_login(author)
    url = reverse("wagtail_bulk_action", args=["cms", "post", "delete"])
    query = f"?id={approved.pk}&id={draft.pk}"

    confirm = client.get(url + query)
    response = client.post(url + query)

    assert confirm.status_code == 200
    assert approved.title in confirm.content.decode()
    assert response.status_code == 302
    assert not Post.objects.filter(pk=draft.pk).exists()
    assert Post.objects.get(pk=approved.pk).archived_at is not None
    assert Decision.objects.filter(task_state__workflow_state__object_id=str(approved.pk)).exists()


def test_archived_posts_leave_the_list_unless_asked_for(client, author, approved):
    PostFactory(title="Toujours là", created_by=author)
    post_remove(post=approved, by=author)
    client.force_login(author)
    url = reverse("wagtailsnippets_cms_post:list")

    listed = client.get(url).content.decode()
    archived = client.get(url, {"archived": "only"}).content.decode()

    assert "Toujours là" in listed and approved.title not in listed
    assert approved.title in archived and "Toujours là" not in archived


def test_an_archived_post_cannot_be_submitted_again(client, author, approved):
    post_remove(post=approved, by=author)
    states = WorkflowState.objects.filter(object_id=str(approved.pk)).count()
    client.force_login(author)

    client.post(
        reverse("wagtailsnippets_cms_post:edit", args=[approved.pk]),
        post_form_data(title=approved.title, text="Nouveau texte", **{"action-submit": "1"}),
    )

    post = Post.objects.get(pk=approved.pk)
    assert WorkflowState.objects.filter(object_id=str(post.pk)).count() == states
    assert post.current_workflow_state is None and not post.live
    assert post.latest_revision_id == approved.latest_revision_id
