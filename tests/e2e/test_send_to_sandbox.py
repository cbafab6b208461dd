"""An administrator sends an approved post to five networks by hand and sees what each got."""

import pytest
from playwright.sync_api import expect

from publishing.models import Publication
from tests.e2e.conftest import login
from tests.factories import PASSWORD, UserFactory
from tests.publishing.test_send_now import approved_post
from workflows import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_administrator_sends_a_post_to_five_networks_and_reads_the_sandbox(
    page,
    live_server,
    shot,
    sandbox,
    five_accounts,
):
    UserFactory(username="alex", role=roles.ADMINISTRATOR)
    approved_post(five_accounts, texts={"x": "Sapins : 12 points de collecte #Recyclage"})
    login(page, live_server, "alex", PASSWORD)

    page.goto(f"{live_server.url}/admin/snippets/cms/post/")
    row = page.get_by_role("row").filter(has_text="Sapins")
    row.locator("[data-w-dropdown-target='toggle']").first.click()
    row.get_by_role("link", name="Envoyer maintenant").click()
    expect(page.get_by_text("La version validée de ce message va être envoyée")).to_be_visible()
    shot("1-confirm")
    page.get_by_role("button", name="Oui, envoyer maintenant").click()

    results = page.locator("[data-testid='send-results'] tbody tr")
    expect(results).to_have_count(5)
    expect(page.locator("[data-state='published']")).to_have_count(5)
    shot("2-results")
    page.get_by_role("link", name="Voir ce que chaque réseau a reçu").click()
    received = page.locator("[data-testid='sandbox-received']")
    for network in ("x", "facebook", "instagram", "linkedin", "whatsapp"):
        expect(received.locator(f"tr[data-network='{network}']").first).to_be_visible()
    expect(received).to_contain_text("Sapins : 12 points de collecte #Recyclage")
    shot("3-sandbox")
    assert Publication.objects.filter(state="published").count() == 5
