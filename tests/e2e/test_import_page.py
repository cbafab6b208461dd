"""A community manager checks a spreadsheet on the import page and picks the account that
a name shared by two accounts stands for."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from publishing.models import ImportJob
from tests.e2e.conftest import login
from tests.factories import PASSWORD, SocialAccountFactory, UserFactory
from workflows import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_check_button_reads_and_a_shared_name_is_picked_on_the_report(
    page, live_server, shot, tmp_path
):
    UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    name = "Ville de Bourg-sur-Lac"
    SocialAccountFactory(network="facebook", display_name=name, handle="bourgsurlac")
    SocialAccountFactory(network="linkedin", display_name=name, handle="")
    day = (timezone.localdate() + timedelta(days=3)).strftime("%d/%m/%Y")
    sheet = tmp_path / "plan.csv"
    sheet.write_text(
        f"date;heure;comptes;texte\r\n{day};09:30;{name};Réunion publique jeudi\r\n",
        encoding="utf-8",
    )
    login(page, live_server, "camille", PASSWORD)
    page.goto(f"{live_server.url}/admin/publishing/import/")

    button = page.get_by_role("button", name="Vérifier le fichier")
    expect(button).to_be_visible()
    icon = button.locator("svg").bounding_box()
    assert icon["width"] <= 24 and icon["height"] <= 24
    label_fits = button.evaluate("b => b.scrollWidth <= b.clientWidth + 1")
    assert label_fits, "the label of the button is cut"
    shot("1-upload")

    page.set_input_files("#id_file", str(sheet))
    button.click()
    choose = page.get_by_test_id("import-choose")
    expect(choose).to_contain_text(name)
    shot("2-choose")
    choose.get_by_label(f"{name} (LinkedIn)", exact=False).check()
    choose.locator("button[type=submit]").click()

    expect(page.locator("tr[data-valid='yes']")).to_have_count(1)
    expect(page.get_by_test_id("import-all")).to_be_visible()
    shot("3-valid")
    row = ImportJob.objects.get().rows[0]
    assert row["values"]["accounts"] == f"linkedin:{name}"
