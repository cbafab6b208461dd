"""Saving a post through the admin: what is refused, with which message, and what is kept."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from cms.models import Post, PostImage
from tests.factories import ImageFactory, PostFactory
from tests.forms import post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db

ALT_TEXT_MESSAGE_FR = "Ajoutez un texte alternatif à cette image"


@pytest.fixture
def author(client, roles_people):
    user = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(user)
    return user


def test_a_post_with_an_image_and_its_alt_text_is_saved(client, author):
    image = ImageFactory()

    response = client.post(
        reverse("wagtailsnippets_cms_post:add"),
        post_form_data(images=[(image, "Le bassin olympique vide, vu du plongeoir.")]),
    )

    assert response.status_code == 302
    post = Post.objects.get()
    assert post.created_by == author
    assert [(i.image_id, i.alt_text) for i in post.images.all()] == [
        (image.pk, "Le bassin olympique vide, vu du plongeoir.")
    ]


def test_a_post_without_alt_text_on_an_image_is_refused_in_french_and_keeps_the_input(
    client, author
):
    image = ImageFactory()

    with translation.override("fr"):
        response = client.post(
            reverse("wagtailsnippets_cms_post:add"),
            post_form_data(
                title="Titre saisi", text="Texte saisi par Camille", images=[(image, "  ")]
            ),
        )

    assert response.status_code == 200
    assert not Post.objects.exists()
    page = response.content.decode()
    assert ALT_TEXT_MESSAGE_FR in page
    assert "RGAA" in page
    assert 'value="Titre saisi"' in page
    assert "Texte saisi par Camille" in page


def test_the_database_refuses_an_image_without_alt_text():
    post = PostFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PostImage.objects.create(post=post, image=ImageFactory(), alt_text="")


def test_more_than_ten_images_are_refused(client, author):
    images = [(ImageFactory(), f"Photo {n} du chantier") for n in range(11)]

    response = client.post(reverse("wagtailsnippets_cms_post:add"), post_form_data(images=images))

    assert response.status_code == 200
    assert not Post.objects.exists()


def test_images_and_a_document_together_are_refused_with_what_to_change(client, author):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    document = Document.objects.create(title="Arrêté", file=ContentFile(b"%PDF-1.4", "a.pdf"))
    with translation.override("fr"):
        response = client.post(
            reverse("wagtailsnippets_cms_post:add"),
            post_form_data(images=[(ImageFactory(), "Le chantier")], document=str(document.pk)),
        )

    assert response.status_code == 200
    assert not Post.objects.exists()
    assert "soit des images, soit une vidéo ou un document" in response.content.decode()


def test_an_empty_text_is_refused(client, author):
    response = client.post(reverse("wagtailsnippets_cms_post:add"), post_form_data(text="   "))

    assert response.status_code == 200
    assert not Post.objects.exists()
