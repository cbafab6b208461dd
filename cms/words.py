"""Dates and names put into words the way the reader's language writes them.

Django's formats know the order of a date's parts, not the small rules around them: in
French the first day of a month is « 1er » (« 1er décembre », never « 1 décembre »), and
« de » loses its vowel before a name that starts with one (« au nom d'Élise Petit »).
Every date shown in words, and every « de <someone> », goes through here.
"""

import re
import unicodedata
from datetime import date, datetime

from django.utils import dateformat, formats, timezone, translation

# Format names of Django's locale formats (DATE_FORMAT, SHORT_DATETIME_FORMAT, …); any
# other string is a format of its own ("j F Y").
_FORMAT_NAMES = frozenset(
    {
        "DATE_FORMAT",
        "DATETIME_FORMAT",
        "SHORT_DATE_FORMAT",
        "SHORT_DATETIME_FORMAT",
        "MONTH_DAY_FORMAT",
        "YEAR_MONTH_FORMAT",
        "TIME_FORMAT",
    }
)


def _french() -> bool:
    return (translation.get_language() or "").split("-")[0] == "fr"


def _first_of_month(format_string: str) -> str:
    """The format with « 1er » for the day: every unescaped `j` becomes `j` + « er »."""
    out = []
    escaped = False
    for char in format_string:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "j":
            out.append(r"j\e\r")
        else:
            out.append(char)
    return "".join(out)


def date_words(value: date | datetime | None, format_name: str = "DATETIME_FORMAT") -> str:
    """`value` as the active language writes it (a datetime in local time), with a
    format name (DATETIME_FORMAT by default) or a format string.

    >>> date_words(datetime(2026, 12, 1, 10, 0))   # in French
    '1er décembre 2026 10:00'
    """
    if value is None or value == "":
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    format_string = formats.get_format(format_name) if format_name in _FORMAT_NAMES else format_name
    if value.day == 1 and _french():
        format_string = _first_of_month(format_string)
    return dateformat.format(value, format_string)


def _starts_with_vowel_sound(name: str) -> bool:
    """Whether French elides before `name`: a vowel, a mute h (names: « d'Hélène »), a y
    before a consonant (« d'Yves », but « de Yann »)."""
    letters = unicodedata.normalize("NFD", name.strip())
    letters = "".join(c for c in letters if not unicodedata.combining(c)).lower()
    if not letters:
        return False
    first = letters[0]
    if first in "aeiouh":
        return True
    return first == "y" and len(letters) > 1 and letters[1] not in "aeiouy"


def elide_de(text: str, name: str) -> str:
    """`text` with « de <name> » written « d'<name> » where French elides (before a
    vowel or a mute h): « au nom d'Élise Petit », « au nom de Jean Martin ». Other
    languages, and names French does not elide before, are left as they are."""
    if not name or not _french() or not _starts_with_vowel_sound(name):
        return text
    return re.sub(r"\b([Dd])e " + re.escape(name), lambda m: m.group(1) + "'" + name, text)
