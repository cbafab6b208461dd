"""A community manager adapts a post to three accounts and sees each network's count live."""

import re

import pytest
from playwright.sync_api import expect

from cms.models import Post
from tests.e2e.conftest import login
from tests.factories import PASSWORD, SocialAccountFactory, UserFactory
from workflows import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_X_TEXT = (
    "Grand nettoyage des berges du lac samedi 14 juin de 9 h à 12 h 🌿 : gants, sacs et "
    "café offerts aux bénévoles. Rendez-vous au ponton des Rives, près du kiosque. "
    "Inscriptions et programme complet sur https://www.bourg-sur-lac.fr/berges "
    "#BergesPropres #BourgSurLac #Bénévolat #Environnement #Lac #Nature #Quartier #Ville"
)


def add_version(page, number, account_label):
    page.get_by_role("button", name=re.compile("Ajouter un\\(e\\) Versions par réseau")).click()
    child = page.locator(f"#inline_child_variants-{number}")
    child.locator("select[name$='-account']").select_option(label=account_label)
    return child


def test_a_post_adapted_to_three_accounts_shows_three_live_counters(page, live_server, shot):
    UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    SocialAccountFactory(network="x", display_name="Bourg X")
    SocialAccountFactory(network="facebook", display_name="Bourg Facebook")
    SocialAccountFactory(network="linkedin", display_name="Bourg LinkedIn")
    login(page, live_server, "camille", PASSWORD)
    page.goto(f"{live_server.url}/admin/snippets/cms/post/add/")
    page.fill("#id_title", "Nettoyage des berges")
    page.fill("#id_text", LONG_X_TEXT)
    page.get_by_role("tab", name="Réseaux").click()

    x = add_version(page, 0, "Bourg X (X)")
    facebook = add_version(page, 1, "Bourg Facebook (Page Facebook)")
    linkedin = add_version(page, 2, "Bourg LinkedIn (LinkedIn)")

    counters = page.locator("[data-testid='live-counter']")
    expect(counters).to_have_count(3)
    expect(x.locator("[data-testid='live-counter']")).to_have_attribute("data-state", "problem")
    expect(x.locator("[data-problem='too_long']")).to_contain_text("caractères sur 280")
    expect(facebook.locator("[data-testid='live-counter']")).to_have_attribute("data-state", "ok")
    expect(linkedin.locator("[data-testid='live-counter']")).to_contain_text("/ 3000")
    expect(linkedin.locator(".crieur-live__preview")).to_contain_text("#BergesPropres")
    shot("1-x-too-long")

    short = "Nettoyage des berges samedi 14 juin, 9 h-12 h 🌿 https://www.bourg-sur-lac.fr/berges"
    x.locator("textarea[name$='-text']").fill(short)
    expect(x.locator("[data-testid='live-counter']")).to_have_attribute("data-state", "ok")
    expect(x.locator(".crieur-live__summary")).to_contain_text("X — 72 / 280")
    shot("2-x-fixed")
    page.locator("button[name='action-draft'], footer button[type='submit']").first.click()

    expect(page.locator(".messages")).to_contain_text("Nettoyage des berges")
    post = Post.objects.get(title="Nettoyage des berges")
    versions = {v.account.network: v.effective_text for v in post.variants.all()}
    assert versions == {"x": short, "facebook": LONG_X_TEXT, "linkedin": LONG_X_TEXT}
