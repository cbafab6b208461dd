"""Per-network checks: clear problems naming the network, the limit and the fix."""

import pytest
from django.utils import translation

from networks.checks import Draft, ImageInfo, check_text

JPEG = ImageInfo("jpeg", 1080, 1080, "Le lac au coucher du soleil")


def codes(network, draft):
    return [(p.code, p.blocking) for p in check_text(network, draft)]


@pytest.mark.parametrize(
    ("network", "draft", "expected"),
    [
        ("x", Draft("a" * 280), []),
        ("x", Draft("a" * 281), [("too_long", True)]),
        ("x", Draft("中" * 141), [("too_long", True)]),
        ("x", Draft("ok", images=[JPEG] * 5), [("too_many_images", True)]),
        ("x", Draft("ok", images=[JPEG], video=True), [("images_and_video", True)]),
        ("facebook", Draft("a" * 63_206), []),
        ("facebook", Draft("a" * 63_207), [("too_long", True)]),
        ("instagram", Draft("Bel été"), [("media_required", True)]),
        ("instagram", Draft("a" * 2_201, images=[JPEG]), [("too_long", True)]),
        ("instagram", Draft("ok", images=[JPEG] * 11), [("too_many_images", True)]),
        (
            "instagram",
            Draft("ok", images=[ImageInfo("png", 1080, 1080, "Le lac")]),
            [("converted_to_jpeg", False)],
        ),
        (
            "instagram",
            Draft("ok", images=[ImageInfo("jpeg", 1080, 1920, "Affiche verticale")]),
            [("cropped", False)],
        ),
        (
            "instagram",
            Draft(" ".join(f"#t{n}a" for n in range(31)), images=[JPEG]),
            [("too_many_hashtags", True)],
        ),
        (
            "instagram",
            Draft(" ".join(f"@p{n}" for n in range(21)), images=[JPEG]),
            [("too_many_mentions", True)],
        ),
        ("linkedin", Draft("a" * 3_000), []),
        ("linkedin", Draft("a" * 3_001), [("too_long", True)]),
        ("whatsapp", Draft("a" * 4_096), []),
        ("whatsapp", Draft("a" * 1_025, images=[JPEG]), [("too_long", True)]),
        (
            "facebook",
            Draft("ok", images=[ImageInfo("jpeg", 800, 600, " ")]),
            [("alt_text_missing", True)],
        ),
        ("whatsapp", Draft("ok", images=[ImageInfo("jpeg", 800, 600, "")]), []),
    ],
)
def test_network_checks(network, draft, expected):
    assert codes(network, draft) == expected


def test_the_x_message_says_the_count_the_limit_and_how_links_count():
    with translation.override("fr"):
        [problem] = check_text("x", Draft("a" * 289 + " https://ville.fr/" + "x" * 50))

    assert problem.message.startswith("X\u00a0: 313 caractères sur 280")
    assert "chaque lien compte pour 23" in problem.message


def test_the_instagram_hashtag_cap_is_a_setting(settings):
    settings.CRIEUR_INSTAGRAM_HASHTAG_CAP = 5
    draft = Draft(" ".join(f"#tag{n}x" for n in range(6)), images=[JPEG])

    assert codes("instagram", draft) == [("too_many_hashtags", True)]
