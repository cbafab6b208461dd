"""The people of a post's round preview it as its editors do, though they may not edit
posts: the preview panel, « open in a new tab », the live counters."""

import pytest
from django.urls import reverse

from cms.models import Post
from tests.factories import PostFactory, UserFactory
from tests.forms import post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


@pytest.fixture
def director(roles_people):
    return roles_people[roles.DIRECTOR.key]


def in_director_round(author, **fields):
    post = PostFactory(created_by=author, title="Fête du lac", **fields)
    post.save_revision(user=author)
    post.get_workflow().start(post, author)  # the automatic check passes at once
    post = Post.objects.get(pk=post.pk)
    assert post.current_workflow_task.name == roles.DIRECTOR_ROUND.name
    return post


def preview_url(post):
    return reverse("wagtailsnippets_cms_post:preview_on_edit", args=[post.pk])


def test_a_director_in_his_round_sees_the_preview_panel_and_the_new_tab(client, author, director):
    post = in_director_round(author, text="Grand feu samedi à 22 h au bord du lac.")
    client.force_login(director)

    panel = client.post(preview_url(post), post_form_data(title=post.title, text=post.text))
    new_tab = client.get(preview_url(post))

    assert panel.status_code == 200
    assert panel.json() == {"is_valid": True, "is_available": True}
    assert new_tab.status_code == 200
    assert "Grand feu samedi" in new_tab.content.decode()


def test_someone_outside_the_round_gets_no_preview(client, author):
    post = in_director_round(author)
    moderator = UserFactory(role=roles.MODERATOR)  # may read posts, decides on none
    client.force_login(moderator)

    response = client.get(preview_url(post))

    assert response.status_code != 200


def test_the_director_gets_no_preview_once_the_round_is_no_longer_his(client, author, director):
    post = PostFactory(created_by=author)
    post.save_revision(user=author)
    client.force_login(director)

    response = client.get(preview_url(post))

    assert response.status_code != 200
