"""Each network's limits today: text length and how it is counted, media, alt text."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Limits:
    max_text: int
    weighted: bool = False  # X counts with twitter-text weights, links 23
    max_images: int = 10
    max_videos: int = 1
    images_and_video: bool = False
    alt_text: bool = True
    max_alt_text: int = 1000
    text_with_media: int | None = None  # WhatsApp: a caption is shorter than a message
    media_required: bool = False
    max_hashtags: int | None = None
    max_mentions: int | None = None
    jpeg_only: bool = False
    aspect_ratio: tuple[float, float] | None = None  # width / height, inclusive
    # The formats a post can take there, as the network's module sends them.
    formats: tuple[str, ...] = ("feed",)


def instagram_hashtag_cap() -> int:
    return getattr(settings, "CRIEUR_INSTAGRAM_HASHTAG_CAP", 30)


LIMITS: dict[str, Limits] = {
    "x": Limits(max_text=280, weighted=True, max_images=4, formats=("feed", "thread")),
    "facebook": Limits(max_text=63_206, max_images=10),
    "instagram": Limits(
        max_text=2_200,
        max_images=10,
        media_required=True,
        max_mentions=20,
        max_hashtags=30,
        jpeg_only=True,
        aspect_ratio=(0.8, 1.91),
        formats=("feed", "carousel", "story", "reel"),
    ),
    "linkedin": Limits(max_text=3_000, max_images=9, max_alt_text=4_086),
    "whatsapp": Limits(max_text=4_096, max_images=1, alt_text=False, text_with_media=1_024),
}
