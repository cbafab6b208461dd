"""Network versions: empty fields fall back to the post, one per account, part of approval."""

import pytest
from django.urls import reverse
from django.utils import translation

from cms.models import Post, Variant
from networks.models import Network, SocialAccount
from tests.factories import PostFactory
from tests.forms import post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def x_account():
    return SocialAccount.objects.create(network=Network.X, display_name="Ville sur X")


def test_an_empty_variant_text_falls_back_to_the_post_text(x_account):
    post = PostFactory(text="Texte maître")

    assert Variant(post=post, account=x_account).effective_text == "Texte maître"
    assert Variant(post=post, account=x_account, text="Court").effective_text == "Court"


def form_data(account, texts):
    return post_form_data(
        title="Concert",
        text="Concert gratuit samedi au parc.",
        variants=[(account, text) for text in texts],
    )


def test_the_editor_saves_a_version_per_account(client, roles_people, x_account):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    response = client.post(
        reverse("wagtailsnippets_cms_post:add"), form_data(x_account, ["Concert samedi !"])
    )

    assert response.status_code == 302
    assert [v.effective_text for v in Post.objects.get().variants.all()] == ["Concert samedi !"]


def test_two_versions_for_one_account_are_refused_with_what_to_do(client, roles_people, x_account):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    with translation.override("fr"):
        response = client.post(
            reverse("wagtailsnippets_cms_post:add"), form_data(x_account, ["Un", "Deux"])
        )

    assert response.status_code == 200
    assert not Post.objects.exists()
    assert "a déjà une version dans ce message" in response.content.decode()


def test_the_approved_revision_carries_each_network_version(roles_people, x_account):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    post = PostFactory()
    post.variants = [Variant(account=x_account, text="Version X relue")]
    post.save()
    post.save_revision(user=author)
    state = post.get_workflow().start(post, author)
    post.variants.all()[0].text = "changé ensuite"

    state.current_task_state.specific.approve(user=roles_people[roles.DIRECTOR.key])

    approved = Post.objects.get(pk=post.pk).live_revision.as_object()
    assert [v.text for v in approved.variants.all()] == ["Version X relue"]


def test_the_editor_shows_what_each_network_counts_and_its_problems(
    client, roles_people, x_account
):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    linkedin = SocialAccount.objects.create(network=Network.LINKEDIN, display_name="Ville LI")
    post = PostFactory(text="Court et clair.")
    post.variants = [
        Variant(account=x_account, text="a" * 290 + " https://ville.fr/" + "x" * 60),
        Variant(account=linkedin),
    ]
    post.save()
    post.save_revision(user=author)
    client.force_login(author)

    with translation.override("fr"):
        page = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk]))
    html = page.content.decode()

    assert "314 / 280 caractères" in html
    assert "X\u00a0: 314 caractères sur 280 (chaque lien compte pour 23" in html
    assert "15 / 3000 caractères" in html
