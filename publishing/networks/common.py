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


class NetworkBase:
    """Shared behaviour; each network module subclasses it and sets `name`."""

    name: str = ""

    @property
    def limits(self) -> Limits:
        return LIMITS[self.name]

    def check(self, variant) -> list[Problem]:
        """Problems of this version on this network; never raises."""
        try:
            problems = check_text(self.name, variant_draft(variant))
        except Exception:  # noqa: BLE001 - a check must never stop a save
            return []
        if variant.format == "thread" and self.name != "x":
            from django.utils.translation import gettext as _

            problems.append(
                Problem(
                    self.name,
                    "thread_unsupported",
                    _("%(network)s: threads exist only on X: choose the Feed post format.")
                    % {"network": self.name.capitalize()},
                )
            )
        return problems

    def outgoing(self, variant) -> Outgoing:
        from .outgoing import outgoing

        return outgoing(variant)
