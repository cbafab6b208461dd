"""A community manager composes a post for several accounts in the composer: the master
text beside one tab per account, each showing the post as its network will, live."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from cms.models import Post, PostImage, Variant
from tests.e2e.conftest import ARTIFACTS, login
from tests.factories import (
    PASSWORD,
    ImageFactory,
    PostFactory,
    SocialAccountFactory,
    UserFactory,
    jpeg_file,
)
from workflows import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_X_TEXT = (
    "Grand nettoyage des berges du lac samedi 14 juin de 9 h à 12 h 🌿 : gants, sacs et "
    "café offerts aux bénévoles. Rendez-vous au ponton des Rives, près du kiosque. "
    "Inscriptions et programme complet sur https://www.bourg-sur-lac.fr/berges "
    "#BergesPropres #BourgSurLac #Bénévolat #Environnement #Lac #Nature #Quartier #Ville"
)
SHORT_X_TEXT = (
    "Nettoyage des berges samedi 14 juin, 9 h-12 h 🌿 https://www.bourg-sur-lac.fr/berges"
)
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def serious_violations(page) -> list[str]:
    """axe's serious and critical violations on the page, as « rule: target » lines."""
    results = Axe().run(page)
    return [
        f"{violation['id']}: {node['target']}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
        for node in violation["nodes"]
    ]


@pytest.fixture(autouse=True)
def no_autosave(settings):
    """Wagtail's autosave saves in the background while the test types; on the tests'
    in-memory SQLite a save racing it finds the tables locked. The composer is what is
    tested here."""
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0


@pytest.fixture
def camille(db):
    return UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)


@pytest.fixture
def accounts(db):
    return {
        network: SocialAccountFactory(network=network, display_name=name)
        for network, name in [
            ("x", "Bourg sur X"),
            ("facebook", "Bourg sur Facebook"),
            ("instagram", "Bourg sur Instagram"),
            ("linkedin", "Bourg sur LinkedIn"),
        ]
    }


@pytest.fixture
def post(camille):
    """A draft with two photos, written by camille, going to no network yet."""
    post = PostFactory(title="Nettoyage des berges", text=LONG_X_TEXT, created_by=camille)
    for number, alt in enumerate(
        ["Des bénévoles ramassent des déchets sur la berge.", "Le ponton des Rives au matin."]
    ):
        PostImage.objects.create(
            post=post,
            image=ImageFactory(title=f"Berges {number}", file=jpeg_file(name=f"b{number}.jpg")),
            alt_text=alt,
            sort_order=number,
        )
    post.save_revision(user=camille)
    return post


def open_editor(page, live_server, post):
    # Leaving the editor releases its editing session with a request the browser sends
    # as it goes; answered here, it cannot reach the live server while the test empties
    # the database (its in-memory SQLite would find its tables locked).
    page.route(
        "**/admin/editing-sessions/release/**", lambda route: route.fulfill(status=200, json={})
    )
    page.goto(f"{live_server.url}/admin/snippets/cms/post/edit/{post.pk}/")
    expect(page.locator("[data-composer]")).to_be_visible()


def leave_editor(page):
    """End on the dashboard, the editor's previews done: nothing of the editor is still
    asking the live server when the test reads or empties the database."""
    settled(page)
    page.goto(page.url.split("/admin/")[0] + "/admin/")


def settled(page):
    """Wait for the previews on their way: on the tests' in-memory SQLite, two requests
    at once, or a request while the test reads or empties the database, find its tables
    locked."""
    expect(page.locator("[data-composer]")).to_have_attribute("data-composer-busy", "false")


def tick(page, account):
    page.get_by_role("checkbox", name=re.compile(re.escape(account.display_name))).check()


def version(page, account):
    """The tab panel of an account's version."""
    key = page.locator(f"[data-composer-account][value='{account.pk}']").get_attribute("name")
    return page.locator(f"[data-composer-version='{key.removesuffix('-account')}']")


def tab(page, account):
    return page.get_by_role("tab", name=re.compile(re.escape(account.display_name)))


def show_tabs(page):
    """Scroll the networks' tabs to the top of the window, for a screenshot."""
    page.locator("[data-composer-tablist]").evaluate("list => list.scrollIntoView()")


def save_draft(page):
    settled(page)  # the save and a preview at once would find the test database locked
    page.locator("button[name='action-draft'], footer button[type='submit']").first.click()
    expect(page.locator(".messages")).to_contain_text("Nettoyage des berges")
    leave_editor(page)


def test_a_post_is_composed_for_four_accounts_with_one_customised_and_an_image_left_out(
    browser, live_server, camille, accounts, post
):
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(f"{error} {error.stack}"))
    first, second = [item.image for item in post.images.all()]
    login(page, live_server, "camille", PASSWORD)
    open_editor(page, live_server, post)

    for network in ["x", "facebook", "instagram", "linkedin"]:
        tick(page, accounts[network])

    expect(page.locator("[data-composer-tablist] [role='tab']:visible")).to_have_count(4)
    x, instagram = version(page, accounts["x"]), version(page, accounts["instagram"])
    facebook = version(page, accounts["facebook"])
    tab(page, accounts["x"]).click()
    expect(x).to_be_visible()
    expect(x.locator("[data-composer-counter]")).to_have_attribute("data-state", "problem")
    expect(x.locator("[data-problem='too_long']")).to_be_visible()
    expect(tab(page, accounts["x"])).to_have_attribute("data-state", "problem")
    # The card the approvers will see: the master text and both photos.
    expect(x.locator(".network-card .text")).to_contain_text("#BergesPropres")
    expect(x.locator(".network-card img")).to_have_count(2)

    # X follows the master until customised; then it has its own text.
    expect(x.locator("[data-composer-custom]")).to_be_hidden()
    x.locator("[data-composer-customise]").click()
    x_text = x.locator("textarea[name$='-text']")
    expect(x_text).to_be_focused()
    expect(x_text).to_have_value(LONG_X_TEXT)
    x_text.fill(SHORT_X_TEXT)
    expect(x.locator("[data-composer-counter]")).to_have_attribute("data-state", "ok")
    expect(x.locator("[data-composer-counter]")).to_have_attribute("data-length", "72")
    expect(tab(page, accounts["x"])).not_to_have_attribute("data-state", "problem")

    # Only the formats each network offers: a thread on X, no format to choose on
    # Facebook, the four Instagram formats.
    expect(x.locator("select[name$='-format'] option")).to_have_text(
        ["Publication dans le fil", "Fil (thread)"]
    )
    expect(facebook.locator("select[name$='-format']")).to_have_count(0)
    expect(instagram.locator("select[name$='-format'] option")).to_have_count(4)

    # Instagram gets the first photo only, with its own alt text.
    tab(page, accounts["instagram"]).click()
    instagram.locator("[data-composer-customise]").click()
    images = instagram.locator(".composer-media__item")
    expect(images).to_have_count(2)
    images.nth(1).get_by_role("checkbox").uncheck()
    images.nth(0).get_by_role("textbox").fill("Trois bénévoles et leurs sacs, vus de près.")
    expect(instagram.locator(".network-card img")).to_have_count(1)
    expect(instagram.locator(".network-card figcaption")).to_contain_text("Trois bénévoles")
    show_tabs(page)
    page.screenshot(path=str(ARTIFACTS / "composer-desktop.png"))

    assert serious_violations(page) == []
    assert script_errors == []
    save_draft(page)

    saved = Post.objects.get(pk=post.pk).get_latest_revision_as_object()
    versions = {v.account.network: v for v in saved.variants.all()}
    assert set(versions) == {"x", "facebook", "instagram", "linkedin"}
    # X has its own text; its images are still the post's (none unticked there).
    assert versions["x"].text == SHORT_X_TEXT and versions["x"].media is None
    assert versions["facebook"].text == "" and not versions["facebook"].is_customised
    assert versions["instagram"].media == [
        {"image": first.pk, "alt_text": "Trois bénévoles et leurs sacs, vus de près."}
    ]
    assert versions["instagram"].text == LONG_X_TEXT  # customised: its own copy
    assert second.pk not in [c.image for c in versions["instagram"].media_choices()]
    context.close()


def test_the_network_tabs_are_used_with_the_keyboard_alone(
    page, live_server, camille, accounts, post
):
    login(page, live_server, "camille", PASSWORD)
    open_editor(page, live_server, post)
    for network in ["x", "facebook", "linkedin"]:
        tick(page, accounts[network])
    tab(page, accounts["facebook"]).click()  # the tabs: Facebook, LinkedIn, X

    page.keyboard.press("ArrowRight")
    expect(tab(page, accounts["linkedin"])).to_be_focused()
    expect(tab(page, accounts["linkedin"])).to_have_attribute("aria-selected", "true")
    expect(version(page, accounts["linkedin"])).to_be_visible()
    expect(version(page, accounts["facebook"])).to_be_hidden()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(tab(page, accounts["facebook"])).to_be_focused()
    page.keyboard.press("End")
    expect(tab(page, accounts["x"])).to_be_focused()
    # One tab stop: Tab leaves the tab list for the selected panel's content.
    page.keyboard.press("Tab")
    expect(version(page, accounts["x"])).to_be_focused()

    # Unticking an account by keyboard removes its tab; a customised version is reset.
    page.get_by_role("checkbox", name=re.compile("Bourg sur LinkedIn")).focus()
    page.keyboard.press("Space")
    expect(tab(page, accounts["linkedin"])).to_be_hidden()
    tab(page, accounts["x"]).focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    x = version(page, accounts["x"])
    expect(x.locator("[data-composer-customise]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(x.locator("textarea[name$='-text']")).to_be_focused()
    page.keyboard.type(" ✔")
    x.locator("[data-composer-reset]").focus()
    page.keyboard.press("Enter")
    expect(x.locator("[data-composer-custom]")).to_be_hidden()
    save_draft(page)

    saved = Post.objects.get(pk=post.pk).get_latest_revision_as_object()
    assert {v.account.network: v.text for v in saved.variants.all()} == {"x": "", "facebook": ""}


def test_a_network_s_images_are_put_in_order_by_dragging_or_by_keyboard(
    page, live_server, camille, accounts, post
):
    first, second = [item.image for item in post.images.all()]
    login(page, live_server, "camille", PASSWORD)
    open_editor(page, live_server, post)
    tick(page, accounts["linkedin"])
    linkedin = version(page, accounts["linkedin"])
    linkedin.locator("[data-composer-customise]").click()
    images = linkedin.locator(".composer-media__item")

    images.nth(1).locator("img").drag_to(images.nth(0).locator("img"))

    expect(images.nth(0)).to_have_attribute("data-image", str(second.pk))
    expect(linkedin.locator(".network-card img").first).to_have_attribute(
        "alt", "Le ponton des Rives au matin."
    )
    images.nth(1).locator("[data-composer-move='earlier']").focus()
    page.keyboard.press("Enter")
    expect(images.nth(0)).to_have_attribute("data-image", str(first.pk))
    save_draft(page)

    [saved] = Post.objects.get(pk=post.pk).get_latest_revision_as_object().variants.all()
    assert [choice.image for choice in saved.media_choices()] == [first.pk, second.pk]


def test_the_composer_on_a_phone_shows_each_network_s_card_within_the_screen(
    browser, live_server, camille, accounts, post
):
    for network in ["x", "instagram"]:
        Variant.objects.create(post=post, account=accounts[network])
    post.save_revision(user=camille)
    context = browser.new_context(
        locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, "camille", PASSWORD)
    open_editor(page, live_server, post)

    tab(page, accounts["instagram"]).tap()
    instagram = version(page, accounts["instagram"])
    expect(instagram.locator(".network-card")).to_be_visible()
    show_tabs(page)
    page.screenshot(path=str(ARTIFACTS / "composer-phone.png"))

    card = instagram.locator(".network-card").bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["width"]
    assert serious_violations(page) == []
    leave_editor(page)
    context.close()
