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

from cms.models import Campaign, Post, Variant
from networks.checks import Draft, check_text
from networks.models import Network, SocialAccount

from .models import ImportJob
from .services import schedule_problem

# The task that creates the posts of an import (publishing/tasks.py), by name.
IMPORT_RUN_TASK = "publishing.tasks.import_run_task"

MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024
# Lines read at most under the header, blank ones included: a sheet of millions of empty
# rows (a few kilobytes zipped) stops being read here, whatever the rows contain.
MAX_LINES = 2 * MAX_ROWS
# Columns read at most; the known columns are seven.
MAX_COLUMNS = 20
# An .xlsx is a zip: what it unpacks to is checked before anything is parsed. A real
# import of a thousand posts unpacks to a few megabytes at a ratio of about ten.
MAX_UNZIPPED_BYTES = 10 * 1024 * 1024
MAX_RATIO = 100  # for a member of more than a megabyte
MAX_MEMBERS = 500
# Characters in a cell: the text of a post, and every other column. Longer cells are kept
# cut one character past the limit, so the row check still sees them too long.
TEXT_MAX = 5000
CELL_MAX = 500
TITLE_LENGTH = 60
TITLE_MAX = 200  # Post.title's max_length
LINK_MAX = 200  # Post.link's max_length

# Each column's key, then every header (normalized: lower case, no accents) that names it.
COLUMNS = {
    "date": ("date", "jour"),
    "time": ("heure", "time", "hour"),
    "accounts": ("comptes", "compte", "accounts", "account", "reseaux"),
    "text": ("texte", "text"),
    "title": ("titre", "title"),
    "campaign": ("campagne", "campaign"),
    "link": ("lien", "link", "url"),
}
REQUIRED = ("date", "time", "accounts", "text")
HEADER_KEYS = {name: key for key, names in COLUMNS.items() for name in names}
# Column names are data the user types: the same in every language of the interface.
EXPECTED = (
    "date, heure (time), comptes (accounts), texte (text); "
    "optional: titre (title), campagne (campaign), lien (link)"
)
COLUMN_LABELS = {
    "date": _("date"),
    "time": _("time"),
    "accounts": _("accounts"),
    "text": _("text"),
    "title": _("title"),
    "campaign": _("campaign"),
    "link": _("link"),
}
# Images are added in the editor before approval: an import cannot carry them, so a
# network's "image required" is no reason to refuse a row.
IGNORED_CHECKS = {"media_required"}

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
    return TEXT_MAX if key == "text" else CELL_MAX


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
            % {"columns": EXPECTED}
        )
    with closing(records):  # an .xlsx read only part way is closed at once
        return _rows_from(records)


def _rows_from(records: Iterator[list[str]]) -> list[dict]:
    header = next(records, [])
    if not any(header):
        raise ImportFileError(
            gettext("The file is empty: its first line must name the columns: %(columns)s.")
            % {"columns": EXPECTED}
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
            % {"reasons": "; ".join(reasons), "columns": EXPECTED}
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


def _label(key: str) -> str:
    return str(COLUMN_LABELS[key])


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


def _accounts(value: str, accounts) -> tuple[list[SocialAccount], list[str]]:
    """The accounts a cell names: by name, handle, "name (network)" or a network."""
    label = _label("accounts")
    if not value.strip():
        return [], [
            gettext(
                "Column “%(column)s” is empty: list the accounts, separated by commas "
                "(a name, a handle or a network such as facebook)."
            )
            % {"column": label}
        ]
    by_name: dict[str, list[SocialAccount]] = {}
    for account in accounts:
        names = {account.display_name, str(account)}
        if account.handle:
            names |= {account.handle, "@" + account.handle.lstrip("@")}
        for name in names:
            by_name.setdefault(_plain(name), []).append(account)
    networks = {_plain(code): code for code in Network.values}
    networks |= {_plain(str(label)): code for code, label in Network.choices}
    networks["twitter"] = Network.X
    found: list[SocialAccount] = []
    problems = []
    for piece in (p.strip() for p in value.split(",")):
        if not piece:
            continue
        key = _plain(piece)
        matches = by_name.get(key)
        if matches is None and key in networks:
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
        elif matches is None:
            problems.append(
                gettext(
                    "Column “%(column)s”: no account is called “%(value)s”: write an "
                    "account's name or handle as in Crieur, or a network (x, facebook, "
                    "instagram, linkedin, whatsapp)."
                )
                % {"column": label, "value": piece}
            )
            continue
        elif len(matches) > 1:
            problems.append(
                gettext(
                    "Column “%(column)s”: “%(value)s” names several accounts: write one of "
                    "%(choices)s."
                )
                % {
                    "column": label,
                    "value": piece,
                    "choices": ", ".join(f"“{a}”" for a in matches),
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
    return found, problems


def row_resolve(row, *, accounts, campaigns, now) -> tuple[Resolved, list[str]]:
    """A row as the post it would become, and every problem that prevents it."""

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

    found, account_problems = _accounts(get("accounts"), accounts)
    resolved.accounts = tuple(found)
    problems += account_problems

    if not resolved.text:
        problems.append(
            gettext("Column “%(column)s” is empty: write the text of the post.")
            % {"column": _label("text")}
        )
    else:
        for network in dict.fromkeys(a.network for a in found):
            for problem in check_text(network, Draft(text=resolved.text)):
                if problem.blocking and problem.code not in IGNORED_CHECKS:
                    problems.append(
                        gettext("Column “%(column)s”: %(problem)s")
                        % {"column": _label("text"), "problem": problem.message}
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
    return resolved, problems


def row_problems(row, *, accounts, campaigns, now) -> list[str]:
    """Every reason a row cannot become a post, each saying what to fix and where."""
    return row_resolve(row, accounts=accounts, campaigns=campaigns, now=now)[1]


def _context() -> dict:
    return {
        "accounts": list(SocialAccount.objects.order_by("network", "display_name")),
        "campaigns": list(Campaign.objects.order_by("name")),
    }


# -- Services -----------------------------------------------------------------------------


def import_check(*, name: str, data: bytes, by) -> ImportJob:
    """Read and check a whole file; the job keeps the report, nothing is imported yet."""
    job = ImportJob(created_by=by, file_name=name[:255])
    try:
        rows = rows_read(name=name, data=data)
    except ImportFileError as error:
        job.status = ImportJob.Status.FAILED
        job.error = error.message
        job.save()
        return job
    context, now = _context(), timezone.now()
    job.rows = [
        {
            "line": row["line"],
            "values": {key: row[key] for key in COLUMNS},
            "problems": row_problems(row, now=now, **context),
            "post": None,
        }
        for row in rows
    ]
    job.total = len(job.rows)
    job.status = ImportJob.Status.CHECKED
    job.save()
    return job


def invalid_count(job: ImportJob) -> int:
    return sum(1 for row in job.rows if row["problems"])


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
    post.variants = [Variant(account=account) for account in resolved.accounts]
    post.save()
    revision = post.save_revision(user=by)
    log(instance=post, action="wagtail.create", user=by, revision=revision, content_changed=True)
    return post


def import_run(*, job_id: int, only_valid: bool) -> ImportJob:
    """Create a draft post for each valid row, one transaction per row, counting progress.

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
            resolved, problems = row_resolve(values, now=timezone.now(), **context)
            if problems:
                row["problems"] = problems
                row["skipped"] = True
            else:
                post = _post_create(resolved=resolved, by=by)
                row["post"] = post.pk
                job.created_posts = [*job.created_posts, post.pk]
            job.done += 1
            job.save(update_fields=["rows", "done", "created_posts"])
    job.status = ImportJob.Status.DONE
    job.save(update_fields=["status"])
    return job
