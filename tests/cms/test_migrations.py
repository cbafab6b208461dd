"""The network versions' image numbers and alt text lines become a choice of images
(cms/0006, cms/0007): every version, and every version kept in a revision, sends the
same images with the same alt texts afterwards."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from wagtail.models import Revision

from cms.models import Variant

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("cms", "0005_tables_renamed")]
ON = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
AFTER = [("cms", "0007_variant_numbers_removed")]


@pytest.fixture(autouse=True)
def _latest_schema_after():
    """Leave the database at the latest migrations, whatever the test migrated to."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(targets):
    """Migrate to targets, every other app staying at its latest; the models of the
    database as it then is."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    apps = {app for app, _name in targets}
    nodes = [n for n in executor.loader.graph.leaf_nodes() if n[0] not in apps] + targets
    return executor.loader.project_state(nodes).apps


def fill(apps):
    """Posts of the old editor: one with three photos, one with the same photo twice,
    versions written with numbers and lines, and a revision of the first post."""
    Image = apps.get_model("wagtailimages", "Image")
    Post = apps.get_model("cms", "Post")
    PostImage = apps.get_model("cms", "PostImage")
    Account = apps.get_model("networks", "SocialAccount")
    OldVariant = apps.get_model("cms", "Variant")
    ContentType = apps.get_model("contenttypes", "ContentType")
    OldRevision = apps.get_model("wagtailcore", "Revision")

    photos = [
        Image.objects.create(title=name, file=f"original_images/{name}.jpg", width=800, height=600)
        for name in ("lac", "ponton", "kiosque")
    ]
    accounts = [
        Account.objects.create(network=network, display_name=f"Ville {network}")
        for network in ("x", "facebook", "instagram", "linkedin", "whatsapp")
    ]
    lake = Post.objects.create(title="Berges", text="Nettoyage des berges samedi.")
    for order, photo in enumerate(photos):
        PostImage.objects.create(
            post=lake, image=photo, alt_text=f"Photo du {photo.title}.", sort_order=order
        )
    written = {
        # (image numbers, alt text lines) as typed in the old editor
        "x": ("1, 3", "Le lac au matin.\n"),
        "facebook": ("", ""),
        "instagram": ("", "Un\nDeux\nTrois"),
        "linkedin": ("2, 5", ""),
        "whatsapp": ("9", "Jamais envoyée"),
    }
    for order, account in enumerate(accounts):
        numbers, lines = written[account.network]
        OldVariant.objects.create(
            post=lake, account=account, sort_order=order, image_numbers=numbers, alt_texts=lines
        )

    twice = Post.objects.create(title="Affiche", text="Concert samedi.")
    for order, alt in enumerate(["L'affiche, en entier.", "L'affiche, le détail des horaires."]):
        PostImage.objects.create(post=twice, image=photos[0], alt_text=alt, sort_order=order)
    OldVariant.objects.create(post=twice, account=accounts[0], image_numbers="2")

    post_type, _ = ContentType.objects.get_or_create(app_label="cms", model="post")
    revision = OldRevision.objects.create(
        content_type=post_type,
        base_content_type=post_type,
        object_id=str(lake.pk),
        object_str=lake.title,
        created_at=ON,
        content={
            "pk": lake.pk,
            "title": lake.title,
            "text": lake.text,
            # Kept in the post's order, whatever order the list is in.
            "images": [
                {
                    "pk": None,
                    "image": photo.pk,
                    "alt_text": f"Revu : {photo.title}",
                    "sort_order": n,
                }
                for n, photo in reversed(list(enumerate(photos)))
            ],
            "variants": [
                {
                    "pk": None,
                    "account": accounts[0].pk,
                    "text": "",
                    "format": "feed",
                    "thread_text": "",
                    "image_numbers": "3, 1",
                    "alt_texts": "\nLe lac, approuvé.",
                    "first_comment": "",
                    "sort_order": 0,
                }
            ],
        },
    )
    return {"lake": lake.pk, "twice": twice.pk, "photos": [p.pk for p in photos]}, revision.pk


def sent(variant):
    """(Wagtail image id, alt text) of each image a version sends, in order."""
    return [(item.image_id, alt) for item, alt in variant.images_with_alt_texts()]


def test_each_version_sends_the_same_images_with_the_same_alt_texts_after_the_migration():
    ids, _revision = fill(migrate(BEFORE))
    lac, ponton, kiosque = ids["photos"]

    migrate(AFTER)

    versions = {
        v.account.network: v
        for v in Variant.objects.filter(post_id=ids["lake"]).select_related("account")
    }
    assert sent(versions["x"]) == [(lac, "Le lac au matin."), (kiosque, "Photo du kiosque.")]
    assert versions["facebook"].media is None  # no numbers, no lines: the post's images
    assert sent(versions["facebook"]) == [
        (lac, "Photo du lac."),
        (ponton, "Photo du ponton."),
        (kiosque, "Photo du kiosque."),
    ]
    assert sent(versions["instagram"]) == [(lac, "Un"), (ponton, "Deux"), (kiosque, "Trois")]
    assert sent(versions["linkedin"]) == [(ponton, "Photo du ponton.")]  # no fifth image
    assert versions["whatsapp"].media == [] and sent(versions["whatsapp"]) == []
    # The same picture twice in a post: the second one, with its own alt text.
    [poster] = Variant.objects.filter(post_id=ids["twice"])
    assert sent(poster) == [(lac, "L'affiche, le détail des horaires.")]


def test_the_versions_kept_in_revisions_send_what_was_approved_and_keep_what_was_typed():
    ids, revision_id = fill(migrate(BEFORE))
    lac, _ponton, kiosque = ids["photos"]

    migrate(AFTER)

    revision = Revision.objects.get(pk=revision_id)
    [written] = revision.content["variants"]
    assert (written["image_numbers"], written["alt_texts"]) == ("3, 1", "\nLe lac, approuvé.")
    [version] = revision.as_object().variants.all()
    assert sent(version) == [(kiosque, "Revu : kiosque"), (lac, "Le lac, approuvé.")]


def test_going_back_writes_numbers_and_lines_that_send_the_same():
    ids, revision_id = fill(migrate(BEFORE))
    migrate(AFTER)

    old = migrate(BEFORE)

    OldVariant = old.get_model("cms", "Variant")
    written = {
        v.account.network: (v.image_numbers, v.alt_texts)
        for v in OldVariant.objects.filter(post_id=ids["lake"]).select_related("account")
    }
    assert written == {
        "x": ("1, 3", "Le lac au matin.\n"),
        "facebook": ("", ""),
        "instagram": ("1, 2, 3", "Un\nDeux\nTrois"),
        "linkedin": ("2", ""),
        "whatsapp": ("4", ""),  # past the post's three images: none, as before
    }
    content = old.get_model("wagtailcore", "Revision").objects.get(pk=revision_id).content
    assert "media" not in content["variants"][0]
    assert content["variants"][0]["image_numbers"] == "3, 1"
