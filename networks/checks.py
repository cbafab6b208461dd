"""Problems a network would have with a version of a post, found before approval.

Checks never raise: they return problems that name the network, the limit and the fix.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .limits import LIMITS, instagram_hashtag_cap
from .text import hashtags, mentions, plain_length, x_weighted_length

NETWORK_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "whatsapp": "WhatsApp",
}


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    alt_text: str = ""


@dataclass(frozen=True)
class Problem:
    network: str
    code: str
    message: str
    blocking: bool = True


@dataclass(frozen=True)
class Draft:
    """A version as the checks read it, before its media are converted (plain data).

    For a thread, `text` is the first part and `thread` the parts after it, as sent.
    """

    text: str
    images: list[ImageInfo] = field(default_factory=list)
    video: bool = False
    format: str = "feed"
    thread: tuple[str, ...] = ()


def text_length(network: str, text: str) -> int:
    return x_weighted_length(text) if LIMITS[network].weighted else plain_length(text)


def check_text(network: str, draft: Draft) -> list[Problem]:
    limits = LIMITS[network]
    name = NETWORK_NAMES[network]
    problems: list[Problem] = []

    def problem(code, message, blocking=True):
        text = _("%(network)s: %(problem)s") % {"network": name, "problem": message}
        problems.append(Problem(network, code, text, blocking))

    has_media = bool(draft.images) or draft.video
    maximum = limits.text_with_media if has_media and limits.text_with_media else limits.max_text
    length = text_length(network, draft.text)
    if length > maximum:
        if limits.weighted:
            message = _(
                "%(count)d characters out of %(max)d (each link counts as 23, an emoji as 2): "
                "shorten the text or split it into a thread."
            )
        elif has_media and limits.text_with_media:
            message = _(
                "%(count)d characters out of %(max)d for a message with media: shorten the "
                "text or send the media separately."
            )
        else:
            message = _("%(count)d characters out of %(max)d: shorten the text.")
        problem("too_long", message % {"count": length, "max": maximum})
    if limits.media_required and not has_media:
        problem("media_required", _("an image or a video is required: add one."))
    if len(draft.images) > limits.max_images:
        problem(
            "too_many_images",
            _("%(count)d images out of %(max)d: remove %(extra)d.")
            % {
                "count": len(draft.images),
                "max": limits.max_images,
                "extra": len(draft.images) - limits.max_images,
            },
        )
    if draft.images and draft.video and not limits.images_and_video:
        problem("images_and_video", _("images and a video cannot go together: keep one kind."))
    if limits.alt_text:
        for number, image in enumerate(draft.images, 1):
            if not image.alt_text.strip():
                problem(
                    "alt_text_missing",
                    _("image %(number)d has no alt text: describe what it shows.")
                    % {"number": number},
                )
            elif len(image.alt_text) > limits.max_alt_text:
                problem(
                    "alt_text_too_long",
                    _("the alt text of image %(number)d is longer than %(max)d characters.")
                    % {"number": number, "max": limits.max_alt_text},
                )
    if limits.jpeg_only and any(i.format.lower() not in ("jpeg", "jpg") for i in draft.images):
        problem(
            "converted_to_jpeg",
            _("only JPEG is accepted: Crieur converts the images automatically."),
            blocking=False,
        )
    if limits.aspect_ratio:
        low, high = limits.aspect_ratio
        for number, image in enumerate(draft.images, 1):
            ratio = image.width / image.height if image.height else 0
            if not low <= ratio <= high:
                problem(
                    "cropped",
                    _(
                        "image %(number)d is outside the 4:5 to 1.91:1 proportions: Crieur "
                        "crops it automatically; check the preview."
                    )
                    % {"number": number},
                    blocking=False,
                )
    cap = instagram_hashtag_cap() if network == "instagram" else limits.max_hashtags
    if cap is not None and len(hashtags(draft.text)) > cap:
        problem(
            "too_many_hashtags",
            _("%(count)d hashtags out of %(max)d: remove some.")
            % {"count": len(hashtags(draft.text)), "max": cap},
        )
    if limits.max_mentions is not None and len(mentions(draft.text)) > limits.max_mentions:
        problem(
            "too_many_mentions",
            _("%(count)d mentions out of %(max)d: remove some.")
            % {"count": len(mentions(draft.text)), "max": limits.max_mentions},
        )
    return problems


def draft_problems(network: str, draft: Draft) -> list[Problem]:
    """Every problem `draft` would meet on `network`: the text and media checks, and for
    a thread each part counted on its own (the first carries the media)."""
    name = NETWORK_NAMES[network]
    if draft.format == "thread" and network != "x":
        return [
            *check_text(network, draft),
            Problem(
                network,
                "thread_unsupported",
                _("%(network)s: threads exist only on X: choose the Feed post format.")
                % {"network": name},
            ),
        ]
    if draft.format != "thread":
        return check_text(network, draft)
    problems = []
    for number, text in enumerate([draft.text, *draft.thread], 1):
        part = Draft(text=text, images=draft.images if number == 1 else [], video=draft.video)
        for problem in check_text(network, part):
            if number > 1 and problem.code == "too_long":
                message = _("%(network)s: part %(number)d of the thread: %(problem)s") % {
                    "network": name,
                    "number": number,
                    "problem": problem.message.split(": ", 1)[-1],
                }
                problem = Problem(network, problem.code, message, problem.blocking)
            problems.append(problem)
    return problems
