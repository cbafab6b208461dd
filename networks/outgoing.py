"""What one network version sends: its text, thread parts and media converted for it.

Images are converted per network through Wagtail renditions (size, JPEG for Instagram
and WhatsApp, Instagram's 4:5 to 1.91:1 proportions), so the author never has to.
"""

from django.conf import settings

from .base import Media, Outgoing
from .limits import LIMITS
from .text import split_thread

# Largest side sent to each network; Instagram and WhatsApp take JPEG only.
RENDITION_MAX = {"x": 2048, "facebook": 2048, "instagram": 1440, "linkedin": 2048, "whatsapp": 1600}
JPEG_ONLY = {"instagram", "whatsapp"}


def rendition_spec(network: str, width: int, height: int) -> str:
    """The Wagtail filter spec that makes an image fit `network`."""
    largest = RENDITION_MAX[network]
    steps = []
    ratio_range = LIMITS[network].aspect_ratio
    if ratio_range and width and height:
        low, high = ratio_range
        ratio = width / height
        if ratio < low:  # too tall: crop to the tallest allowed (4:5)
            target_w, target_h = width, round(width / low)
            if target_h > height:
                target_w, target_h = round(height * low), height
            steps.append(f"fill-{target_w}x{target_h}")
        elif ratio > high:  # too wide: crop to the widest allowed (1.91:1)
            target_w, target_h = round(height * high), height
            steps.append(f"fill-{target_w}x{target_h}")
    steps.append(f"max-{largest}x{largest}")
    if network in JPEG_ONLY:
        steps.append("format-jpeg")
    return "|".join(steps)


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


def _reader(file_field):
    def read() -> bytes:
        with file_field.open("rb") as handle:
            return handle.read()

    return read


def image_media(network: str, image, alt_text: str) -> Media:
    rendition = image.get_rendition(rendition_spec(network, image.width, image.height))
    extension = rendition.file.name.rsplit(".", 1)[-1].lower()
    content_type = {
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "gif": "image/gif",
        "webp": "image/webp",
    }.get(extension, "application/octet-stream")
    return Media(
        kind="image",
        filename=rendition.file.name.rsplit("/", 1)[-1],
        content_type=content_type,
        url=absolute(rendition.url),
        alt_text=alt_text,
        width=rendition.width,
        height=rendition.height,
        opener=_reader(rendition.file),
    )


def video_media(document) -> Media:
    extension = document.file_extension.lower()
    content_type = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}.get(
        extension, "application/octet-stream"
    )
    return Media(
        kind="video" if content_type.startswith("video/") else "document",
        filename=document.filename,
        content_type=content_type,
        url=absolute(document.file.url),
        opener=_reader(document.file),
    )


def outgoing(variant) -> Outgoing:
    """Build what `variant` sends; works on a revision's copy of the post."""
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


def x_thread_preview(text: str) -> list[str]:
    """How a long text will be split into a numbered X thread."""
    return split_thread(text)
