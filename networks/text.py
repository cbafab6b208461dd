"""How each network counts text: X's weighted length (twitter-text v3 rules), links, tags.

Implemented from the published rules, not from twitter-text's code: NFC first; a link
counts 23 whatever its length, and a link is what X's auto-linker takes for one (any
domain under one of IANA's top-level domains, with or without a scheme: see
`x_link_spans`); an emoji sequence counts 2; a code point counts 1 in
the light ranges (Latin, Greek, Cyrillic, Hebrew, Arabic… up to U+10FF, and some
punctuation), 2 elsewhere (CJK, symbols).
"""

import re
import unicodedata
from pathlib import Path

X_MAX_WEIGHTED = 280
X_URL_LENGTH = 23
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# X's auto-link rules (twitter-text's extractor, as X applies it when it counts a post):
# a link is a domain ending in a real top-level domain, with or without a scheme. The
# top-level domains are IANA's list (data/tlds.txt, `manage.py update_tlds` renews it).
TLDS_FILE = Path(__file__).parent / "data" / "tlds.txt"
X_MAX_URL_LENGTH = 4096
X_MAX_LABEL_LENGTH = 63
X_MAX_TCO_SLUG = 40


def _load_tlds() -> tuple[list[str], list[str]]:
    """(generic, country code) top-level domains, longest first."""
    names = [
        line.strip().lower()
        for line in TLDS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    names.sort(key=lambda name: (-len(name), name))  # the longest first in the patterns
    country = [name for name in names if len(name) == 2 and name.isascii()]
    generic = [name for name in names if not (len(name) == 2 and name.isascii())]
    return generic, country


_GENERIC_TLDS, _COUNTRY_TLDS = _load_tlds()
_PUNCTUATION = r"!'#%&'()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_DOMAIN_CHAR = rf"[^{_PUNCTUATION}\s\u180e{_INVALID}{_DIRECTIONAL}]"
_TLD_END = r"(?=[^0-9a-z@+\-]|\Z)"
_GTLD = "(?:(?:" + "|".join(map(re.escape, _GENERIC_TLDS)) + f"){_TLD_END})"
_CCTLD = "(?:(?:" + "|".join(map(re.escape, _COUNTRY_TLDS)) + f"){_TLD_END})"
_PUNYCODE = r"(?:xn--[\-0-9a-z]+)"
_SUBDOMAIN = rf"(?:{_DOMAIN_CHAR}(?:[_\-]*{_DOMAIN_CHAR})*+\.)"  # underscores allowed
_DOMAIN_NAME = rf"(?:{_DOMAIN_CHAR}(?:-*{_DOMAIN_CHAR})*+\.)"  # the label before the TLD
_DOMAIN = rf"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}(?:{_GTLD}|{_CCTLD}|{_PUNYCODE}))"
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
_PATH_CHAR = rf"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}]"
_PARENS = rf"\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\)"
_PATH_END = rf"(?:[+\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|{_PARENS})"  # not . , ! ? )
_PATH = rf"(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END}|@{_PATH_CHAR}+/)"
_QUERY = r"\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-z0-9\-_&=#/]"
_URL = rf"((https?://)?({_DOMAIN})(?::([0-9]+))?(/{_PATH}*)?({_QUERY})?)"
# What may look like a link (not after a letter, a digit, @, $ or #): to set links aside.
URL_RE = re.compile(rf"(?<![A-Za-z0-9@＠$#＃{_INVALID}]){_URL}", re.IGNORECASE)
# The extractor proper: the character before a link is part of the match, as in
# twitter-text, so that a link never starts right where the last one ended.
_EXTRACT_RE = re.compile(rf"(?:^|[^A-Za-z0-9@＠$#＃{_INVALID}]){_URL}", re.IGNORECASE)
_ASCII_DOMAIN_RE = re.compile(
    rf"(?:[\-a-z0-9{_LATIN_ACCENTS}]+\.)+(?:{_GTLD}|{_CCTLD}|{_PUNYCODE})", re.IGNORECASE
)
_SHORT_DOMAIN_RE = re.compile(rf"{_DOMAIN_NAME}{_CCTLD}", re.IGNORECASE)
_SPECIAL_SHORT_DOMAIN_RE = re.compile(rf"{_DOMAIN_NAME}(?:co|tv){_TLD_END}", re.IGNORECASE)
_TCO_RE = re.compile(r"https?://t\.co/([a-z0-9]+)(?:" + _QUERY + ")?", re.IGNORECASE)
_NO_SCHEME_AFTER = "-_./"
_DOMAIN_CHAR_RE = re.compile(_DOMAIN_CHAR)
_PRECEDING_RE = re.compile(rf"[^A-Za-z0-9@＠$#＃{_INVALID}]")
# The rest of a run of domain characters, up to a scheme that may start a link in it.
_RUN_RE = re.compile(rf"(?:(?!https?://){_DOMAIN_CHAR}|[.\-_])*", re.IGNORECASE)


def _valid_host(host: str, url_length: int, scheme: str) -> bool:
    """X's last check: every label of the host at most 63 characters once punycoded, and
    the whole link, with a scheme, at most 4096."""
    encoded = []
    for label in host.split("."):
        if not label.isascii():
            try:
                label = "xn--" + label.lower().encode("punycode").decode("ascii")
            except UnicodeError:
                return False
        if not 0 < len(label) <= X_MAX_LABEL_LENGTH:
            return False
        encoded.append(label)
    length = url_length + len(".".join(encoded)) - len(host) + (len(scheme) or len("https://"))
    return length <= X_MAX_URL_LENGTH


def _candidates(text: str):
    """Matches of _EXTRACT_RE giving the same links as `finditer`, without its quadratic
    time on long runs of labels ("a.a.a.…", CJK with dots): when no link starts at the
    head of a run of domain characters, none starts further in it (a later start only
    drops leading labels), so the rest of the run is skipped, up to any scheme."""
    position = 0
    while position < len(text):
        found = _EXTRACT_RE.match(text, position)
        if found:
            yield found
            position = max(found.end(), position + 1)
            continue
        if position == 0 and _DOMAIN_CHAR_RE.match(text, 0):
            head = 0  # a link was tried from the very start
        elif _PRECEDING_RE.match(text, position) and _DOMAIN_CHAR_RE.match(text, position + 1):
            head = position + 1  # a link was tried right after this character
        else:
            position += 1
            continue
        # No link starts at the head of this run of labels: skip the rest of it.
        position = max(_RUN_RE.match(text, head).end() - 1, position + 1)


def x_link_spans(text: str) -> list[tuple[int, int]]:
    """Where X sees links in a text, as (start, end) offsets, by twitter-text's rules:
    a scheme is optional; without one the domain must be ASCII and a lone name under a
    country code (`ville.fr`, but not `t.co`) needs a path to be a link; a link ends at
    whitespace, CJK, direction marks and trailing punctuation."""
    if "." not in text:
        return []
    spans = []
    for found in _candidates(text):
        url, scheme, domain, _port, path, _query = found.groups()
        start, end = found.span(1)
        if scheme:
            tco = _TCO_RE.match(url)
            if tco:
                if len(tco.group(1)) > X_MAX_TCO_SLUG:
                    continue
                end = start + tco.end()
            if _valid_host(domain, end - start, scheme):
                spans.append((start, end))
            continue
        if start and text[start - 1] in _NO_SCHEME_AFTER:
            continue
        found_domains = list(_ASCII_DOMAIN_RE.finditer(domain))
        for number, ascii_domain in enumerate(found_domains, 1):
            host = ascii_domain.group(0)
            link_start, link_end = start + ascii_domain.start(), start + ascii_domain.end()
            if path and number == len(found_domains):
                link_end = end  # the last domain takes the path (and query) with it
            short = _SHORT_DOMAIN_RE.fullmatch(host)
            if short and _SPECIAL_SHORT_DOMAIN_RE.fullmatch(host):
                short = None
            if (path or not short) and _valid_host(host, link_end - link_start, ""):
                spans.append((link_start, link_end))
    return spans


HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w*[^\W\d_]\w*)")
MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,50})")

_PICTOGRAPH = (
    r"\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\u2190-\u21FF"
    r"\u3030\u303D\u3297\u3299\u00A9\u00AE\u203C\u2049\u2122\u2139"
)
_EXTEND = r"(?:\uFE0F|[\U0001F3FB-\U0001F3FF]|[\U000E0020-\U000E007F])*"
_ELEMENT = rf"[{_PICTOGRAPH}]{_EXTEND}"
EMOJI_RE = re.compile(
    r"[\U0001F1E6-\U0001F1FF]{2}"  # a flag: two regional indicators
    r"|[0-9#*]\uFE0F?\u20E3"  # a keycap
    rf"|{_ELEMENT}(?:\u200D{_ELEMENT})*"  # a pictograph, modifiers, ZWJ sequences
)


def _weight(char: str) -> int:
    code = ord(char)
    return 1 if any(low <= code <= high for low, high in LIGHT_RANGES) else 2


def urls(text: str) -> list[str]:
    """The links X sees in a text."""
    return [text[start:end] for start, end in x_link_spans(text)]


def hashtags(text: str) -> list[str]:
    return HASHTAG_RE.findall(unicodedata.normalize("NFC", text))


def mentions(text: str) -> list[str]:
    return MENTION_RE.findall(text)


def plain_length(text: str) -> int:
    """Code points after NFC: how Meta, LinkedIn and WhatsApp count."""
    return len(unicodedata.normalize("NFC", text))


def x_weighted_length(text: str) -> int:
    """The length X counts, out of 280."""
    text = unicodedata.normalize("NFC", text)
    length = 0
    position = 0
    spans = [(start, end, "url") for start, end in x_link_spans(text)]
    spans += [(m.start(), m.end(), "emoji") for m in EMOJI_RE.finditer(text)]
    spans.sort()
    for start, end, kind in spans:
        if start < position:
            continue  # an emoji inside a link is part of the link
        length += sum(_weight(char) for char in text[position:start])
        length += X_URL_LENGTH if kind == "url" else 2
        position = end
    length += sum(_weight(char) for char in text[position:])
    return length


LINKEDIN_RESERVED = set("|{}@[]()<>#*_~\\")


def linkedin_escape(text: str) -> str:
    """Escape LinkedIn's reserved characters; unescaped, LinkedIn silently cuts the text.

    Hashtags then show as plain text "#mot", which is how LinkedIn renders escaped ones.
    """
    return "".join(f"\\{char}" if char in LINKEDIN_RESERVED else char for char in text)


def split_thread(text: str, *, limit: int = X_MAX_WEIGHTED, numbering: bool = True) -> list[str]:
    """Split a long text into X thread parts at word boundaries, numbered " 1/3"."""
    words = text.split()
    if x_weighted_length(text) <= limit:
        return [text]
    for guess in range(2, len(words) + 2):
        suffix_room = len(f" {guess}/{guess}") if numbering else 0
        parts, current = [], ""
        for word in words:
            candidate = f"{current} {word}".strip()
            if x_weighted_length(candidate) + suffix_room <= limit or not current:
                current = candidate
            else:
                parts.append(current)
                current = word
        parts.append(current)
        if len(parts) <= guess:
            if numbering:
                parts = [f"{part} {n}/{len(parts)}" for n, part in enumerate(parts, 1)]
            return parts
    return parts
