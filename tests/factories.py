"""factory_boy factories for the suite."""

import io

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images.models import Image

from cms.adaptation import outgoing
from cms.models import Campaign, Post, PostImage, Territory, Variant
from networks.models import SocialAccount
from publishing.models import Publication

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or PASSWORD)
        if create:
            user.save()

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        """UserFactory(role=roles.DIRECTOR) puts the user in that role's group."""
        if create and extracted is not None:
            user.groups.add(Group.objects.get(name=extracted.group_name))


def png_file(name="picture.png", size=(1200, 900), colour="#0a7c86"):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="PNG")
    return ImageFile(buffer, name=name)


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Image

    title = factory.Sequence(lambda n: f"Image {n}")
    file = factory.LazyFunction(png_file)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campagne {n}")


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Quartier {n}")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    title = factory.Sequence(lambda n: f"Post {n}")
    text = "Réunion publique jeudi à 18 h à la mairie. #Concertation"
    live = False


def jpeg_file(name="photo.jpg", size=(1080, 1080), colour="#c0392b"):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="JPEG")
    return ImageFile(buffer, name=name)


class SocialAccountFactory(factory.django.DjangoModelFactory):
    """A connected account; its token is one the sandbox accepts."""

    class Meta:
        model = SocialAccount

    network = "x"
    display_name = factory.Sequence(lambda n: f"Ville de Bourg-sur-Lac {n}")
    handle = factory.Sequence(lambda n: f"bourgsurlac{n}")
    remote_id = factory.Sequence(lambda n: str(100_000 + n))
    credentials = factory.LazyAttribute(
        lambda account: {"access_token": f"sandbox-{account.network}-token-{account.remote_id}"}
    )


def post_with_variant(
    account,
    *,
    text="Réunion publique jeudi à 18 h à la mairie. #Concertation",
    variant_text="",
    images=0,
    image_size=(1080, 1080),
    alt_text="Affiche de la réunion publique, fond bleu.",
    document=None,
    **variant_fields,
):
    """A saved post with `images` JPEG images (each with alt text) and one version for
    `account`; returns the variant."""
    post = PostFactory(text=text, document=document)
    for number in range(images):
        PostImage.objects.create(
            post=post,
            image=ImageFactory(file=jpeg_file(name=f"photo{number}.jpg", size=image_size)),
            alt_text=f"{alt_text} ({number + 1})",
            sort_order=number,
        )
    return Variant.objects.create(post=post, account=account, text=variant_text, **variant_fields)


def outgoing_for(account, **fields):
    """What a saved post's version for `account` sends (an `Outgoing`); takes
    `post_with_variant`'s arguments."""
    return outgoing(post_with_variant(account, **fields))


def approved_publication(account, *, state=Publication.State.SCHEDULED, at=None, author=None):
    """A publication, due `at` (now by default), of a post approved with one version for
    `account` (written by `author`), in `state`."""
    post = post_with_variant(account).post
    post.created_by = author
    post.save()
    post.save_revision().publish()
    post.refresh_from_db()
    return Publication.objects.create(
        post=post,
        revision=post.live_revision,
        account=account,
        scheduled_at=at or timezone.now(),
        state=state,
    )
