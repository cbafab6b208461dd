"""Bulk import of scheduled posts: a file is checked row by row, then imported as drafts."""

import io
import re
import threading
import tracemalloc
import zipfile
from datetime import UTC, date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from cms.models import Post
from networks.models import SocialAccount
from policies.models import Period
from publishing import import_media, imports
from publishing.models import ImportJob
from publishing.tasks import import_run_task
from tests.factories import (
    CampaignFactory,
    SocialAccountFactory,
    UserFactory,
    jpeg_file,
    png_file,
)
from workflows import roles

pytestmark = [
    pytest.mark.django_db,
    # Monday 2 March 2026, 10:00 in Paris.
    pytest.mark.usefixtures("_clock"),
]

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def accounts():
    return {
        "x": SocialAccountFactory(network="x", display_name="Ville X", handle="ville_x"),
        "facebook": SocialAccountFactory(network="facebook", display_name="Page de la Ville"),
        "linkedin": SocialAccountFactory(network="linkedin", display_name="Ville LinkedIn"),
    }


@pytest.fixture
def campaign():
    return CampaignFactory(name="Fête du lac")


@pytest.fixture
def manager(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


def csv_bytes(*lines, delimiter=";", bom=True):
    text = "\r\n".join(delimiter.join(cells) for cells in lines) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


HEADER_FR = ("date", "heure", "comptes", "texte", "titre", "campagne", "lien")


def good_file():
    return csv_bytes(
        HEADER_FR,
        ("10/03/2026", "09:30", "Ville X, facebook", "Fête du lac samedi !", "", "Fête du lac", ""),
        ("2026-03-11", "18:00", "@ville_x", "Conseil municipal ce soir", "Conseil", "", ""),
    )


def bad_file():
    return csv_bytes(
        HEADER_FR,
        ("10/03/2026", "09:30", "Ville X", "Une ligne valide", "", "", "https://ville.fr/a"),
        ("31/02/2026", "25:00", "Compte inconnu", "", "", "Campagne inconnue", "pas un lien"),
        ("01/03/2026", "09:00", "x", "é" * 300, "", "", ""),
    )


def test_a_csv_with_semicolons_and_a_bom_is_read_with_french_columns():
    rows = imports.rows_read(name="Planning.CSV", data=good_file())

    assert [row["line"] for row in rows] == [2, 3]
    assert rows[0]["date"] == "10/03/2026"
    assert rows[0]["time"] == "09:30"
    assert rows[0]["accounts"] == "Ville X, facebook"
    assert rows[0]["campaign"] == "Fête du lac"
    assert rows[1]["title"] == "Conseil"


def test_a_csv_with_commas_english_accented_headers_and_no_bom_is_read():
    data = csv_bytes(
        ("Date", "Time", "Accounts", "Text"),
        ("2026-03-10", "9:30", '"Ville X, facebook"', "Hello"),
        delimiter=",",
        bom=False,
    )

    rows = imports.rows_read(name="plan.csv", data=data)

    assert rows[0]["accounts"] == "Ville X, facebook"
    assert rows[0]["time"] == "9:30"


def xlsx_bytes(*rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_is_read_with_real_date_and_time_cells_or_text(accounts):
    # Excel cells have no time zone: a date cell comes back as a naive datetime.
    excel_date = datetime.combine(date(2026, 3, 10), time(0))
    data = xlsx_bytes(
        ("Date", "Heure", "Comptes", "Texte"),
        (excel_date, time(9, 30), "Ville X", "Avec de vraies cellules date"),
        (date(2026, 3, 11), "18:00", "facebook", "Avec une heure en texte"),
        (None, None, None, None),
        ("12/03/2026", "07:15", "linkedin", 2026),
    )

    rows = imports.rows_read(name="plan.xlsx", data=data)

    assert [(r["line"], r["date"], r["time"]) for r in rows] == [
        (2, "10/03/2026", "09:30"),
        (3, "11/03/2026", "18:00"),
        (5, "12/03/2026", "07:15"),
    ]
    assert rows[2]["text"] == "2026"
    problems = [
        imports.row_problems(r, accounts=list(accounts.values()), campaigns=[], now=NOW)
        for r in rows
    ]
    assert problems == [[], [], []]


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (("date", "heure", "comptes", "texte", "couleur"), "couleur"),
        (("date", "heure", "texte"), "comptes"),
    ],
)
def test_unknown_or_missing_columns_are_one_file_level_error_naming_the_expected_ones(
    manager, header, named
):
    data = csv_bytes(header, ("10/03/2026",) * len(header))

    job = imports.import_check(name="plan.csv", data=data, by=manager)

    assert job.status == ImportJob.Status.FAILED
    assert named in job.error
    assert "date, heure (time), comptes (accounts), texte (text)" in job.error
    assert job.rows == []


def test_a_file_too_large_or_too_long_or_of_another_kind_is_refused(manager):
    too_long = csv_bytes(HEADER_FR[:4], *[("10/03/2026", "09:30", "x", "t")] * 1001)
    too_large = b"x" * (imports.MAX_BYTES + 1)

    errors = [
        imports.import_check(name=name, data=data, by=manager).error
        for name, data in (("a.csv", too_long), ("b.csv", too_large), ("c.xls", b"..."))
    ]

    assert "1000" in errors[0]
    assert "2 Mo" in errors[1]
    assert ".xlsx" in errors[2]


def test_a_file_with_bad_rows_lists_each_problem_and_imports_nothing(manager, accounts, campaign):
    with translation.override("en"):
        job = imports.import_check(name="plan.csv", data=bad_file(), by=manager)

    assert job.status == ImportJob.Status.CHECKED
    assert [row["line"] for row in job.rows] == [2, 3, 4]
    assert job.rows[0]["problems"] == []
    bad = " | ".join(job.rows[1]["problems"])
    assert "“31/02/2026” is not a date" in bad
    assert "“25:00” is not a time" in bad
    assert "no account is called “Compte inconnu”" in bad
    assert "Column “text” is empty" in bad
    assert "no campaign is called “Campagne inconnue”" in bad
    assert "“pas un lien” is not a web address" in bad
    past = " | ".join(job.rows[2]["problems"])
    assert "01/03/2026 09:00 has passed" in past
    assert "X: 300 characters out of 280" in past
    assert Post.objects.count() == 0


def test_a_time_in_a_blocked_period_is_flagged(manager, accounts):
    Period.objects.create(
        name="Réserve électorale",
        kind=Period.Kind.RESERVE,
        starts_at=datetime(2026, 3, 9, tzinfo=PARIS),
        ends_at=datetime(2026, 3, 16, tzinfo=PARIS),
    )

    job = imports.import_check(name="plan.csv", data=good_file(), by=manager)

    assert all("Réserve électorale" in " ".join(row["problems"]) for row in job.rows)


def test_import_is_refused_while_some_rows_are_invalid(manager, accounts, campaign):
    job = imports.import_check(name="plan.csv", data=bad_file(), by=manager)

    with pytest.raises(imports.ValidationError):
        imports.import_run(job_id=job.pk, only_valid=False)

    assert Post.objects.count() == 0


def test_with_only_valid_the_valid_rows_become_draft_posts(manager, accounts, campaign):
    job = imports.import_check(name="plan.csv", data=bad_file(), by=manager)

    job = imports.import_run(job_id=job.pk, only_valid=True)

    post = Post.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert (job.done, job.total, job.created_posts) == (1, 1, [post.pk])
    assert job.rows[0]["post"] == post.pk
    assert post.live is False
    assert post.planned_at == datetime(2026, 3, 10, 9, 30, tzinfo=PARIS)
    assert post.link == "https://ville.fr/a"
    assert post.title == "Une ligne valide"
    assert post.created_by == manager
    assert [v.account for v in post.variants.all()] == [accounts["x"]]
    assert post.latest_revision is not None


def test_a_valid_file_becomes_posts_with_their_variants_campaign_and_times(
    manager, accounts, campaign
):
    SocialAccountFactory(network="facebook", status=SocialAccount.Status.NEEDS_RECONNECT)
    job = imports.import_check(name="plan.csv", data=good_file(), by=manager)

    imports.import_run(job_id=job.pk, only_valid=False)

    first, second = Post.objects.order_by("planned_at")
    assert first.title == "Fête du lac samedi !"
    assert first.campaign == campaign
    assert {v.account for v in first.variants.all()} == {accounts["x"], accounts["facebook"]}
    assert second.planned_at == datetime(2026, 3, 11, 18, 0, tzinfo=PARIS)
    assert [v.account for v in second.variants.all()] == [accounts["x"]]
    assert [v.text for v in second.variants.all()] == [""]


def test_running_an_import_twice_creates_each_post_once(manager, accounts, campaign):
    job = imports.import_check(name="plan.csv", data=good_file(), by=manager)
    imports.import_run(job_id=job.pk, only_valid=False)

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING)
    imports.import_run(job_id=job.pk, only_valid=False)

    assert Post.objects.count() == 2


def test_a_row_whose_time_passed_since_the_check_is_left_out(manager, accounts, campaign):
    job = imports.import_check(name="plan.csv", data=good_file(), by=manager)

    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=PARIS), tick=False):
        job = imports.import_run(job_id=job.pk, only_valid=False)

    assert Post.objects.count() == 1
    assert job.done == 2
    assert job.rows[0]["problems"] and job.rows[0]["post"] is None


def test_a_name_shared_by_several_accounts_asks_for_the_precise_one(accounts):
    SocialAccountFactory(network="facebook", display_name="Ville X", handle="")
    row = {"date": "10/03/2026", "time": "09:30", "accounts": "Ville X", "text": "Bonjour"}
    everyone = list(SocialAccount.objects.all())

    with translation.override("en"):
        problems = imports.row_problems(row, accounts=everyone, campaigns=[], now=NOW)
        fixed = [
            imports.row_problems(
                dict(row, accounts=precise), accounts=everyone, campaigns=[], now=NOW
            )
            for precise in ("x:@ville_x", "X:ville_x", "facebook:Ville X", "Ville X (X)")
        ]

    assert len(problems) == 1 and "names several accounts" in problems[0]
    assert "“facebook:Ville X” or “x:@ville_x”" in problems[0]
    assert fixed == [[], [], [], []]


def test_the_template_names_its_example_account_without_doubt(client, manager):
    # The demo's Facebook page and LinkedIn page share their name.
    page = SocialAccountFactory(
        network="facebook", display_name="Ville de Bourg-sur-Lac", handle="bourgsurlac"
    )
    SocialAccountFactory(network="linkedin", display_name="Ville de Bourg-sur-Lac", handle="")
    client.force_login(manager)

    response = client.get(reverse("publishing_import_template"))
    job = imports.import_check(name="modele.csv", data=response.content, by=manager)
    imports.import_run(job_id=job.pk, only_valid=False)

    assert job.rows[0]["values"]["accounts"] == "facebook:@bourgsurlac"
    assert job.rows[0]["problems"] == []
    assert [v.account for v in Post.objects.get().variants.all()] == [page]


def test_french_import_messages_quote_with_guillemets(manager, accounts):
    SocialAccountFactory(network="instagram", display_name="Ville X")
    data = csv_bytes(
        HEADER_FR,
        ("31/02/2026", "09:30", "Ville X, Inconnu", "Bonjour", "", "Inconnue", "pas un lien"),
    )

    with translation.override("fr"):
        job = imports.import_check(name="plan.csv", data=data, by=manager)

    problems = " | ".join(job.rows[0]["problems"])
    assert "« Ville X »" in problems and "« x:@ville_x »" in problems
    assert "“" not in problems and "”" not in problems


# -- The admin pages ----------------------------------------------------------------------


def upload(client, data, name="plan.csv", images=None):
    files = {"file": SimpleUploadedFile(name, data)}
    if images is not None:
        files["images"] = SimpleUploadedFile("images.zip", images)
    return client.post(reverse("publishing_import"), files)


def test_upload_report_and_import_through_the_pages(
    client, manager, accounts, campaign, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(manager)
    sent = []
    monkeypatch.setattr(
        import_run_task, "apply_async", lambda args=(), kwargs=None, **_: sent.append(kwargs)
    )

    response = upload(client, good_file())
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("publishing_import_report", args=[job.pk])
    report = client.get(response["Location"])
    assert "2 rows" in report.content.decode() or "2 lignes" in report.content.decode()
    assert 'data-testid="import-all"' in report.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("publishing_import_report", args=[job.pk]))
    assert sent == [{"job_id": job.pk, "only_valid": False}]
    importing = client.get(reverse("publishing_import_report", args=[job.pk])).content.decode()
    assert "<progress" in importing and "0 / 2" in importing
    import_run_task(**sent[0])

    done = client.get(reverse("publishing_import_report", args=[job.pk])).content.decode()
    assert Post.objects.count() == 2
    for post in Post.objects.all():
        assert reverse("wagtailsnippets_cms_post:edit", args=[post.pk]) in done


def test_bad_rows_need_a_confirmation_before_the_valid_ones_are_imported(
    client, manager, accounts, campaign, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(manager)
    monkeypatch.setattr(
        import_run_task, "apply_async", lambda args=(), kwargs=None, **_: import_run_task(**kwargs)
    )
    upload(client, bad_file())
    job = ImportJob.objects.get()
    url = reverse("publishing_import_report", args=[job.pk])

    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(url, follow=True)
    page = client.get(url).content.decode()
    confirm = client.get(url + "?confirm=valid-only").content.decode()
    assert Post.objects.count() == 0
    assert refused.status_code == 200
    assert 'data-testid="import-all"' not in page
    assert 'data-testid="import-valid-only"' in page
    assert 'data-testid="confirm-valid-only"' in confirm

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"only_valid": "1"})

    assert Post.objects.count() == 1
    assert ImportJob.objects.get().status == ImportJob.Status.DONE


def test_problems_are_escaped_in_the_report(client, manager, accounts):
    client.force_login(manager)
    data = csv_bytes(HEADER_FR[:4], ("10/03/2026", "09:30", "<script>alert(1)</script>", "t"))
    upload(client, data)

    page = client.get(reverse("publishing_import_report", args=[ImportJob.objects.get().pk]))

    assert "<script>alert(1)</script>" not in page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content.decode()


def test_the_progress_endpoint_says_where_the_import_stands(client, manager):
    client.force_login(manager)
    job = ImportJob.objects.create(
        created_by=manager,
        file_name="plan.csv",
        status=ImportJob.Status.IMPORTING,
        total=12,
        done=5,
    )

    state = client.get(reverse("publishing_import_progress", args=[job.pk])).json()

    assert state["status"] == "importing"
    assert (state["done"], state["total"]) == (5, 12)


def test_the_template_csv_has_the_columns_and_an_example_that_passes_the_check(
    client, manager, accounts
):
    client.force_login(manager)

    response = client.get(reverse("publishing_import_template"))
    job = imports.import_check(name="modele.csv", data=response.content, by=manager)

    assert response["Content-Type"].startswith("text/csv")
    assert job.status == ImportJob.Status.CHECKED
    assert job.rows[0]["problems"] == []


def test_an_administrator_imports_and_follows_the_posts_to_their_trail(
    client, roles_people, accounts, campaign
):
    administrator = roles_people[roles.ADMINISTRATOR.key]
    client.force_login(administrator)

    page = client.get(reverse("publishing_import"))
    template = client.get(reverse("publishing_import_template"))
    upload(client, good_file())
    job = ImportJob.objects.get()
    imports.import_run(job_id=job.pk, only_valid=False)
    report = client.get(reverse("publishing_import_report", args=[job.pk]))

    assert page.status_code == 200 and template.status_code == 200
    assert Post.objects.count() == 2
    for post in Post.objects.all():
        assert post.created_by == administrator
        assert reverse("workflows_approval_trail", args=[post.pk]) in report.content.decode()


def test_a_director_cannot_import(client, roles_people):
    client.force_login(roles_people[roles.DIRECTOR.key])

    assert client.get(reverse("publishing_import")).status_code == 403
    assert client.get(reverse("publishing_import_template")).status_code == 403


def test_only_its_creator_sees_a_job(client, manager):
    job = ImportJob.objects.create(created_by=UserFactory(), file_name="autre.csv")
    client.force_login(manager)

    assert client.get(reverse("publishing_import_report", args=[job.pk])).status_code == 404
    assert client.get(reverse("publishing_import_progress", args=[job.pk])).status_code == 404
    assert client.post(reverse("publishing_import_report", args=[job.pk])).status_code == 404


def test_the_report_page_queries_do_not_grow_with_the_rows(
    client, manager, accounts, django_assert_max_num_queries
):
    client.force_login(manager)
    rows = [("10/03/2026", "09:30", "Ville X", f"Post {n}") for n in range(200)]
    upload(client, csv_bytes(HEADER_FR[:4], *rows))
    job = ImportJob.objects.get()
    imports.import_run(job_id=job.pk, only_valid=False)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("publishing_import_report", args=[job.pk]))
    with django_assert_max_num_queries(10):
        listing = client.get(reverse("publishing_import"))

    assert response.status_code == 200 and listing.status_code == 200
    assert response.content.decode().count('data-valid="yes"') == 200


def test_the_menu_offers_the_import_to_whoever_may_import(client, roles_people):
    url = reverse("publishing_import")

    def menu(role):
        client.force_login(roles_people[role.key])
        return url in client.get(reverse("wagtailadmin_home")).content.decode()

    shown = [
        menu(role) for role in (roles.COMMUNITY_MANAGER, roles.CRISIS_CELL, roles.ADMINISTRATOR)
    ]
    hidden = [menu(role) for role in (roles.DIRECTOR, roles.MODERATOR, roles.ELECTED_OFFICIAL)]

    assert shown == [True, True, True]
    assert hidden == [False, False, False]


def test_the_check_button_is_a_wagtail_button_with_its_label(client, manager):
    client.force_login(manager)

    content = client.get(reverse("publishing_import")).content.decode()

    with translation.override("fr"):
        label = gettext("Check the file")
    button = re.search(r'<button type="submit" class="([^"]*)">(.*?)</button>', content, re.S)
    assert "button--icon" in button[1].split()
    assert 'class="icon-wrapper"' in button[2]
    assert button[2].rstrip().endswith(label)


# -- Files built to exhaust the server (bombs) --------------------------------------------

SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)
SHEET_END = b"</sheetData></worksheet>"


SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def inline_row(line: int, *cells: str) -> bytes:
    return (
        f'<row r="{line}">'
        + "".join(
            f'<c r="{chr(65 + i)}{line}" t="inlineStr"><is><t>{cell}</t></is></c>'
            for i, cell in enumerate(cells)
        )
        + "</row>"
    ).encode()


def crafted_xlsx(sheet_parts, shared_strings: bytes | None = None) -> bytes:
    """A workbook saved by openpyxl whose first sheet (and shared strings) are replaced by
    the given XML, streamed into the zip so that a large member never sits in memory."""
    workbook = openpyxl.Workbook()
    saved = io.BytesIO()
    workbook.save(saved)
    crafted = io.BytesIO()
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(crafted, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            if member.filename == "xl/worksheets/sheet1.xml":
                with target.open(member.filename, "w", force_zip64=True) as sheet:
                    for part in sheet_parts:
                        sheet.write(part)
            elif member.filename == "[Content_Types].xml" and shared_strings is not None:
                types = source.read(member).replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
                target.writestr(member, types)
            else:
                target.writestr(member, source.read(member))
        if shared_strings is not None:
            target.writestr("xl/sharedStrings.xml", shared_strings)
    return crafted.getvalue()


def shared_strings(*strings: str) -> bytes:
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()


HEADER_ROW = inline_row(1, "date", "heure", "comptes", "texte")


def empty_rows(count: int):
    yield SHEET_START + HEADER_ROW
    for _ in range(count // 100_000):
        yield b"<row/>" * 100_000
    yield SHEET_END


def read_with_peak(name: str, data: bytes):
    """rows_read's outcome and the most memory it held at once."""
    tracemalloc.start()
    try:
        outcome = imports.rows_read(name=name, data=data)
    except imports.ImportFileError as error:
        outcome = error
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return outcome, peak


@pytest.mark.parametrize(
    "bomb",
    [
        # 5 million empty rows: 30 MB of XML in about 30 KB.
        pytest.param(lambda: crafted_xlsx(empty_rows(5_000_000)), id="empty rows"),
        # One shared string of 20 MB in about 20 KB.
        pytest.param(
            lambda: crafted_xlsx(
                [SHEET_START, HEADER_ROW, SHEET_END], shared_strings("a" * 20_000_000)
            ),
            id="a huge shared string",
        ),
    ],
)
def test_an_xlsx_that_unpacks_past_the_limit_is_refused_before_it_is_parsed(manager, bomb):
    data = bomb()
    assert len(data) < 100_000

    outcome, peak = read_with_peak("bombe.xlsx", data)
    job = imports.import_check(name="bombe.xlsx", data=data, by=manager)

    assert isinstance(outcome, imports.ImportFileError)
    assert outcome.code == "unzipped_too_large"
    assert peak < 5 * 1024 * 1024
    assert job.status == ImportJob.Status.FAILED
    assert job.rows == []


def test_empty_rows_count_against_the_limit_and_reading_stops_there(manager, accounts):
    # Rows 2 to 1 048 575 are missing from the XML: the reader fills them in as empty
    # rows, and the last line of the sheet holds a post. The file is a few kilobytes.
    last = 1_048_576
    data = crafted_xlsx(
        [
            SHEET_START,
            HEADER_ROW,
            inline_row(last, "10/03/2026", "09:30", "Ville X", "Tout en bas"),
            SHEET_END,
        ]
    )

    outcome, peak = read_with_peak("plan.xlsx", data)
    job = imports.import_check(name="plan.xlsx", data=data, by=manager)

    assert isinstance(outcome, imports.ImportFileError)
    assert outcome.code == "too_many_lines"
    assert peak < 5 * 1024 * 1024
    assert job.status == ImportJob.Status.FAILED


def test_blank_lines_of_a_csv_count_against_the_limit(manager, accounts):
    blank = ("",) * 4
    data = csv_bytes(HEADER_FR[:4], *[blank] * 100_000, ("10/03/2026", "09:30", "Ville X", "Fin"))

    job = imports.import_check(name="plan.csv", data=data, by=manager)

    assert job.status == ImportJob.Status.FAILED
    assert job.rows == []


def test_blank_lines_within_the_limit_are_skipped(manager, accounts):
    blank = ("",) * 4
    data = csv_bytes(HEADER_FR[:4], *[blank] * 500, ("10/03/2026", "09:30", "Ville X", "Fin"))

    job = imports.import_check(name="plan.csv", data=data, by=manager)

    assert job.status == ImportJob.Status.CHECKED
    assert [row["line"] for row in job.rows] == [502]


def test_a_shared_string_used_in_every_row_is_kept_cut_and_flagged(manager, accounts):
    text = "é" * 400_000  # 800 KB unzipped, referenced by each row's text cell
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>10/03/2026</t></is></c>'
        b'<c r="B%d" t="inlineStr"><is><t>09:30</t></is></c>'
        b'<c r="C%d" t="inlineStr"><is><t>facebook</t></is></c>'
        b'<c r="D%d" t="s"><v>0</v></c></row>' % ((n,) * 5)
        for n in range(2, 12)
    )
    data = crafted_xlsx([SHEET_START, HEADER_ROW, rows, SHEET_END], shared_strings(text))

    with translation.override("en"):
        job = imports.import_check(name="plan.xlsx", data=data, by=manager)

    assert job.status == ImportJob.Status.CHECKED
    assert len(job.rows) == 10
    for row in job.rows:
        assert row["problems"] == ["Column “text”: more than 5000 characters: shorten it."]
        assert len(row["values"]["text"]) == imports.TEXT_MAX + 1


def test_a_cell_too_long_is_a_problem_of_its_row_naming_the_column(manager, accounts):
    data = csv_bytes(
        HEADER_FR,
        ("10/03/2026", "09:30", "facebook", "t" * 6000, "", "", ""),
        ("10/03/2026", "09:30", "facebook", "Court", "", "c" * 600, ""),
        ("10/03/2026", "09:30", "facebook", "t" * 5000, "", "", ""),
    )

    with translation.override("en"):
        job = imports.import_check(name="plan.csv", data=data, by=manager)

    assert job.status == ImportJob.Status.CHECKED
    assert job.rows[0]["problems"] == ["Column “text”: more than 5000 characters: shorten it."]
    assert job.rows[1]["problems"] == ["Column “campaign”: more than 500 characters: shorten it."]
    assert job.rows[2]["problems"] == []
    assert len(job.rows[0]["values"]["text"]) == imports.TEXT_MAX + 1
    assert len(job.rows[1]["values"]["campaign"]) == imports.CELL_MAX + 1


def test_a_workbook_pointing_at_a_missing_shared_string_is_refused_as_unreadable(manager):
    row = b'<row r="2"><c r="A2" t="s"><v>7</v></c></row>'
    data = crafted_xlsx([SHEET_START, HEADER_ROW, row, SHEET_END], shared_strings("seule"))

    job = imports.import_check(name="plan.xlsx", data=data, by=manager)

    assert job.status == ImportJob.Status.FAILED
    assert job.rows == []


def test_a_bomb_uploaded_through_the_page_gets_a_report_saying_why(client, manager):
    client.force_login(manager)

    response = upload(client, crafted_xlsx(empty_rows(5_000_000)), name="bombe.xlsx")
    report = client.get(response["Location"])

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert job.rows == []
    assert escape(job.error) in report.content.decode()


# -- Images: named by a row, from the ZIP file uploaded with the sheet or from the web ----

HEADER_IMAGES = (*HEADER_FR[:4], "images", "textes alternatifs")


def jpeg_bytes(size=(1080, 1080), colour="#c0392b") -> bytes:
    return jpeg_file(size=size, colour=colour).file.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def instagram():
    return SocialAccountFactory(network="instagram", display_name="Ville sur Instagram")


def test_a_row_names_its_images_in_the_zip_and_the_post_gets_them_with_their_alt_texts(
    client, manager, instagram
):
    photo = png_file(size=(1200, 1000)).file.getvalue()
    images = zip_of({"affiche.jpg": jpeg_bytes(), "photos/lac.png": photo})
    data = csv_bytes(
        HEADER_IMAGES,
        (
            "10/03/2026",
            "09:30",
            "instagram",
            "Fête du lac samedi !",
            "affiche.jpg | photos/lac.png",
            "Affiche de la fête du lac | Le lac au coucher du soleil",
        ),
        ("11/03/2026", "09:30", "instagram", "La même affiche", "AFFICHE.JPG", "L'affiche"),
    )
    client.force_login(manager)

    upload(client, data, images=images)
    job = ImportJob.objects.get()
    imports.import_run(job_id=job.pk, only_valid=False)

    assert [row["problems"] for row in job.rows] == [[], []]
    first, second = Post.objects.order_by("planned_at")
    assert [(i.alt_text, i.image.width) for i in first.images.all()] == [
        ("Affiche de la fête du lac", 1080),
        ("Le lac au coucher du soleil", 1200),
    ]
    # The same file in two rows is one image of the library.
    assert second.images.get().image == first.images.first().image
    assert first.latest_revision.as_object().images.count() == 2
    # What was kept aside between the check and the import is gone.
    assert default_storage.listdir(f"imports/{job.pk}")[1] == []


def test_images_and_alt_texts_are_checked_row_by_row(manager, accounts, instagram):
    not_an_image = b"%PDF-1.4 not a picture"
    images = zip_of({"a.jpg": jpeg_bytes(), "faux.jpg": not_an_image})
    rows = [
        ("10/03/2026", "09:30", "Ville X", "Sans texte alternatif", "a.jpg", ""),
        ("10/03/2026", "09:30", "Ville X", "Trop de textes", "a.jpg", "Un | Deux"),
        ("10/03/2026", "09:30", "Ville X", "Absente", "absente.jpg", "Une image"),
        ("10/03/2026", "09:30", "Ville X", "Pas une image", "faux.jpg", "Une image"),
        (
            "10/03/2026",
            "09:30",
            "Ville X",
            "Cinq pour X",
            " | ".join(["a.jpg"] * 5),
            " | ".join("12345"),
        ),
        ("10/03/2026", "09:30", "instagram", "Instagram sans image", "", ""),
        ("10/03/2026", "09:30", "Ville X, instagram", "Valide", "a.jpg", "Une image"),
    ]

    with translation.override("en"):
        job = imports.import_check(
            name="plan.csv",
            data=csv_bytes(HEADER_IMAGES, *rows),
            by=manager,
            images_zip=ContentFile(images),
        )

    problems = [" | ".join(row["problems"]) for row in job.rows]
    assert "Column “alt texts”: image 1 (“a.jpg”) has no alt text" in problems[0]
    assert "more alt texts (2) than images (1)" in problems[1]
    assert "Column “images”: image 1 (“absente.jpg”): the ZIP file has no such file" in problems[2]
    assert "image 1 (“faux.jpg”): this file is not an image that can be read" in problems[3]
    assert "Column “images”: X: 5 images out of 4" in problems[4]
    assert "Column “images”: Instagram: an image or a video is required" in problems[5]
    assert problems[6] == ""
    assert all(len(row["problems"]) == 1 for row in job.rows[:6])


def test_a_file_name_without_a_zip_file_says_how_to_send_the_images(manager, accounts):
    data = csv_bytes(HEADER_IMAGES, ("10/03/2026", "09:30", "Ville X", "Texte", "a.jpg", "Alt"))

    with translation.override("en"):
        job = imports.import_check(name="plan.csv", data=data, by=manager)

    assert "no ZIP file of images was uploaded" in job.rows[0]["problems"][0]


def test_a_zip_file_too_large_or_unreadable_is_refused_as_a_whole(manager, accounts, monkeypatch):
    data = csv_bytes(HEADER_IMAGES, ("10/03/2026", "09:30", "Ville X", "Texte", "a.jpg", "Alt"))
    images = zip_of({"a.jpg": jpeg_bytes()})
    monkeypatch.setattr(import_media, "MAX_ARCHIVE_BYTES", len(images) - 1)

    too_large = imports.import_check(
        name="plan.csv", data=data, by=manager, images_zip=ContentFile(images)
    )
    monkeypatch.setattr(import_media, "MAX_ARCHIVE_BYTES", 10 * len(images))
    unreadable = imports.import_check(
        name="plan.csv", data=data, by=manager, images_zip=ContentFile(b"not a zip")
    )

    assert too_large.status == unreadable.status == ImportJob.Status.FAILED
    assert too_large.rows == unreadable.rows == []
    assert Post.objects.count() == 0


def test_an_image_of_the_zip_past_the_size_limit_is_not_unpacked(manager, accounts, monkeypatch):
    monkeypatch.setattr(import_media, "MAX_IMAGE_BYTES", 50_000)
    # 5 MB of zeros packs into a few kilobytes.
    images = io.BytesIO()
    with zipfile.ZipFile(images, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bombe.jpg", b"\0" * 5_000_000)
    data = csv_bytes(HEADER_IMAGES, ("10/03/2026", "09:30", "Ville X", "T", "bombe.jpg", "Alt"))

    with translation.override("en"):
        job = imports.import_check(
            name="plan.csv", data=data, by=manager, images_zip=ContentFile(images.getvalue())
        )

    assert "larger than" in job.rows[0]["problems"][0]


class ImageServer(BaseHTTPRequestHandler):
    """A web server on the loopback for the import to fetch images from."""

    protocol_version = "HTTP/1.0"  # a body without Content-Length ends with the connection
    routes: dict = {}
    asked: list = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.asked.append(self.path)
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def image_server():
    photo = jpeg_bytes(size=(1000, 1000))
    ImageServer.asked = []
    ImageServer.routes = {
        "/photo.jpg": (
            200,
            {"Content-Type": "image/jpeg", "Content-Length": str(len(photo))},
            photo,
        ),
        "/page.html": (200, {"Content-Type": "text/html"}, b"<html>une page</html>"),
        "/fake.jpg": (200, {"Content-Type": "image/jpeg"}, b"<html>une page</html>"),
        "/huge.jpg": (200, {"Content-Type": "image/jpeg"}, jpeg_bytes(size=(3000, 3000))),
        "/to-photo": (302, {"Location": "/photo.jpg"}, b""),
        "/to-metadata": (
            302,
            {"Location": "http://169.254.169.254/latest/meta-data/"},
            b"",
        ),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), ImageServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_an_image_at_a_web_address_is_fetched_and_becomes_the_posts(
    manager, accounts, image_server, settings
):
    settings.CRIEUR_IMPORT_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    data = csv_bytes(
        HEADER_IMAGES,
        ("10/03/2026", "09:30", "Ville X", "Une", f"{image_server}/to-photo", "Le lac"),
        ("11/03/2026", "09:30", "Ville X", "Deux", f"{image_server}/to-photo", "Le lac encore"),
    )

    job = imports.import_check(name="plan.csv", data=data, by=manager)
    imports.import_run(job_id=job.pk, only_valid=False)

    assert [row["problems"] for row in job.rows] == [[], []]
    assert ImageServer.asked == ["/to-photo", "/photo.jpg"]  # once for the whole file
    images = [post.images.get() for post in Post.objects.order_by("planned_at")]
    assert [i.alt_text for i in images] == ["Le lac", "Le lac encore"]
    assert images[0].image == images[1].image
    assert (images[0].image.width, images[0].image.title) == (1000, "photo")


def test_fetching_keeps_to_public_addresses_and_to_images_within_the_limits(
    manager, accounts, image_server, settings, monkeypatch
):
    def problems(*paths):
        data = csv_bytes(
            HEADER_IMAGES,
            *[("10/03/2026", "09:30", "Ville X", "T", f"{image_server}{p}", "Alt") for p in paths],
        )
        with translation.override("en"):
            job = imports.import_check(name="plan.csv", data=data, by=manager)
        return [" | ".join(row["problems"]) for row in job.rows]

    loopback = problems("/photo.jpg")
    assert ImageServer.asked == []  # refused before connecting
    settings.CRIEUR_IMPORT_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    monkeypatch.setattr(import_media, "MAX_IMAGE_BYTES", 100_000)
    refused = problems("/to-metadata", "/page.html", "/fake.jpg", "/huge.jpg", "/missing.jpg")

    assert "it points at a private or local address" in loopback[0]
    assert "it points at a private or local address" in refused[0]
    assert "does not give an image (it gives “text/html”)" in refused[1]
    assert "is not an image that can be read" in refused[2]
    assert "larger than" in refused[3]
    assert "its server answered 404" in refused[4]
    assert "/latest/meta-data/" not in " ".join(ImageServer.asked)
    assert Post.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.8/photo.jpg",
        "http://[::1]/photo.jpg",
        "http://[::ffff:127.0.0.1]/photo.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://user:secret@example.org/photo.jpg",
        "ftp://example.org/photo.jpg",
        "file:///etc/passwd",
    ],
)
def test_addresses_that_could_reach_inside_are_never_fetched(manager, accounts, url):
    data = csv_bytes(HEADER_IMAGES, ("10/03/2026", "09:30", "Ville X", "T", url, "Alt"))

    job = imports.import_check(name="plan.csv", data=data, by=manager)

    assert len(job.rows[0]["problems"]) == 1
    assert not job.rows[0]["images"][0]


def test_the_template_and_the_page_explain_the_images_columns(client, manager, accounts):
    client.force_login(manager)

    template = client.get(reverse("publishing_import_template")).content.decode("utf-8-sig")
    page = client.get(reverse("publishing_import")).content.decode()

    assert template.splitlines()[0].split(";")[-2:] == ["images", "textes alternatifs"]
    assert "<strong>images</strong>" in page and "<strong>textes alternatifs</strong>" in page
    assert 'name="images"' in page and 'accept=".zip"' in page


def test_the_person_picks_the_accounts_a_shared_name_stands_for_and_keeps_the_rest(client, manager):
    name = "Ville de Bourg-sur-Lac"
    page = SocialAccountFactory(network="facebook", display_name=name, handle="")
    network = SocialAccountFactory(network="linkedin", display_name=name, handle="")
    SocialAccountFactory(network="x", display_name="Bourg sur X", handle="bourg")
    data = csv_bytes(
        HEADER_FR[:4],
        ("10/03/2026", "09:30", "Ville de Bourg-sur-Lac", "Un"),
        ("11/03/2026", "09:30", "x:@bourg", "Deux"),
        ("12/03/2026", "09:30", "ville de bourg-sur-lac, x", "Trois"),
        ("31/02/2026", "09:30", "Ville de Bourg-sur-Lac", "Quatre"),
    )
    client.force_login(manager)
    upload(client, data)
    job = ImportJob.objects.get()
    url = reverse("publishing_import_report", args=[job.pk])
    before = client.get(url).content.decode()

    client.post(
        url,
        {"action": "choose", "value": "Ville de Bourg-sur-Lac", "accounts": [network.pk]},
    )

    job.refresh_from_db()
    assert 'data-testid="import-choose"' in before
    assert f'value="{page.pk}"' in before and f'value="{network.pk}"' in before
    assert [row["values"]["accounts"] for row in job.rows] == [
        "linkedin:Ville de Bourg-sur-Lac",
        "x:@bourg",
        "linkedin:Ville de Bourg-sur-Lac, x",
        "linkedin:Ville de Bourg-sur-Lac",
    ]
    assert [bool(row["problems"]) for row in job.rows] == [False, False, False, True]
    assert [row["values"]["text"] for row in job.rows] == ["Un", "Deux", "Trois", "Quatre"]
    assert 'data-testid="import-choose"' not in client.get(url).content.decode()
    imports.import_run(job_id=job.pk, only_valid=True)
    assert {v.account for v in Post.objects.get(text="Trois").variants.all()} == {
        network,
        *SocialAccount.objects.filter(network="x"),
    }
