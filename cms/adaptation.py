"""A post's network version as the networks take it: plain data built from a `Variant`.

The network modules (`networks/`) never read cms's models: they send an `Outgoing` and
check a `Draft`. This module builds both from a version of a post (a saved one, a
revision's copy or the editor's unsaved form), its images converted through Wagtail
renditions to what each network takes (size, JPEG for Instagram and WhatsApp,
Instagram's 4:5 to 1.91:1 proportions), so the author never has to.

`variant` below is a `cms.models.Variant` with its `account` and `post` set; the images
it sends are its own choice (`Variant.media`) or, when it has none, the post's.
"""

from django.conf import settings
from wagtail import hooks

import networks
from networks.base import Media, Outgoing
from networks.checks import Draft, ImageInfo, Problem
from networks.limits import LIMITS
from networks.outgoing import rendition_spec
from networks.text import split_thread

from .models import format_refused_message

IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}
VIDEO_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}


def absolute(url: str) -> str:
    """`url` as an address a network can fetch (Instagram and Facebook fetch media)."""
    if url.startswith(("http://", "https://")):
        return url
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


def _reader(file_field):
    def read() -> bytes:
        with file_field.open("rb") as handle:
            return handle.read()

    return read


def image_media(network: str, image, alt_text: str) -> Media:
    """A Wagtail image converted for `network` (a rendition, made once and kept)."""
    rendition = image.get_rendition(rendition_spec(network, image.width, image.height))
    extension = rendition.file.name.rsplit(".", 1)[-1].lower()
    return Media(
        kind="image",
        filename=rendition.file.name.rsplit("/", 1)[-1],
        content_type=IMAGE_TYPES.get(extension, "application/octet-stream"),
        url=absolute(rendition.url),
        alt_text=alt_text,
        width=rendition.width,
        height=rendition.height,
        opener=_reader(rendition.file),
    )


def video_media(document) -> Media:
    """A Wagtail document (the post's video) as a network takes it."""
    content_type = VIDEO_TYPES.get(document.file_extension.lower(), "application/octet-stream")
    return Media(
        kind="video" if content_type.startswith("video/") else "document",
        filename=document.filename,
        content_type=content_type,
        url=absolute(document.file.url),
        opener=_reader(document.file),
    )


def outgoing_parts(variant) -> list[str]:
    """The texts a version posts: one, or each part of a thread (split when asked)."""
    text = variant.effective_text
    if variant.format != "thread":
        return [text]
    explicit = variant.thread_part_list()
    if explicit:
        return [text, *explicit]
    return split_thread(text) if variant.account.network == "x" else [text]


def outgoing(variant) -> Outgoing:
    """What `variant` sends; works on a revision's copy of the post."""
    network = variant.account.network
    post = variant.post
    media = [
        image_media(network, item.image, alt)
        for item, alt in variant.images_with_alt_texts()
        if item.image_id
    ]
    if post.document_id:
        media.append(video_media(post.document))
    text, *thread = outgoing_parts(variant)
    return Outgoing(
        network=network,
        text=text,
        format=variant.format,
        thread=tuple(thread),
        media=tuple(media),
        link=post.link,
        first_comment=variant.first_comment.strip(),
        post_id=post.pk,
    )


def _image_info(post_image, alt_text: str) -> ImageInfo:
    image = post_image.image
    extension = image.file.name.rsplit(".", 1)[-1].lower() if image.file else ""
    return ImageInfo(
        format="jpeg" if extension in ("jpg", "jpeg") else extension,
        width=image.width,
        height=image.height,
        alt_text=alt_text,
    )


def variant_draft(variant) -> Draft:
    """The text and media of a version as the checks see them (before conversion)."""
    images = [
        _image_info(item, alt) for item, alt in variant.images_with_alt_texts() if item.image_id
    ]
    text, *thread = outgoing_parts(variant)
    return Draft(
        text=text,
        images=images,
        video=bool(variant.post.document_id),
        format=variant.format,
        thread=tuple(thread),
    )


def format_problems(variant) -> list[Problem]:
    """A format the account's network does not offer (networks.limits): a Story for X, a
    Reel for LinkedIn… A thread anywhere but X is the networks' own check already."""
    network = variant.account.network
    if variant.format in LIMITS[network].formats or variant.format == "thread":
        return []
    return [
        Problem(
            network,
            "format_unsupported",
            format_refused_message(variant.account, variant.format),
        )
    ]


def variant_problems(variant) -> list[Problem]:
    """Every problem a version would meet on its network; never raises.

    The apps above add the problems only they know of through the Wagtail hook
    `crieur_variant_problems`: `fn(variant=..., draft=..., problems=...)` returns a list
    of problems (publishing: the WhatsApp broadcast list's template limit).
    """
    try:
        draft = variant_draft(variant)
    except Exception:  # noqa: BLE001 - a check must never stop a save
        return []
    problems = networks.get(variant.account.network).check(draft)
    problems.extend(format_problems(variant))
    for more in hooks.get_hooks("crieur_variant_problems"):
        problems.extend(more(variant=variant, draft=draft, problems=list(problems)))
    return problems
