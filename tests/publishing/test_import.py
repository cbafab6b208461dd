"""Bulk import of scheduled posts: a file is checked row by row, then imported as drafts."""

import io
import tracemalloc
import zipfile
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from cms.models import Post
from networks.models import SocialAccount
from policies.models import Period
from publishing import imports
from publishing.models import ImportJob
from publishing.tasks import import_run_task
from tests.factories import CampaignFactory, SocialAccountFactory, UserFactory
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
    SocialAccountFactory(network="instagram", display_name="Ville X")
    row = {"date": "10/03/2026", "time": "09:30", "accounts": "Ville X", "text": "Bonjour"}

    with translation.override("en"):
        problems = imports.row_problems(
            row, accounts=list(SocialAccount.objects.all()), campaigns=[], now=NOW
        )
        precise = dict(row, accounts="Ville X (X)")
        fixed = imports.row_problems(
            precise, accounts=list(SocialAccount.objects.all()), campaigns=[], now=NOW
        )

    assert len(problems) == 1 and "names several accounts" in problems[0]
    assert "“Ville X (X)”" in problems[0]
    assert fixed == []


# -- The admin pages ----------------------------------------------------------------------


def upload(client, data, name="plan.csv"):
    return client.post(reverse("publishing_import"), {"file": SimpleUploadedFile(name, data)})


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


def test_the_menu_offers_the_import_to_people_who_write_posts_only(client, roles_people):
    url = reverse("publishing_import")

    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])
    shown = client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(roles_people[roles.DIRECTOR.key])
    hidden = client.get(reverse("wagtailadmin_home")).content.decode()

    assert url in shown
    assert url not in hidden


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
