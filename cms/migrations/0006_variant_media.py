"""Each network version's images become a choice of the post's images by their Wagtail
image, with an alt text per image on that network (`Variant.media`), instead of numbers
typed in a field ("1, 3") and alt texts one per line.

Nothing is lost: every version's numbers and alt text lines are turned into the same
choice, in the same order, with the same alt texts; the versions kept in the posts'
revisions (what rounds approved, what publications send) get their choice too, and keep
their old fields as they were written. Numbers past the post's images and lines past the
chosen images were never sent, and still are not. The old columns go in 0007.
"""

import re

from django.db import migrations, models

NUMBER_SEPARATORS = re.compile(r"[\s,;]+")


def chosen_numbers(image_numbers: str) -> list[int]:
    """The 1-based numbers written, as the editor read them (anything else was refused)."""
    pieces = NUMBER_SEPARATORS.split((image_numbers or "").strip())
    return [int(piece) for piece in pieces if piece.isdigit() and int(piece) >= 1]


def media_from_numbers(image_numbers: str, alt_texts: str, images: list) -> list | None:
    """The choice a version made with numbers and lines; `images` are the post's
    (image id, alt text) in its order. None when the version took the post's images."""
    if not (image_numbers or "").strip() and not (alt_texts or "").strip():
        return None
    numbers = chosen_numbers(image_numbers) or list(range(1, len(images) + 1))
    chosen = [images[number - 1] for number in numbers if number <= len(images)]
    lines = (alt_texts or "").splitlines()
    ids = [image_id for image_id, _alt in images]
    media = []
    for index, (image_id, own_alt) in enumerate(chosen):
        if image_id is None:
            continue
        alt = lines[index].strip() if index < len(lines) else ""
        if not alt and ids.count(image_id) > 1:
            # The same picture twice in the post with two alt texts: keep the one of the
            # number chosen (a choice by image would find the first).
            alt = own_alt
        media.append({"image": image_id, "alt_text": alt})
    return media


def numbers_from_media(media, images: list) -> tuple[str, str]:
    """The other way: numbers and lines for a choice (for going back to 0005)."""
    if media is None:
        return "", ""
    positions: dict[int, int] = {}
    for number, (image_id, _alt) in enumerate(images, 1):
        positions.setdefault(image_id, number)
    numbers, lines = [], []
    for entry in media:
        number = positions.get(entry.get("image"))
        if number is not None:
            numbers.append(number)
            lines.append(entry.get("alt_text", ""))
    if not numbers:
        # No image of the post: a number past them, which the old editor sent as none.
        numbers = [len(images) + 1]
    return ", ".join(str(n) for n in numbers), "\n".join(lines) if any(lines) else ""


def post_images(apps, post_id) -> list:
    PostImage = apps.get_model("cms", "PostImage")
    return list(
        PostImage.objects.filter(post_id=post_id)
        .order_by("sort_order", "pk")
        .values_list("image_id", "alt_text")
    )


def revision_images(content: dict) -> list:
    items = [item for item in content.get("images") or [] if isinstance(item, dict)]
    ordered = sorted(
        enumerate(items),
        key=lambda pair: (
            pair[1].get("sort_order") is None,
            pair[1].get("sort_order") or 0,
            pair[0],
        ),
    )
    return [(item.get("image"), item.get("alt_text") or "") for _index, item in ordered]


def post_revisions(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")
    post_type = ContentType.objects.filter(app_label="cms", model="post").first()
    if post_type is None:
        return Revision.objects.none()
    return Revision.objects.filter(base_content_type=post_type).only("pk", "content")


def forward(apps, schema_editor):
    Variant = apps.get_model("cms", "Variant")
    for variant in Variant.objects.exclude(image_numbers="", alt_texts="").iterator():
        variant.media = media_from_numbers(
            variant.image_numbers, variant.alt_texts, post_images(apps, variant.post_id)
        )
        variant.save(update_fields=["media"])
    for revision in post_revisions(apps).iterator():
        content = revision.content
        versions = content.get("variants") if isinstance(content, dict) else None
        if not versions:
            continue
        images = revision_images(content)
        for version in versions:
            if isinstance(version, dict) and "media" not in version:
                version["media"] = media_from_numbers(
                    version.get("image_numbers") or "", version.get("alt_texts") or "", images
                )
        type(revision).objects.filter(pk=revision.pk).update(content=content)


def backward(apps, schema_editor):
    Variant = apps.get_model("cms", "Variant")
    for variant in Variant.objects.exclude(media__isnull=True).iterator():
        variant.image_numbers, variant.alt_texts = numbers_from_media(
            variant.media, post_images(apps, variant.post_id)
        )
        variant.save(update_fields=["image_numbers", "alt_texts"])
    for revision in post_revisions(apps).iterator():
        content = revision.content
        versions = content.get("variants") if isinstance(content, dict) else None
        if not versions:
            continue
        images = revision_images(content)
        for version in versions:
            if not isinstance(version, dict) or "media" not in version:
                continue
            media = version.pop("media")
            if "image_numbers" not in version:
                version["image_numbers"], version["alt_texts"] = numbers_from_media(media, images)
        type(revision).objects.filter(pk=revision.pk).update(content=content)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_tables_renamed"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The accounts' table has its name of the networks app (a version's table is
        # rebuilt on SQLite, with its key to the accounts).
        ("networks", "0002_tables_renamed"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.AddField(
            model_name="variant",
            name="media",
            field=models.JSONField(
                blank=True,
                default=None,
                help_text=(
                    "Which of the post's images this network gets, and their alt text on "
                    "this network; empty for all of them with their own alt texts."
                ),
                null=True,
                verbose_name="images for this network",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
