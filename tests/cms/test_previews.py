"""Approvers see every network version as its network will get it, escaped."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from wagtail.models import Revision

from cms.adaptation import outgoing_parts, variant_problems
from cms.models import Post, PostImage, Variant
from cms.previews import post_network_previews
from networks.text import split_thread
from tests.factories import ImageFactory, PostFactory, jpeg_file
from tests.forms import post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db

LONG = ("Collecte des sapins du 2 au 20 janvier : 12 points dans la ville. " * 6).strip()


def reviewed_copy(accounts, *, text="Collecte des sapins : 12 points. #Recyclage", **variants):
    """A post with one image and a version per account, as the round reads it: the
    revision's copy, children in memory. `variants` maps a network to its fields; a
    field given as a function is called with the post's image."""
    post = Post(title="Sapins", text=text, link="https://ville.example.fr/sapins", live=False)
    image = ImageFactory(file=jpeg_file(size=(1200, 900)))
    post.images = [PostImage(image=image, alt_text="Des sapins devant un panneau de collecte.")]
    post.variants = [
        Variant(
            account=accounts[network],
            **{name: value(image) if callable(value) else value for name, value in fields.items()},
        )
        for network, fields in variants.items()
    ]
    post.save()
    revision = post.save_revision()
    return Revision.objects.get(pk=revision.pk).as_object()


def by_network(previews):
    return {preview.network: preview for preview in previews}


def test_each_network_version_is_previewed_as_its_network_gets_it(five_accounts):
    post = reviewed_copy(
        five_accounts,
        x={"text": LONG, "format": "thread"},
        facebook={"first_comment": "Liste des points sur le site."},
        linkedin={"media": []},  # no image chosen: LinkedIn gets the text alone
        instagram={"media": lambda image: [{"image": image.pk, "alt_text": "Sapins empilés."}]},
    )

    previews = by_network(post_network_previews(post=post))

    assert list(previews) == ["x", "facebook", "linkedin", "instagram"]
    x, facebook = previews["x"], previews["facebook"]
    assert x.account_name == five_accounts["x"].display_name
    assert x.network_label == five_accounts["x"].get_network_display()
    assert x.parts == split_thread(LONG) and x.is_thread and len(x.parts) > 1
    assert x.link == ""  # X sends the text only
    # With a photo, Facebook cannot show a link card: the link goes into the text.
    assert facebook.parts == [post.text + "\n\n" + post.link]
    assert facebook.link == ""
    assert facebook.first_comment == "Liste des points sur le site."
    assert [image.alt_text for image in facebook.images] == [
        "Des sapins devant un panneau de collecte."
    ]
    assert previews["instagram"].images[0].alt_text == "Sapins empilés."
    assert all(image.url.endswith(".jpg") for image in previews["instagram"].images)
    assert previews["linkedin"].images == []
    assert previews["linkedin"].link == post.link  # no media: LinkedIn shows a link card
    for variant in post.variants.all():
        assert previews[variant.account.network].problems == variant_problems(variant)
        assert (
            previews[variant.account.network].parts[-1].startswith(outgoing_parts(variant)[-1][:20])
        )


def test_the_preview_is_the_revisions_copy_not_what_changed_since(five_accounts):
    post = reviewed_copy(five_accounts, x={"text": "Texte relu"})
    Variant.objects.filter(post_id=post.pk).update(text="Changé depuis")

    [preview] = post_network_previews(post=post)

    assert preview.parts == ["Texte relu"]


def test_a_thread_on_a_network_without_threads_shows_the_problem(five_accounts):
    post = reviewed_copy(five_accounts, facebook={"format": "thread"})

    [preview] = post_network_previews(post=post)

    assert "thread_unsupported" in [problem.code for problem in preview.problems]
    assert preview.blocking


def test_a_version_without_an_account_is_left_out_and_no_version_gives_nothing(five_accounts):
    post = reviewed_copy(five_accounts)
    post.variants = [Variant(text="Sans compte")]

    assert post_network_previews(post=post) == []


def test_previews_read_accounts_and_images_once(five_accounts, django_assert_max_num_queries):
    post = reviewed_copy(five_accounts, **{network: {} for network in five_accounts})
    post_network_previews(post=post)  # each network's rendition made once, as publishing will
    post = Revision.objects.get(pk=post.latest_revision_id).as_object()

    # The accounts, the images, and the WhatsApp account's list setting (its template
    # limit): not one query per version.
    with django_assert_max_num_queries(3):
        previews = post_network_previews(post=post)

    assert len(previews) == len(five_accounts)


def test_the_cards_escape_what_people_wrote(five_accounts):
    five_accounts["x"].display_name = "Ville <b>X</b>"
    five_accounts["x"].save()
    post = reviewed_copy(
        five_accounts,
        text="Entrée <libre> & gratuite",
        x={"first_comment": "<script>alert(1)</script>"},
        facebook={
            "media": lambda image: [
                {"image": image.pk, "alt_text": 'Photo "<img src=x onerror=alert(1)>"'}
            ]
        },
    )

    html = render_to_string(
        "cms/includes/network_previews.html",
        {"previews": post_network_previews(post=post)},
    )

    assert "Ville &lt;b&gt;X&lt;/b&gt;" in html
    assert escape("Entrée <libre> & gratuite") in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html and "<img src=x" not in html
    assert 'data-network="x"' in html and 'data-network="facebook"' in html


def test_the_editor_preview_has_an_every_network_mode(client, roles_people, five_accounts):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(author)
    post = PostFactory(text="Concert <b>gratuit</b> ce soir #Culture")
    post.save_revision(user=author)
    url = reverse("wagtailsnippets_cms_post:preview_on_edit", args=[post.pk])
    data = post_form_data(
        title=post.title,
        text=post.text,
        variants=[(five_accounts["x"], "Concert ce soir sur X"), (five_accounts["linkedin"], "")],
    )

    assert client.post(url, data).json()["is_valid"]
    citizen = client.get(url).content.decode()
    networks = client.get(url, {"mode": "networks"}).content.decode()

    assert 'data-network="x"' not in citizen
    assert 'data-network="x"' in networks and 'data-network="linkedin"' in networks
    assert "Concert ce soir sur X" in networks
    assert "Concert &lt;b&gt;gratuit&lt;/b&gt; ce soir" in networks


def test_approvers_preview_of_a_round_shows_every_network(client, roles_people, five_accounts):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    post = PostFactory(created_by=author)
    post.variants = [Variant(account=five_accounts["linkedin"], text="Version LinkedIn relue")]
    post.save()
    post.save_revision(user=author)
    state = post.get_workflow().start(post, author)
    assert state.current_task_state.task.name == roles.DIRECTOR_ROUND.name
    client.force_login(roles_people[roles.DIRECTOR.key])

    page = client.get(
        reverse(
            "wagtailsnippets_cms_post:workflow_preview",
            args=[post.pk, state.current_task_state.task_id],
        )
    ).content.decode()

    assert 'data-network="linkedin"' in page
    assert "Version LinkedIn relue" in page
