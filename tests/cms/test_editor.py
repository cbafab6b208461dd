"""The post editor holds what the apps above cms add to it through their hooks: the
network checks and the cancel button of publishing, the approval trail of workflows."""

import pytest
from django.urls import reverse

from publishing.models import Publication
from tests.factories import PostFactory, SocialAccountFactory, approved_publication
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


def editor(client, post) -> str:
    response = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_networks_tab_shows_what_each_network_will_get(client, author):
    post = PostFactory(created_by=author)
    client.force_login(author)

    assert 'data-testid="network-checks"' in editor(client, post)


def test_the_editor_leads_to_the_post_s_approval_trail(client, author):
    post = PostFactory(created_by=author)
    client.force_login(author)

    assert reverse("workflows_approval_trail", args=[post.pk]) in editor(client, post)


def test_a_post_with_nothing_scheduled_offers_no_cancelling(client, author):
    publication = approved_publication(
        SocialAccountFactory(network="x"), state=Publication.State.PUBLISHED, author=author
    )
    client.force_login(author)

    page = editor(client, publication.post)

    assert reverse("publishing_post_publications_cancel", args=[publication.post_id]) not in page


def test_the_author_of_a_post_with_a_scheduled_publication_may_cancel_it(client, author):
    publication = approved_publication(SocialAccountFactory(network="x"), author=author)
    client.force_login(author)

    page = editor(client, publication.post)

    assert reverse("publishing_post_publications_cancel", args=[publication.post_id]) in page
