"""How networks count text: X's weighted length, links, tags; LinkedIn escaping; threads."""

import pytest

from networks.text import (
    hashtags,
    linkedin_escape,
    mentions,
    plain_length,
    split_thread,
    urls,
    x_weighted_length,
)


@pytest.mark.parametrize(
    ("text", "weighted"),
    [
        ("a" * 280, 280),
        ("a" * 281, 281),
        ("é" * 280, 280),  # accented Latin is light
        ("e\u0301", 1),  # decomposed é is normalised first
        ("Fête du lac à Bourg-sur-Lac", 27),
        ("中" * 140, 280),  # CJK weighs 2
        ("日本語のテキスト", 16),
        ("https://www.bourg-sur-lac.fr/" + "x" * 100, 23),  # any link is 23
        ("Voir www.bourg-sur-lac.fr/travaux.", 5 + 23 + 1),
        ("Infos : www.ville.fr", 8 + 23),
        ("Infos : ville.fr", 16),  # a lone name under a country code needs a path
        ("😀", 2),
        ("👍🏽", 2),  # skin tone modifier joins the emoji
        ("👨‍👩‍👧‍👦", 2),  # ZWJ family is one emoji
        ("🇫🇷", 2),  # a flag
        ("1️⃣", 2),  # a keycap
        ("❤️ Merci !", 2 + 8),
        ("“Citation” – fin…", 18),  # quotes and dashes are light, the ellipsis weighs 2
        ("#FêteDuLac @Mairie", 18),
    ],
)
def test_x_weighted_length(text, weighted):
    assert x_weighted_length(text) == weighted


def test_plain_length_counts_code_points_after_normalisation():
    assert plain_length("e\u0301té") == 3
    assert plain_length("👨‍👩‍👧‍👦") == 7


def test_links_hashtags_and_mentions_are_found():
    text = "Programme sur https://ville.fr/fete, et www.ville.fr. #FêteDuLac #2027 @Mairie"

    assert urls(text) == ["https://ville.fr/fete", "www.ville.fr"]
    assert hashtags(text) == ["FêteDuLac"]  # "#2027" is no hashtag
    assert mentions(text) == ["Mairie"]


def test_linkedin_reserved_characters_are_escaped():
    assert linkedin_escape("Forum (gratuit) #Emploi @Ville [1] <b> a_b ~ * | {x} \\") == (
        "Forum \\(gratuit\\) \\#Emploi \\@Ville \\[1\\] \\<b\\> a\\_b \\~ \\* \\| \\{x\\} \\\\"
    )


def test_a_short_text_is_one_part():
    assert split_thread("Court.") == ["Court."]


def test_a_long_text_splits_into_numbered_parts_within_the_limit():
    text = " ".join(f"mot{n}" for n in range(120))

    parts = split_thread(text)

    assert len(parts) > 1
    assert all(x_weighted_length(part) <= 280 for part in parts)
    assert parts[0].endswith(f" 1/{len(parts)}") and parts[-1].endswith(
        f" {len(parts)}/{len(parts)}"
    )
    words = " ".join(part.rsplit(" ", 1)[0] for part in parts).split()
    assert words == text.split()
