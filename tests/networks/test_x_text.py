"""X's text as X reads it: what its auto-linker takes for a link (each counts 23), what
ends a link, emoji and CJK weights; the sandbox counting the same way; and the command
that renews the top-level domains from IANA's list.

Expected links are those of X's own conformance cases (twitter-text) where they exist.
"""

import pytest
import requests
from django.core.management import CommandError, call_command

from networks.checks import Draft, check_text
from networks.sandbox import x as sandbox_x
from networks.text import TLDS_FILE, urls, x_weighted_length

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # four people joined by three zero-width joiners
SANDBOX_USER = "1460000000000000042"


# -- links with and without a scheme --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weighted"),
    [
        ("bit.ly/3xYz", 23),
        ("Voir bit.ly/3xYz", 5 + 23),
        ("lnkd.in/abc", 23),
        ("usa.gov", 23),
        ("t.co/abcde", 23),
        ("Infos : service-public.gouv.fr", 8 + 23),
        ("www.ville.fr", 23),
        ("https://ville.fr", 23),
        ("http://ville.fr/" + "x" * 300, 23),
        ("Fête.com", 23),  # accented Latin is fine without a scheme
        ("monsite.paris/agenda", 23),  # any top-level domain of IANA's list
    ],
)
def test_a_domain_under_a_real_top_level_domain_is_a_link_of_23(text, weighted):
    assert x_weighted_length(text) == weighted


@pytest.mark.parametrize(
    ("text", "weighted"),
    [
        ("ville.fr", 8),  # a lone name under a country code needs a path, or a scheme
        ("lnkd.in", 7),
        ("foo.comm", 8),  # not a top-level domain
        ("@ville.com", 10),  # a mention, not a link
        ("#ville.com", 10),
        ("-ville.com", 10),
    ],
)
def test_what_x_does_not_link_counts_as_text(text, weighted):
    assert x_weighted_length(text) == weighted


def test_t_co_and_tv_are_links_even_without_a_path():
    assert urls("t.co MLB.tv vine.co twitter.jp") == ["t.co", "MLB.tv", "vine.co"]


def test_links_without_a_scheme_are_found_as_x_finds_them():
    text = (
        "foo.baz foo.co.jp www.xxxxxxx.baz www.foo.co.uk wwwww.xxxxxxx foo.comm foo.somecom "
        "foo.govedu foo.jp t.co/abcde bit.ly/abcde http://foo.jp"
    )

    assert urls(text) == [
        "foo.co.jp",
        "www.foo.co.uk",
        "t.co/abcde",
        "bit.ly/abcde",
        "http://foo.jp",
    ]


# -- internationalised domains --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "https://президент.рф",
        "https://例子.中国/",
        "http://foobar.みんな/",
        "http://foobar.پاکستان/",
        "www.mairie.рф",  # an ASCII name needs no scheme, whatever the top-level domain
        "http://xn--ls8h.XN--ls8h.la/",  # punycode
    ],
)
def test_internationalised_top_level_domains_are_links(text):
    assert urls(text) == [text]
    assert x_weighted_length(text) == 23


def test_a_name_in_another_script_needs_a_scheme_to_be_a_link():
    assert urls("президент.рф") == []
    assert x_weighted_length("президент.рф") == 12


def test_the_shipped_list_holds_generic_country_and_internationalised_domains():
    domains = set(TLDS_FILE.read_text(encoding="utf-8").split())

    assert {"com", "gov", "fr", "ly", "in", "paris", "bzh", "рф", "中国", "みんな"} <= domains
    assert len(domains) > 1000


# -- hosts X refuses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weighted"),
    [
        ("https://localhost/agenda", 24),  # no top-level domain
        ("https://intranet.mairie/agenda", 30),
        ("https://my_site.com", 19),  # an underscore in the domain
        ("https://" + "a" * 64 + ".com", 76),  # a label over 63 characters
        ("https://t.co/" + "a" * 41, 54),  # a t.co slug over 40 characters
    ],
)
def test_a_host_x_refuses_is_plain_text(text, weighted):
    assert urls(text) == []
    assert x_weighted_length(text) == weighted


def test_underscores_are_allowed_in_subdomains_and_labels_up_to_63():
    assert x_weighted_length("https://sub_domain.ville.fr") == 23
    assert x_weighted_length("https://" + "a" * 63 + ".com") == 23


def test_a_long_text_of_over_long_labels_does_not_fit():
    host = ".".join(["b" * 70] * 3) + ".com"
    text = " ".join(f"https://{host}/{n}" for n in range(60))[:12076]
    assert len(text) == 12076

    assert x_weighted_length(text) == 12076
    [problem] = check_text("x", Draft(text=text))
    assert problem.code == "too_long"


@pytest.mark.parametrize("text", ["a." * 5000, "日本." * 3000, "ab-" * 3000 + ".com"])
def test_long_runs_of_labels_are_plain_text(text):
    """No link in them (the scan's speed on such texts is measured by bench.x_links)."""
    assert x_weighted_length(text) == sum(2 if char in "日本" else 1 for char in text)


# -- what ends a link -----------------------------------------------------------------------


def test_cjk_text_ends_a_link_on_either_side():
    text = (
        "http://twitter.com/これは日本語です。example.com中国語http://t.co/abcde한국"
        "twitter.comテストexample2.comテストhttp://twitter.com/abcde"
    )

    assert urls(text) == [
        "http://twitter.com/",
        "example.com",
        "http://t.co/abcde",
        "twitter.com",
        "example2.com",
        "http://twitter.com/abcde",
    ]
    assert x_weighted_length("https://ville.fr/fête日本語") == 23 + 6


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202e"])
def test_an_invisible_direction_mark_ends_a_link(mark):
    assert urls(f"https://ville.fr/agenda{mark}suite") == ["https://ville.fr/agenda"]
    assert urls(f"ville.fr/agenda{mark}suite") == ["ville.fr/agenda"]
    # the mark itself weighs 2 (outside the light ranges)
    assert x_weighted_length(f"https://ville.fr/agenda{mark}suite") == 23 + 2 + 5


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("Voir https://ville.fr/agenda.", "https://ville.fr/agenda"),
        ("https://ville.fr/agenda, puis", "https://ville.fr/agenda"),
        ("Vite : https://ville.fr/agenda!", "https://ville.fr/agenda"),
        ("Où ? https://ville.fr/agenda?", "https://ville.fr/agenda"),
        ("(voir https://ville.fr/agenda)", "https://ville.fr/agenda"),
        (
            "https://fr.wikipedia.org/wiki/Primer_(film)",
            "https://fr.wikipedia.org/wiki/Primer_(film)",
        ),
        ("https://ville.fr/agenda?page=2 ensuite", "https://ville.fr/agenda?page=2"),
        ("http://t.co/8MkmHU0k+c", "http://t.co/8MkmHU0k"),
    ],
)
def test_whitespace_and_trailing_punctuation_end_a_link(text, link):
    assert urls(text) == [link]


# -- emoji and CJK weights ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weighted"),
    [
        (FAMILY, 2),  # an emoji ZWJ sequence is one emoji
        (FAMILY * 140, 280),
        ("👩🏽\u200d💻", 2),  # with a skin tone
        ("🏳️\u200d🌈", 2),
        ("中" * 140, 280),
        ("日本語 bit.ly/3xYz", 7 + 23),
    ],
)
@pytest.mark.parametrize("counter", [x_weighted_length, sandbox_x.weighted_length])
def test_emoji_and_cjk_weigh_two_for_crieur_and_for_the_sandbox(counter, text, weighted):
    assert counter(text) == weighted


# -- the sandbox counts as X does -----------------------------------------------------------


def post_to_sandbox(sandbox, text):
    return requests.post(
        f"{sandbox.url}/x/2/tweets",
        json={"text": text},
        headers={"Authorization": f"Bearer sandbox-x-token-{SANDBOX_USER}"},
        timeout=5,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        FAMILY * 140,  # 280 on X
        "a" * 256 + " bit.ly/" + "x" * 100,  # 256 + 1 + a link of 23
        "中" * 128 + " https://例子.中国/" + "x" * 50,  # 256 + 1 + 23
    ],
)
def test_the_sandbox_accepts_what_x_accepts(sandbox, text):
    answer = post_to_sandbox(sandbox, text)

    assert answer.status_code == 201, answer.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        FAMILY * 141,
        "a" * 257 + " bit.ly/3xYz",
        "a" * 272 + " ville.fr",  # no link: 281
        "https://" + "a" * 64 + ".com " + "a" * 210,  # an over-long label is text
    ],
)
def test_the_sandbox_refuses_what_x_refuses(sandbox, text):
    answer = post_to_sandbox(sandbox, text)

    assert answer.status_code == 400
    assert "too long" in answer.json()["detail"]


@pytest.mark.django_db
def test_the_sandbox_gives_links_back_as_t_co_links_with_or_without_a_scheme(sandbox):
    answer = post_to_sandbox(sandbox, "Travaux : bit.ly/3xYz & https://ville.fr/a. ville.fr")
    tweet_id = answer.json()["data"]["id"]

    shown = requests.get(
        f"{sandbox.url}/x/2/tweets/{tweet_id}",
        headers={"Authorization": f"Bearer sandbox-x-token-{SANDBOX_USER}"},
        timeout=5,
    ).json()["data"]["text"]

    first, rest = shown.removeprefix("Travaux : ").split(" &amp; ")
    assert first.startswith("https://t.co/")
    assert rest.startswith("https://t.co/") and rest.endswith(". ville.fr")


# -- renewing the list from IANA's ----------------------------------------------------------


IANA_SAMPLE = """# Version 2026113000, Last Updated Mon Nov 30 07:07:01 2026 UTC
AAA
COM
FR
GOUV
XN--P1AI
XN--FIQS8S
"""


def test_the_command_rewrites_the_list_from_a_local_copy_of_iana_s(tmp_path):
    source = tmp_path / "tlds-alpha-by-domain.txt"
    source.write_text(IANA_SAMPLE, encoding="utf-8")
    output = tmp_path / "tlds.txt"

    call_command("update_tlds", str(source), output=str(output), stdout=None)

    lines = output.read_text(encoding="utf-8").splitlines()
    assert "Version 2026113000" in lines[0]
    assert [line for line in lines if not line.startswith("#")] == [
        "aaa",
        "com",
        "fr",
        "gouv",
        "рф",
        "中国",
    ]


def test_the_command_refuses_a_file_that_is_no_list_of_domains(tmp_path):
    source = tmp_path / "page.html"
    source.write_text("<html>Not found</html>\n", encoding="utf-8")
    output = tmp_path / "tlds.txt"

    with pytest.raises(CommandError, match="not a top-level domain"):
        call_command("update_tlds", str(source), output=str(output), stdout=None)
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("update_tlds", str(tmp_path / "missing.txt"), output=str(output))
    assert not output.exists()
