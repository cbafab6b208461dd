"""What each network takes of what goes out: the image conversion it needs, thread parts.

The conversion itself (a `cms.Variant` to an `Outgoing`, its images to renditions) is
cms's, in `cms/adaptation.py`; the rules it follows are the networks', here.
"""

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


def x_thread_preview(text: str) -> list[str]:
    """How a long text will be split into a numbered X thread."""
    return split_thread(text)
