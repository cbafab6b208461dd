"""Bulk import of scheduled posts from a spreadsheet (CSV or XLSX), checked row by row."""

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass

from celery import signature
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from wagtail.log_actions import log

from cms.models import Campaign, Post, PostImage, Variant
from networks.checks import Draft, ImageInfo, check_text
from networks.limits import LIMITS
from networks.models import Network, SocialAccount

from . import import_media
from .models import ImportJob
from .services import schedule_problem

# The task that creates the posts of an import (publishing/tasks.py), by name.
IMPORT_RUN_TASK = "publishing.tasks.import_run_task"

MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024
# Lines read at most under the header, blank ones included: a sheet of millions of empty
# rows (a few kilobytes zipped) stops being read here, whatever the rows contain.
MAX_LINES = 2 * MAX_ROWS
# Columns read at most; the known columns are nine.
MAX_COLUMNS = 20
# An .xlsx is a zip: what it unpacks to is checked before anything is parsed. A real
# import of a thousand posts unpacks to a few megabytes at a ratio of about ten.
MAX_UNZIPPED_BYTES = 10 * 1024 * 1024
MAX_RATIO = 100  # for a member of more than a megabyte
MAX_MEMBERS = 500
# Characters in a cell: the text of a post (and the images and their alt texts, which
# may be several), and every other column. Longer cells are kept cut one character past
# the limit, so the row check still sees them too long.
TEXT_MAX = 5000
CELL_MAX = 500
LONG_COLUMNS = ("text", "images", "alt_texts")
TITLE_LENGTH = 60
TITLE_MAX = 200  # Post.title's max_length
LINK_MAX = 200  # Post.link's max_length
# Images of one row (Instagram's carousel holds ten) and the length of an alt text
# (PostImage.alt_text's max_length).
MAX_IMAGES = 10
ALT_MAX = 1000
# Several images or alt texts in one cell: separated by | (or by line breaks).
PIECES = re.compile(r"\||\r?\n")

# Each column's key, then every header (normalized: lower case, no accents) that names it.
COLUMNS = {
    "date": ("date", "jour"),
    "time": ("heure", "time", "hour"),
    "accounts": ("comptes", "compte", "accounts", "account", "reseaux"),
    "text": ("texte", "text"),
    "title": ("titre", "title"),
    "campaign": ("campagne", "campaign"),
    "link": ("lien", "link", "url"),
    "images": ("images", "image", "photos", "photo", "medias", "media"),
    "alt_texts": (
        "textes alternatifs",
        "alt texts",
        "texte alternatif",
        "alt text",
        "alternatives",
        "alt",
        "alternative texts",
    ),
}
# The columns of the downloadable template, in French and in English.
TEMPLATE_HEADERS = {
    "fr": (
        "date",
        "heure",
        "comptes",
        "texte",
        "titre",
        "campagne",
        "lien",
        "images",
        "textes alternatifs",
    ),
    "en": ("date", "time", "accounts", "text", "title", "campaign", "link", "images", "alt texts"),
}
REQUIRED = ("date", "time", "accounts", "text")
HEADER_KEYS = {name: key for key, names in COLUMNS.items() for name in names}
# Column names are data the user types: the same in every language of the interface.
REQUIRED_NAMES = "date, heure (time), comptes (accounts), texte (text)"
OPTIONAL_NAMES = (
    "titre (title), campagne (campaign), lien (link), images, textes alternatifs (alt texts)"
)


def expected_columns() -> str:
    """The columns a file must name, for the messages that say what is expected."""
    optional = gettext("optional: %(columns)s") % {"columns": OPTIONAL_NAMES}
    return f"{REQUIRED_NAMES}; {optional}"


COLUMN_LABELS = {
    "date": _("date"),
    "time": _("time"),
    "accounts": _("accounts"),
    "text": _("text"),
    "title": _("title"),
    "campaign": _("campaign"),
    "link": _("link"),
    "images": _("images"),
    "alt_texts": _("alt texts"),
}
# The row's own check asks an alt text of every image (RGAA), whatever the network.
IGNORED_CHECKS = {"alt_text_missing"}
# What the networks say of the media is said of the images column.
MEDIA_CHECKS = {"media_required", "too_many_images", "alt_text_too_long", "images_and_video"}

DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
TIME = re.compile(r"^(\d{1,2})\s*[:hH]\s*(\d{2})?(?::\d{2})?$")


class ImportFileError(Exception):
    """The file as a whole cannot be read: the message says why and what to do; the code,
    when there is one, says which limit it passed."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


def _plain(value: str) -> str:
    """Lower case, without accents or surrounding spaces: how names are compared."""
    decomposed = unicodedata.normalize("NFKD", value.strip().casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


# -- Reading ------------------------------------------------------------------------------


def _cell_text(value, key: str | None) -> str:
    """A spreadsheet cell as the text the user would have typed."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if key == "time":
            return value.strftime("%H:%M")
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _clip(text: str) -> str:
    return text[: TEXT_MAX + 1]


def _csv_records(data: bytes) -> Generator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # French Excel's "CSV (point-virgule)" writes Windows-1252, not UTF-8.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError(
                gettext(
                    "This file's characters cannot be read: save it as “CSV UTF-8” and "
                    "upload it again."
                )
            ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    try:
        # A field is at most csv.field_size_limit() long (128 KiB unless changed).
        for record in csv.reader(io.StringIO(text), delimiter=delimiter):
            yield [_clip(cell.strip()) for cell in record[:MAX_COLUMNS]]
    except csv.Error as error:
        raise ImportFileError(
            gettext("This CSV file cannot be read (%(reason)s): check it and upload it again.")
            % {"reason": error}
        ) from None


def _not_a_workbook() -> ImportFileError:
    return ImportFileError(
        gettext(
            "This file is not a readable Excel workbook: save it as .xlsx (or as CSV) "
            "and upload it again."
        )
    )


def _xlsx_unzipped_check(data: bytes) -> None:
    """Refuse a workbook that unpacks to far more than a spreadsheet of posts, before any
    XML is parsed (Python's zipfile never unpacks a member past its declared size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise _not_a_workbook() from None
    unzipped = sum(member.file_size for member in members)
    packed = any(
        member.file_size > 1024 * 1024
        and member.file_size > MAX_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if len(members) > MAX_MEMBERS or unzipped > MAX_UNZIPPED_BYTES or packed:
        raise ImportFileError(
            gettext(
                "This workbook unpacks to more than %(max)d MB: it holds far more than rows "
                "of posts (often thousands of empty formatted rows or cells). Copy your rows "
                "into a new workbook, or save it as CSV, and upload it again."
            )
            % {"max": MAX_UNZIPPED_BYTES // (1024 * 1024)},
            code="unzipped_too_large",
        )


def _xlsx_records(data: bytes) -> Generator[list[str]]:
    _xlsx_unzipped_check(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _not_a_workbook() from None
    try:
        sheet = workbook.worksheets[0]
        keys: list[str | None] = []
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            if not keys:
                keys = [HEADER_KEYS.get(_plain(_cell_text(v, None))) for v in values]
            yield [
                _clip(_cell_text(value, keys[i] if i < len(keys) else None))
                for i, value in enumerate(values)
            ]
    except (zipfile.BadZipFile, KeyError, IndexError, TypeError, ValueError, OSError, SyntaxError):
        # A member cut short, XML that does not parse (ParseError is a SyntaxError), a
        # cell pointing at a shared string that is not there.
        raise _not_a_workbook() from None
    finally:
        workbook.close()


def _cell_max(key: str) -> int:
    return TEXT_MAX if key in LONG_COLUMNS else CELL_MAX


def _shortened(cell: str) -> str:
    return cell if len(cell) <= 50 else cell[:49] + "…"


def rows_read(*, name: str, data: bytes) -> list[dict]:
    """The rows of a CSV or XLSX file, each {"line": n, column key: text}.

    Raises ImportFileError when the file as a whole is unusable: its format, its size,
    its columns.
    """
    if len(data) > MAX_BYTES:
        raise ImportFileError(gettext("The file is larger than 2 MB: split it into several files."))
    extension = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if extension == "csv":
        records = _csv_records(data)
    elif extension == "xlsx":
        records = _xlsx_records(data)
    else:
        raise ImportFileError(
            gettext(
                "Only .csv and .xlsx files can be imported: save the spreadsheet in one of "
                "these formats. Expected columns: %(columns)s."
            )
            % {"columns": expected_columns()}
        )
    with closing(records):  # an .xlsx read only part way is closed at once
        return _rows_from(records)


def _rows_from(records: Iterator[list[str]]) -> list[dict]:
    header = next(records, [])
    if not any(header):
        raise ImportFileError(
            gettext("The file is empty: its first line must name the columns: %(columns)s.")
            % {"columns": expected_columns()}
        )
    keys: list[str | None] = []
    unknown, seen, twice = [], set(), []
    for cell in header:
        key = HEADER_KEYS.get(_plain(cell))
        if cell and key is None:
            unknown.append(_shortened(cell))
        if key is not None and key in seen:
            twice.append(_shortened(cell))
        seen.add(key)
        keys.append(key)
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in seen]
    if unknown or missing or twice:
        reasons = []
        if unknown:
            reasons.append(gettext("unknown columns: %(names)s") % {"names": ", ".join(unknown)})
        if missing:
            reasons.append(gettext("missing columns: %(names)s") % {"names": ", ".join(missing)})
        if twice:
            reasons.append(gettext("columns given twice: %(names)s") % {"names": ", ".join(twice)})
        raise ImportFileError(
            gettext(
                "The first line of the file does not name the expected columns (%(reasons)s). "
                "Expected: %(columns)s. Download the template to start from the right columns."
            )
            % {"reasons": "; ".join(reasons), "columns": expected_columns()}
        )
    rows: list[dict] = []
    for line, record in enumerate(records, 2):
        if line > MAX_LINES + 1:
            raise ImportFileError(
                gettext(
                    "The file goes on past line %(lines)d (empty lines count too): delete "
                    "the empty rows under your posts, or split the file into files of at "
                    "most %(max)d rows."
                )
                % {"lines": MAX_LINES + 1, "max": MAX_ROWS},
                code="too_many_lines",
            )
        if not any(record):
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(
                gettext(
                    "The file has more than %(max)d rows: split it into files of at most "
                    "%(max)d rows."
                )
                % {"max": MAX_ROWS}
            )
        row = {"line": line} | dict.fromkeys(COLUMNS, "")
        for key, value in zip(keys, record, strict=False):
            if key is not None:
                row[key] = value[: _cell_max(key) + 1]
        rows.append(row)
    if not rows:
        raise ImportFileError(
            gettext("The file has no rows under the column names: add one row per post.")
        )
    return rows


# -- Checking -----------------------------------------------------------------------------


@dataclass
class Resolved:
    """What a row says, as objects: the post it becomes."""

    at: dt.datetime | None = None
    accounts: tuple = ()
    campaign: object = None
    title: str = ""
    text: str = ""
    link: str = ""
    # (image kept aside at the check, its alt text), in the order of the row.
    images: tuple = ()
    # What the accounts cell writes that names several accounts: the person chooses.
    ambiguous: tuple = ()


def _label(key: str) -> str:
    return str(COLUMN_LABELS[key])


def quoted(value) -> str:
    """`value` between the quotation marks of the language: “…” in English, « … » in
    French (the French translation says which)."""
    return gettext("“%(value)s”") % {"value": value}


def pieces(cell: str) -> list[str]:
    """The images, or the alt texts, of a cell, in order: an empty one between two others
    is kept (it is missing), empty ones at the end are not."""
    found = [piece.strip() for piece in PIECES.split(cell or "")]
    while found and not found[-1]:
        found.pop()
    return found


def _date(value: str) -> dt.date | None:
    for pattern, order in ((DATE_FR, (3, 2, 1)), (DATE_ISO, (1, 2, 3))):
        found = pattern.match(value)
        if found:
            year, month, day = (int(found.group(i)) for i in order)
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
    return None


def _time(value: str) -> dt.time | None:
    found = TIME.match(value)
    if not found:
        return None
    try:
        return dt.time(int(found.group(1)), int(found.group(2) or 0))
    except ValueError:
        return None


def _network_codes() -> dict[str, str]:
    networks = {_plain(code): code for code in Network.values}
    networks |= {_plain(str(label)): code for code, label in Network.choices}
    networks["twitter"] = Network.X
    return networks


def _names(account: SocialAccount) -> set[str]:
    names = {account.display_name, str(account)}
    if account.handle:
        names |= {account.handle, "@" + account.handle.lstrip("@")}
    return {_plain(name) for name in names}


def accounts_named(value: str, accounts) -> list[SocialAccount]:
    """The accounts that `value` names: a name or a handle as in Crieur, "name (network)",
    or, without any doubt, "network:@handle", "network:name" or "network:#number"."""
    network, colon, rest = value.partition(":")
    codes = _network_codes()
    if colon and _plain(network) in codes:
        code, rest = codes[_plain(network)], rest.strip()
        if rest.startswith("#") and rest[1:].isdigit():
            return [a for a in accounts if a.network == code and a.pk == int(rest[1:])]
        return [a for a in accounts if a.network == code and _plain(rest) in _names(a)]
    return [a for a in accounts if _plain(value) in _names(a)]


def account_reference(account: SocialAccount, accounts) -> str:
    """How to write `account` in the accounts column so that it names that account only:
    network:@handle, else network:name, else network:#number."""
    handle = (account.handle or "").strip().lstrip("@")
    candidates = []
    if handle and not handle.startswith("+"):
        candidates.append(f"{account.network}:@{handle}")
    candidates.append(f"{account.network}:{account.display_name}")
    for candidate in candidates:
        if "," not in candidate and accounts_named(candidate, accounts) == [account]:
            return candidate
    return f"{account.network}:#{account.pk}"


def template_account(accounts) -> SocialAccount | None:
    """The account of the template's example row: a connected one whose network takes a
    post without an image, so that the example passes the check as it is."""
    return next(
        (
            account
            for account in accounts
            if account.status == SocialAccount.Status.CONNECTED
            and not LIMITS[account.network].media_required
        ),
        None,
    )


def _accounts(value: str, accounts) -> tuple[list[SocialAccount], list[str], list[str]]:
    """The accounts a cell names, its problems, and what it writes that names several."""
    label = _label("accounts")
    if not value.strip():
        return (
            [],
            [
                gettext(
                    "Column “%(column)s” is empty: list the accounts, separated by commas "
                    "(a name, a handle or a network such as facebook)."
                )
                % {"column": label}
            ],
            [],
        )
    networks = _network_codes()
    found: list[SocialAccount] = []
    problems, ambiguous = [], []
    for piece in (p.strip() for p in value.split(",")):
        if not piece:
            continue
        key = _plain(piece)
        matches = accounts_named(piece, accounts)
        if not matches and key in networks:
            network = networks[key]
            matches = [
                a
                for a in accounts
                if a.network == network and a.status == SocialAccount.Status.CONNECTED
            ]
            if not matches:
                problems.append(
                    gettext(
                        "Column “%(column)s”: no %(network)s account is connected: connect "
                        "one or remove “%(value)s”."
                    )
                    % {"column": label, "network": Network(network).label, "value": piece}
                )
                continue
        elif not matches:
            problems.append(
                gettext(
                    "Column “%(column)s”: no account is called “%(value)s”: write an account "
                    "as network:@handle (for example %(example)s), or its name as in Crieur, "
                    "or a network (x, facebook, instagram, linkedin, whatsapp)."
                )
                % {
                    "column": label,
                    "value": piece,
                    "example": quoted(
                        account_reference(accounts[0], accounts) if accounts else "x:@mairie"
                    ),
                }
            )
            continue
        elif len(matches) > 1:
            ambiguous.append(piece)
            problems.append(
                gettext(
                    "Column “%(column)s”: “%(value)s” names several accounts: choose which "
                    "above the rows, or write %(choices)s."
                )
                % {
                    "column": label,
                    "value": piece,
                    "choices": gettext(" or ").join(
                        quoted(account_reference(a, accounts)) for a in matches
                    ),
                }
            )
            continue
        elif matches[0].status == SocialAccount.Status.DISABLED:
            problems.append(
                gettext(
                    "Column “%(column)s”: the account “%(value)s” is disabled: choose "
                    "another one or enable it first."
                )
                % {"column": label, "value": piece}
            )
            continue
        found.extend(a for a in matches if a not in found)
    return found, problems, ambiguous


def _images(images_cell: str, alts_cell: str, staged) -> tuple[list, list[str]]:
    """(image kept aside, alt text) of each usable image of the row, and the problems of
    the images and alt texts columns that the check of the files does not find."""
    sources, alts = pieces(images_cell), pieces(alts_cell)
    problems = []
    if len(sources) > MAX_IMAGES:
        problems.append(
            gettext(
                "Column “%(column)s”: %(count)d images, at most %(max)d: keep %(max)d or make "
                "two posts."
            )
            % {"column": _label("images"), "count": len(sources), "max": MAX_IMAGES}
        )
    pairs = []
    for index, source in enumerate(sources[:MAX_IMAGES]):
        number, alt = index + 1, alts[index] if index < len(alts) else ""
        if not source:
            problems.append(
                gettext(
                    "Column “%(column)s”: image %(number)d is empty: write a web address or "
                    "the name of a file of the ZIP, or remove the extra |."
                )
                % {"column": _label("images"), "number": number}
            )
        elif not alt:
            problems.append(
                gettext(
                    "Column “%(column)s”: image %(number)d (“%(value)s”) has no alt text: "
                    "describe what it shows for people who cannot see it (RGAA). Write the "
                    "alt texts in the order of the images, separated by |."
                )
                % {"column": _label("alt_texts"), "number": number, "value": _shortened(source)}
            )
        elif len(alt) > ALT_MAX:
            problems.append(
                gettext(
                    "Column “%(column)s”: the alt text of image %(number)d has %(count)d "
                    "characters out of %(max)d: shorten it."
                )
                % {
                    "column": _label("alt_texts"),
                    "number": number,
                    "count": len(alt),
                    "max": ALT_MAX,
                }
            )
        elif index < len(staged) and staged[index]:
            pairs.append((staged[index], alt))
    if len(alts) > len(sources):
        problems.append(
            gettext(
                "Column “%(column)s”: more alt texts (%(alts)d) than images (%(images)d): "
                "write one alt text per image, in the same order, separated by |."
            )
            % {"column": _label("alt_texts"), "alts": len(alts), "images": len(sources)}
        )
    return pairs, problems


def row_resolve(row, *, accounts, campaigns, now, images=()) -> tuple[Resolved, list[str]]:
    """A row as the post it would become, and every problem that prevents it.

    `images` is what the check made of each image the row names, in order: the image kept
    aside, or None where it could not be used (the check said why).
    """

    def get(key: str) -> str:
        return str(row.get(key) or "").strip()

    too_long = [
        gettext("Column “%(column)s”: more than %(max)d characters: shorten it.")
        % {"column": _label(key), "max": _cell_max(key)}
        for key in COLUMNS
        if len(get(key)) > _cell_max(key)
    ]
    if too_long:
        return Resolved(), too_long  # the other checks once the cells are shortened

    resolved = Resolved(text=get("text"), link=get("link"))
    problems = []

    day = _date(get("date"))
    if not get("date"):
        problems.append(
            gettext("Column “%(column)s” is empty: write the day as DD/MM/YYYY.")
            % {"column": _label("date")}
        )
    elif day is None:
        problems.append(
            gettext(
                "Column “%(column)s”: “%(value)s” is not a date: write it as DD/MM/YYYY "
                "(for example 14/07/2026) or YYYY-MM-DD."
            )
            % {"column": _label("date"), "value": get("date")}
        )
    hour = _time(get("time"))
    if not get("time"):
        problems.append(
            gettext("Column “%(column)s” is empty: write the time as HH:MM.")
            % {"column": _label("time")}
        )
    elif hour is None:
        problems.append(
            gettext(
                "Column “%(column)s”: “%(value)s” is not a time: write it as HH:MM "
                "(for example 09:30)."
            )
            % {"column": _label("time"), "value": get("time")}
        )
    if day is not None and hour is not None:
        resolved.at = timezone.make_aware(
            dt.datetime.combine(day, hour), timezone.get_current_timezone()
        )
        problem = schedule_problem(at=resolved.at, now=now)
        if problem:
            problems.append(
                gettext("Columns “%(date)s” and “%(time)s”: %(problem)s")
                % {"date": _label("date"), "time": _label("time"), "problem": problem}
            )

    found, account_problems, ambiguous = _accounts(get("accounts"), accounts)
    resolved.accounts, resolved.ambiguous = tuple(found), tuple(ambiguous)
    problems += account_problems

    pairs, image_problems = _images(get("images"), get("alt_texts"), list(images))
    resolved.images = tuple(pairs)
    draft = Draft(
        text=resolved.text,
        images=[
            ImageInfo(
                format=kept["format"], width=kept["width"], height=kept["height"], alt_text=alt
            )
            for kept, alt in pairs
        ],
    )
    if not resolved.text:
        problems.append(
            gettext("Column “%(column)s” is empty: write the text of the post.")
            % {"column": _label("text")}
        )
    else:
        named_images = any(pieces(get("images")))
        for network in dict.fromkeys(a.network for a in found):
            for problem in check_text(network, draft):
                if not problem.blocking or problem.code in IGNORED_CHECKS:
                    continue
                if problem.code == "media_required" and named_images:
                    continue  # the image named could not be used: its problem says why
                column = "images" if problem.code in MEDIA_CHECKS else "text"
                problems.append(
                    gettext("Column “%(column)s”: %(problem)s")
                    % {"column": _label(column), "problem": problem.message}
                )

    resolved.title = get("title") or " ".join(resolved.text.split())[:TITLE_LENGTH]
    if len(resolved.title) > TITLE_MAX:
        problems.append(
            gettext("Column “%(column)s”: %(count)d characters out of %(max)d: shorten the title.")
            % {"column": _label("title"), "count": len(resolved.title), "max": TITLE_MAX}
        )

    if get("campaign"):
        resolved.campaign = next(
            (c for c in campaigns if _plain(c.name) == _plain(get("campaign"))), None
        )
        if resolved.campaign is None:
            problems.append(
                gettext(
                    "Column “%(column)s”: no campaign is called “%(value)s”: create it "
                    "first or correct the name."
                )
                % {"column": _label("campaign"), "value": get("campaign")}
            )

    if resolved.link:
        try:
            if len(resolved.link) > LINK_MAX:
                raise ValidationError("too long")
            URLValidator(schemes=["http", "https"])(resolved.link)
        except ValidationError:
            problems.append(
                gettext(
                    "Column “%(column)s”: “%(value)s” is not a web address: write it in full, "
                    "for example https://www.example.fr/page (at most %(max)d characters)."
                )
                % {"column": _label("link"), "value": resolved.link, "max": LINK_MAX}
            )
    return resolved, problems + image_problems


def row_problems(row, *, accounts, campaigns, now, images=()) -> list[str]:
    """Every reason a row cannot become a post, each saying what to fix and where."""
    return row_resolve(row, accounts=accounts, campaigns=campaigns, now=now, images=images)[1]


def _context() -> dict:
    return {
        "accounts": list(SocialAccount.objects.order_by("network", "display_name")),
        "campaigns": list(Campaign.objects.order_by("name")),
    }


def _staged(row: dict, *, stager: import_media.Stager) -> tuple[list, list[str]]:
    """Each image the row names, read or fetched, checked and kept aside (None where it
    cannot be used), and why those that cannot be used cannot."""
    staged, problems = [], []
    for number, source in enumerate(pieces(row.get("images", ""))[:MAX_IMAGES], 1):
        if not source:
            staged.append(None)
            continue
        try:
            staged.append(stager.stage(source))
        except import_media.ImageRefused as refused:
            staged.append(None)
            problems.append(
                gettext("Column “%(column)s”: image %(number)d (“%(value)s”): %(reason)s")
                % {
                    "column": _label("images"),
                    "number": number,
                    "value": _shortened(source),
                    "reason": refused.message,
                }
            )
    return staged, problems


def _recheck(row: dict, *, accounts, campaigns, now) -> dict:
    """The row's problems, again: its cells as they are now, its images as kept."""
    values = {key: row["values"].get(key, "") for key in COLUMNS}
    resolved, problems = row_resolve(
        values, accounts=accounts, campaigns=campaigns, now=now, images=row.get("images") or []
    )
    row["problems"] = problems + row.get("image_problems", [])
    row["ambiguous"] = list(resolved.ambiguous)
    return row


# -- Services -----------------------------------------------------------------------------


def import_check(*, name: str, data: bytes, by, images_zip=None) -> ImportJob:
    """Read and check a whole file, with the ZIP file of its images if there is one; the
    job keeps the report and the images the rows name, nothing is imported yet.

    `images_zip` is a file (with a `size`), such as an uploaded file.
    """
    job = ImportJob(created_by=by, file_name=name[:255])
    try:
        rows = rows_read(name=name, data=data)
        archive = (
            import_media.ImageArchive(images_zip, size=images_zip.size)
            if images_zip is not None
            else None
        )
    except (ImportFileError, import_media.ArchiveRefused) as error:
        job.status = ImportJob.Status.FAILED
        job.error = error.message
        job.save()
        return job
    job.save()  # the images of its rows are kept aside under its number
    stager = import_media.Stager(job_id=job.pk, archive=archive)
    context, now = _context(), timezone.now()
    checked = []
    for row in rows:
        staged, image_problems = _staged(row, stager=stager)
        checked.append(
            _recheck(
                {
                    "line": row["line"],
                    "values": {key: row[key] for key in COLUMNS},
                    "images": staged,
                    "image_problems": image_problems,
                    "post": None,
                },
                now=now,
                **context,
            )
        )
    job.rows = checked
    job.total = len(job.rows)
    job.status = ImportJob.Status.CHECKED
    job.save()
    return job


def invalid_count(job: ImportJob) -> int:
    return sum(1 for row in job.rows if row["problems"])


def import_ambiguities(job: ImportJob) -> list[dict]:
    """What the file writes that names several accounts, with those accounts and the
    lines that write it, for the person to choose (while the file is not imported)."""
    if job.status != ImportJob.Status.CHECKED:
        return []
    found: dict[str, dict] = {}
    for row in job.rows:
        for value in row.get("ambiguous") or []:
            item = found.setdefault(_plain(value), {"value": value, "lines": []})
            item["lines"].append(row["line"])
    if not found:
        return []
    accounts = list(SocialAccount.objects.order_by("network", "display_name"))
    return [
        item
        | {
            "accounts": [
                {"account": a, "reference": account_reference(a, accounts)}
                for a in accounts_named(item["value"], accounts)
            ]
        }
        for item in found.values()
    ]


def import_accounts_choose(*, job: ImportJob, value: str, account_ids, by) -> ImportJob:
    """Say which accounts a name shared by several accounts stands for, in every row of
    the file that writes it: those rows are checked again, the rest of the file is kept."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.created_by_id != by.pk:
            raise ValidationError(gettext("Only the person who uploaded the file can change it."))
        if job.status != ImportJob.Status.CHECKED:
            raise ValidationError(
                gettext("This file is already imported or being imported: it can no longer change.")
            )
        context = _context()
        wanted = {str(pk) for pk in account_ids}
        chosen = [a for a in accounts_named(value, context["accounts"]) if str(a.pk) in wanted]
        if not chosen:
            raise ValidationError(
                gettext("Tick at least one of the accounts that %(value)s stands for.")
                % {"value": quoted(value)}
            )
        replacement = ", ".join(account_reference(a, context["accounts"]) for a in chosen)
        key, now = _plain(value), timezone.now()
        for row in job.rows:
            cell = [piece.strip() for piece in row["values"].get("accounts", "").split(",")]
            if not any(_plain(piece) == key for piece in cell):
                continue
            row["values"]["accounts"] = ", ".join(
                replacement if _plain(piece) == key else piece for piece in cell if piece
            )
            _recheck(row, now=now, **context)
        job.save(update_fields=["rows"])
    return job


def _refuse_unless_allowed(job: ImportJob, *, only_valid: bool) -> None:
    if job.status == ImportJob.Status.FAILED:
        raise ValidationError(gettext("This file could not be read: upload a corrected file."))
    invalid = invalid_count(job)
    if invalid and not only_valid:
        raise ValidationError(
            gettext(
                "%(count)d rows have problems: nothing is imported until the whole file is "
                "valid, unless you confirm importing the valid rows only."
            )
            % {"count": invalid}
        )
    if invalid == len(job.rows):
        raise ValidationError(gettext("No row is valid: correct the file and upload it again."))


def import_start(*, job: ImportJob, only_valid: bool, by) -> ImportJob:
    """Accept a checked job for import and hand it to the workers once committed."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.created_by_id != by.pk:
            raise ValidationError(gettext("Only the person who uploaded the file can import it."))
        if job.status != ImportJob.Status.CHECKED:
            return job  # already started: a second click changes nothing
        _refuse_unless_allowed(job, only_valid=only_valid)
        job.status = ImportJob.Status.IMPORTING
        job.total = sum(1 for row in job.rows if not row["problems"])
        job.done = 0
        job.save(update_fields=["status", "total", "done"])
        transaction.on_commit(
            lambda: signature(IMPORT_RUN_TASK).delay(job_id=job.pk, only_valid=only_valid)
        )
    return job


def _post_create(*, resolved: Resolved, by):
    post = Post(
        title=resolved.title,
        text=resolved.text,
        link=resolved.link,
        campaign=resolved.campaign,
        planned_at=resolved.at,
        created_by=by,
        live=False,
    )
    post.images = [
        PostImage(image=import_media.image_create(kept, by=by), alt_text=alt)
        for kept, alt in resolved.images
    ]
    post.variants = [Variant(account=account) for account in resolved.accounts]
    post.save()
    revision = post.save_revision(user=by)
    log(instance=post, action="wagtail.create", user=by, revision=revision, content_changed=True)
    return post


def import_run(*, job_id: int, only_valid: bool) -> ImportJob:
    """Create a draft post for each valid row, with its images, one transaction per row,
    counting progress.

    Rows are checked again: a time may have passed or an account been removed since the
    file was checked; such a row gets its new problems and is left out. Safe to run twice:
    a row that has its post is not imported again.
    """
    job = ImportJob.objects.get(pk=job_id)
    if job.status == ImportJob.Status.DONE:
        return job
    _refuse_unless_allowed(job, only_valid=only_valid)
    if job.status == ImportJob.Status.CHECKED:
        job.status = ImportJob.Status.IMPORTING
        job.total = sum(1 for row in job.rows if not row["problems"])
        job.save(update_fields=["status", "total"])
    by = job.created_by
    context = _context()
    for index in range(len(job.rows)):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            row = job.rows[index]
            if row["problems"] or row.get("post"):
                continue
            values = {key: row["values"].get(key, "") for key in COLUMNS}
            resolved, problems = row_resolve(
                values, now=timezone.now(), images=row.get("images") or [], **context
            )
            if not problems:
                try:
                    with transaction.atomic():
                        post = _post_create(resolved=resolved, by=by)
                except import_media.ImageRefused as refused:
                    problems = [
                        gettext("Column “%(column)s”: %(reason)s")
                        % {"column": _label("images"), "reason": refused.message}
                    ]
            if problems:
                row["problems"] = problems
                row["skipped"] = True
            else:
                row["post"] = post.pk
                job.created_posts = [*job.created_posts, post.pk]
            job.done += 1
            job.save(update_fields=["rows", "done", "created_posts"])
    job.status = ImportJob.Status.DONE
    job.save(update_fields=["status"])
    import_media.staged_delete(job_id=job.pk)
    return job
