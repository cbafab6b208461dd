"""How each network counts text: X's weighted length (twitter-text v3 rules), links, tags.

Implemented from the published rules, not from twitter-text's code: NFC first; a link
counts 23 whatever its length; an emoji sequence counts 2; a code point counts 1 in
the light ranges (Latin, Greek, Cyrillic, Hebrew, Arabic… up to U+10FF, and some
punctuation), 2 elsewhere (CJK, symbols).
"""

import re
import unicodedata

X_MAX_WEIGHTED = 280
X_URL_LENGTH = 23
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

_TLDS = (
    "fr|com|org|net|eu|info|io|be|ch|lu|ca|de|es|it|uk|gouv|paris|bzh|corsica|alsace|re|gp"
    "|mq|nc|pf|yt|pm|wf|tf|app|dev|news|media|museum"
)
URL_RE = re.compile(
    r"(?<![\w@.])(?:https?://[^\s<>\"']+|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    rf"(?:{_TLDS})\b(?:/[^\s<>\"']*)?)",
    re.IGNORECASE,
)
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


def _strip_trailing_punctuation(url: str) -> str:
    return url.rstrip(".,;:!?)»")


def urls(text: str) -> list[str]:
    return [_strip_trailing_punctuation(m.group(0)) for m in URL_RE.finditer(text)]


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
    spans = [
        (m.start(), m.start() + len(_strip_trailing_punctuation(m.group(0))), "url")
        for m in URL_RE.finditer(text)
    ]
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
