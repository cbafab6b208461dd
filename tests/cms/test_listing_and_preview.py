"""The posts listing stays cheap as posts grow; the preview shows citizens' view, escaped."""

import pytest
from django.urls import reverse

from cms.selectors import render_citizen_text
from tests.factories import CampaignFactory, PostFactory, TerritoryFactory
from tests.forms import post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db


def make_posts(count, author):
    campaign, territory = CampaignFactory(), TerritoryFactory()
    for n in range(count):
        post = PostFactory(campaign=campaign, territory=territory, title=f"Post {n}")
        post.save_revision(user=author)
        if n % 2:
            post.get_workflow().start(post, author)


def test_post_listing_query_count_does_not_grow_with_posts(
    client, roles_people, django_assert_max_num_queries
):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(author)
    make_posts(3, author)
    url = reverse("wagtailsnippets_cms_post:list")
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200

    make_posts(20, author)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count('data-status="in_round"') == 11
    assert len(many.captured_queries) <= len(few.captured_queries)


def test_post_listing_searches_and_filters(client, roles_people):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(author)
    campaign = CampaignFactory(name="Fête du lac")
    PostFactory(title="Régates du samedi", campaign=campaign)
    PostFactory(title="Collecte des encombrants")
    url = reverse("wagtailsnippets_cms_post:list")

    searched = client.get(url, {"q": "régates"}).content.decode()
    filtered = client.get(url, {"campaign": campaign.pk}).content.decode()

    assert "Régates du samedi" in searched and "Collecte des encombrants" not in searched
    assert "Régates du samedi" in filtered and "Collecte des encombrants" not in filtered


def test_citizen_text_is_escaped_and_links_hashtags_mentions_are_marked():
    html = render_citizen_text(
        'Venez <script>alert("x")</script> ! https://ville.fr/a?b=1&c=2 #FêteDuLac @Mairie\nFin'
    )

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://ville.fr/a?b=1&amp;c=2" rel="nofollow noopener">' in html
    assert '<span class="hashtag">#FêteDuLac</span>' in html
    assert '<span class="mention">@Mairie</span>' in html
    assert "<br>Fin" in html


def test_a_link_with_an_anchor_is_not_broken_by_hashtag_marking():
    html = render_citizen_text("Voir https://ville.fr/page#horaires")

    assert html == (
        'Voir <a href="https://ville.fr/page#horaires" rel="nofollow noopener">'
        "https://ville.fr/page#horaires</a>"
    )


def test_preview_shows_the_post_as_a_citizen_sees_it(client, roles_people):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(author)
    post = PostFactory(text="Concert <b>gratuit</b> ce soir #Culture")
    post.save_revision(user=author)
    url = reverse("wagtailsnippets_cms_post:preview_on_edit", args=[post.pk])
    data = post_form_data(title=post.title, text=post.text)

    assert client.post(url, data).json()["is_valid"]
    page = client.get(url).content.decode()

    assert "Concert &lt;b&gt;gratuit&lt;/b&gt; ce soir" in page
    assert '<span class="hashtag">#Culture</span>' in page


@pytest.mark.parametrize(
    ("url_name", "factory", "field"),
    [
        ("wagtailsnippets_cms_campaign:list", CampaignFactory, "name"),
        ("wagtailsnippets_cms_territory:list", TerritoryFactory, "name"),
    ],
)
def test_campaign_and_territory_listings_search(client, roles_people, url_name, factory, field):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])
    factory(**{field: "Presqu'île"})
    factory(**{field: "Gare"})

    page = client.get(reverse(url_name), {"q": "presqu"}).content.decode()

    assert "Presqu&#x27;île" in page and ">Gare<" not in page
