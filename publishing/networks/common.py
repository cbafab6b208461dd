"""What every network module shares: the checks on a version and building what it sends."""

from .base import Outgoing
from .checks import Draft, ImageInfo, Problem, check_text
from .limits import LIMITS, Limits


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
    return Draft(text=variant.effective_text, images=images, video=bool(variant.post.document_id))


def variant_problems(variant) -> list[Problem]:
    """Every problem a version would meet on its network; never raises."""
    from django.utils.translation import gettext as _

    from .checks import NETWORK_NAMES
    from .outgoing import outgoing_parts

    network = variant.account.network
    try:
        draft = variant_draft(variant)
    except Exception:  # noqa: BLE001 - a check must never stop a save
        return []
    name = NETWORK_NAMES[network]
    if variant.format == "thread" and network != "x":
        return [
            *check_text(network, draft),
            Problem(
                network,
                "thread_unsupported",
                _("%(network)s: threads exist only on X: choose the Feed post format.")
                % {"network": name},
            ),
        ]
    if variant.format != "thread":
        return check_text(network, draft)
    # A thread: the first part carries the media; each part is counted on its own.
    problems = []
    for number, text in enumerate(outgoing_parts(variant), 1):
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


class NetworkBase:
    """Shared behaviour; each network module subclasses it and sets `name`."""

    name: str = ""

    @property
    def limits(self) -> Limits:
        return LIMITS[self.name]

    def check(self, variant) -> list[Problem]:
        """Problems of this version on this network; never raises."""
        return variant_problems(variant)

    def outgoing(self, variant) -> Outgoing:
        from .outgoing import outgoing

        return outgoing(variant)
