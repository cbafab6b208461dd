"""No post exists until its author saves it: the forms that create a post do not autosave
(Wagtail's autosave made a draft at the first keystroke, and said "validation errors"
while the text was simply not written yet). The editor of a saved post still autosaves."""

import re

import pytest
from django.urls import reverse

from cms.models import Post
from tests.factories import PostFactory
from tests.forms import post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(client, roles_people):
    person = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(person)
    return person


def editor_form_tag(page: str) -> str:
    return re.search(r'<form[^>]*id="w-editor-form"[^>]*>', page, re.S).group(0)


def autosave(client, url, data):
    """What Wagtail's autosave sends: the form, asking for JSON."""
    return client.post(url, data, HTTP_ACCEPT="application/json")


def test_the_add_form_does_not_autosave(client, author):
    page = client.get(reverse("wagtailsnippets_cms_post:add")).content.decode()

    assert "w-autosave" not in editor_form_tag(page)


def test_an_autosave_posted_to_the_add_form_creates_no_post(client, author):
    response = autosave(
        client, reverse("wagtailsnippets_cms_post:add"), post_form_data(title="Essai", text="")
    )

    assert response.status_code == 400
    assert response.json()["error_code"] != "validation_error"
    assert not Post.objects.exists()


def test_an_autosave_posted_to_the_copy_form_creates_no_post(client, author):
    original = PostFactory(created_by=author)

    response = autosave(
        client,
        reverse("wagtailsnippets_cms_post:copy", args=[original.pk]),
        post_form_data(title="Copie"),
    )

    assert response.status_code == 400
    assert list(Post.objects.all()) == [original]


def test_saving_the_add_form_creates_the_post(client, author):
    client.post(reverse("wagtailsnippets_cms_post:add"), post_form_data(title="Essai"))

    assert Post.objects.get().title == "Essai"


def test_the_editor_of_a_saved_post_still_autosaves(client, author):
    post = PostFactory(created_by=author)
    page = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk])).content.decode()

    response = autosave(
        client,
        reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
        post_form_data(title="Titre changé", text=post.text),
    )

    assert "w-autosave" in editor_form_tag(page)
    assert response.status_code == 200 and response.json()["success"]
    assert Post.objects.get(pk=post.pk).get_latest_revision_as_object().title == "Titre changé"
