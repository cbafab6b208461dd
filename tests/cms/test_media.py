"""Images and documents of posts: what was approved is what goes out, and documents stay
with the team until their post has gone out."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from wagtail.documents.models import Document
from wagtail.models import Collection, Workflow

from cms.models import Post, PostImage, Variant
from publishing.models import Publication
from tests.factories import ImageFactory, PostFactory, SocialAccountFactory, png_file
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


@pytest.fixture
def administrator(roles_people):
    return roles_people[roles.ADMINISTRATOR.key]


def post_with(author, *, image=None, document=None) -> Post:
    """A saved draft by `author` showing `image` and carrying `document`, for one account."""
    post = PostFactory(created_by=author, document=document)
    if image is not None:
        post.images = [PostImage(image=image, alt_text="La façade de la mairie, de face.")]
    post.variants = [Variant(account=SocialAccountFactory(network="x"))]
    post.save()
    post.save_revision(user=author)
    return Post.objects.get(pk=post.pk)


def approved(post: Post, *, state=Publication.State.SCHEDULED) -> Post:
    """What finishing the circuit does: the revision goes live and is scheduled."""
    post.latest_revision.publish()
    post = Post.objects.get(pk=post.pk)
    Publication.objects.create(
        post=post,
        revision=post.live_revision,
        account=post.variants.get().account,
        scheduled_at=timezone.now() + timedelta(days=1),
        state=state,
    )
    return post


def in_round(post: Post, author) -> Post:
    """Submitted to the standard circuit: it waits for the direction."""
    Workflow.objects.get(name=roles.STANDARD.name).start(post, author)
    post = Post.objects.get(pk=post.pk)
    assert post.current_workflow_task.name == roles.DIRECTOR_ROUND.name
    return post


def image_edit(client, image, *, title=None, file=None):
    data = {
        "title": title or image.title,
        "collection": image.collection_id,
        "tags": "",
        "focal_point_x": "",
        "focal_point_y": "",
        "focal_point_width": "",
        "focal_point_height": "",
    }
    if file is not None:
        data["file"] = file
    return client.post(reverse("wagtailimages:edit", args=[image.pk]), data)


def new_picture():
    picture = png_file(name="nouvelle.png", colour="#ff0000")
    picture.seek(0)
    return SimpleUploadedFile("nouvelle.png", picture.read(), content_type="image/png")


def pdf(name="programme.pdf", body=b"%PDF-1.4 programme"):
    return ContentFile(body, name=name)


def document_by(user, **fields) -> Document:
    return Document.objects.create(
        title="Programme",
        file=pdf(),
        collection=Collection.get_first_root_node(),
        uploaded_by_user=user,
        **fields,
    )


# -- An image of a post in approval, approved or scheduled does not change ------------------


def test_the_uploader_cannot_replace_the_picture_of_a_post_in_approval(client, author):
    image = ImageFactory(uploaded_by_user=author)
    in_round(post_with(author, image=image), author)
    before = (image.file.name, image.file_hash, image.title)
    client.force_login(author)

    response = image_edit(client, image, title="Nouvelle façade", file=new_picture())

    assert response.status_code == 200
    assert response.context["form"].has_error("file", code="held_by_posts")
    assert response.context["form"]["title"].value() == "Nouvelle façade"  # what they typed
    image.refresh_from_db()
    assert (image.file.name, image.file_hash, image.title) == before
    assert image.file.storage.exists(image.file.name)


def test_an_administrator_cannot_replace_the_picture_of_an_approved_post(
    client, author, administrator
):
    image = ImageFactory(uploaded_by_user=author)
    approved(post_with(author, image=image))
    before = (image.file.name, image.file_hash)
    client.force_login(administrator)

    response = image_edit(client, image, file=new_picture())

    assert response.status_code == 200
    assert response.context["form"].has_error("file", code="held_by_posts")
    image.refresh_from_db()
    assert (image.file.name, image.file_hash) == before


def test_the_picture_of_an_approved_post_with_a_later_draft_stays_as_approved(
    client, author, administrator
):
    image = ImageFactory(uploaded_by_user=author)
    post = approved(post_with(author, image=image))
    post.images = [PostImage(image=ImageFactory(), alt_text="Une autre vue de la mairie.")]
    post.save_revision(user=author)  # a later draft, not approved: the row keeps the approved
    client.force_login(administrator)

    response = image_edit(client, image, file=new_picture())

    assert response.status_code == 200
    assert response.context["form"].has_error("file", code="held_by_posts")


def replaced_after_approval(post: Post, author) -> Post:
    """A newer version, with another picture, approved: the post no longer shows the first
    picture, but the earlier version's publication is still there."""
    post.images = [PostImage(image=ImageFactory(), alt_text="Une autre vue de la mairie.")]
    post.save_revision(user=author).publish()
    return Post.objects.get(pk=post.pk)


def test_the_picture_of_a_version_that_may_still_go_out_cannot_be_replaced(
    client, author, administrator
):
    image = ImageFactory(uploaded_by_user=author)
    # Failed, so it may be tried again: what goes out then is that version, with its picture.
    replaced_after_approval(
        approved(post_with(author, image=image), state=Publication.State.FAILED), author
    )
    client.force_login(administrator)

    response = image_edit(client, image, file=new_picture())

    assert response.status_code == 200
    assert response.context["form"].has_error("file", code="held_by_posts")


def test_the_picture_of_a_version_whose_publication_was_cancelled_can_be_replaced(
    client, author, administrator
):
    image = ImageFactory(uploaded_by_user=author)
    replaced_after_approval(
        approved(post_with(author, image=image), state=Publication.State.CANCELLED), author
    )
    before = image.file_hash
    client.force_login(administrator)

    response = image_edit(client, image, file=new_picture())

    assert response.status_code == 302, response.context["form"].errors
    image.refresh_from_db()
    assert image.file_hash != before


def test_the_title_of_an_approved_post_s_image_can_still_change(client, author, administrator):
    image = ImageFactory(uploaded_by_user=author)
    approved(post_with(author, image=image))
    client.force_login(administrator)

    response = image_edit(client, image, title="Façade de la mairie")

    assert response.status_code == 302
    image.refresh_from_db()
    assert image.title == "Façade de la mairie"


def test_the_picture_of_a_draft_can_be_replaced(client, author):
    image = ImageFactory(uploaded_by_user=author)
    post_with(author, image=image)
    before = image.file_hash
    client.force_login(author)

    response = image_edit(client, image, file=new_picture())

    assert response.status_code == 302, response.context["form"].errors
    image.refresh_from_db()
    assert image.file_hash != before


# -- Documents --------------------------------------------------------------------------------


def test_the_file_of_an_approved_post_s_document_cannot_be_replaced(client, author, administrator):
    document = document_by(author)
    approved(post_with(author, document=document))
    before = (document.file.name, document.file_hash)
    client.force_login(author)

    response = client.post(
        reverse("wagtaildocs:edit", args=[document.pk]),
        {
            "title": "Programme modifié",
            "collection": document.collection_id,
            "tags": "",
            "file": SimpleUploadedFile("autre.pdf", b"%PDF-1.4 autre chose"),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].has_error("file", code="held_by_posts")
    assert response.context["form"]["title"].value() == "Programme modifié"
    document.refresh_from_db()
    assert (document.file.name, document.file_hash) == before


def serve(client, document):
    return client.get(reverse("wagtaildocs_serve", args=[document.pk, document.filename]))


def test_a_document_of_a_post_not_yet_published_is_not_served_to_visitors(client, author):
    document = document_by(author)
    approved(post_with(author, document=document))

    response = serve(client, document)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


def test_a_document_of_no_post_is_not_served_to_visitors(client, author):
    assert serve(client, document_by(author)).status_code == 302


def test_the_team_signed_in_gets_a_document_of_a_post_not_yet_published(
    client, author, roles_people
):
    document = document_by(author)
    in_round(post_with(author, document=document), author)
    client.force_login(roles_people[roles.MODERATOR.key])

    response = serve(client, document)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 programme"


def test_a_document_of_a_post_that_has_gone_out_is_public(client, author):
    document = document_by(author)
    approved(post_with(author, document=document), state=Publication.State.PUBLISHED)

    response = serve(client, document)

    assert response.status_code == 200
