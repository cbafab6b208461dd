"""First journeys in a real browser: a post is written, submitted, approved."""

import re

import pytest
from playwright.sync_api import expect

from cms.models import Post
from tests.e2e.conftest import login
from tests.factories import PASSWORD, ImageFactory, PostFactory, UserFactory
from workflows import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_new_post(page, live_server, title, text):
    page.goto(f"{live_server.url}/admin/snippets/cms/post/add/")
    page.fill("#id_title", title)
    page.fill("#id_text", text)


def add_image(page, image_title, alt_text):
    page.get_by_role("button", name=re.compile("Ajouter une image")).click()
    child = page.locator("[id^='inline_child_images-']").last
    child.get_by_role("button", name=re.compile("Choisir une image")).click()
    modal = page.locator(".modal-dialog")
    modal.get_by_role("link", name=re.compile(image_title)).first.click()
    expect(modal).to_be_hidden()
    child.locator("input[name$='-alt_text']").fill(alt_text)


def open_action_menu(page):
    page.locator("footer [data-w-dropdown-target='toggle']").last.click()


def test_community_manager_writes_a_post_with_an_image_and_submits_it(page, live_server, shot):
    UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    ImageFactory(title="Affiche piscine")
    login(page, live_server, "camille", PASSWORD)

    open_new_post(
        page, live_server, "Réouverture de la piscine", "La piscine rouvre lundi ! #Sport"
    )
    add_image(page, "Affiche piscine", "Le grand bassin, vu depuis les gradins.")
    shot("1-written")
    open_action_menu(page)
    page.locator("button[name='action-submit']").click()

    expect(page.locator(".messages")).to_contain_text("Réouverture de la piscine")
    page.goto(f"{live_server.url}/admin/snippets/cms/post/")
    row = page.get_by_role("row").filter(has_text="Réouverture de la piscine")
    expect(row.locator("[data-status='in_round']")).to_be_visible()
    shot("2-listing")
    post = Post.objects.get(title="Réouverture de la piscine")
    assert post.workflow_in_progress
    assert [i.alt_text for i in post.images.all()] == ["Le grand bassin, vu depuis les gradins."]


def test_director_sees_the_waiting_post_and_approves_it(page, live_server, shot):
    author = UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    UserFactory(username="dominique", role=roles.DIRECTOR)
    post = PostFactory(title="Travaux rue Victor-Hugo", created_by=author)
    post.save_revision(user=author)
    post.get_workflow().start(post, author)

    login(page, live_server, "dominique", PASSWORD)
    waiting = page.locator("section, .w-panel").filter(has_text="Travaux rue Victor-Hugo").first
    expect(waiting).to_be_visible()
    shot("1-dashboard")
    waiting.locator("a", has_text="Travaux rue Victor-Hugo").first.click()
    approve = page.locator(
        "button[data-workflow-action-name='approve']:not([data-workflow-action-modal-url])"
    )
    if not approve.is_visible():
        open_action_menu(page)
    shot("2-editor")
    approve.click()

    expect(page.locator(".messages")).to_contain_text("Travaux rue Victor-Hugo")
    page.goto(f"{live_server.url}/admin/snippets/cms/post/")
    shot("3-approved")
    row = page.get_by_role("row").filter(has_text="Travaux rue Victor-Hugo")
    expect(row.locator("[data-status='approved']")).to_be_visible()
    assert Post.objects.get(pk=post.pk).live


def test_alt_text_is_required_with_a_clear_french_message(page, live_server, shot):
    UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    ImageFactory(title="Photo chantier")
    login(page, live_server, "camille", PASSWORD)

    open_new_post(page, live_server, "Chantier du pont", "Le pont ferme trois semaines.")
    add_image(page, "Photo chantier", "")
    page.locator("footer button[type=submit]").first.click()

    expect(
        page.get_by_text(re.compile("Ajoutez un texte alternatif à cette image"))
    ).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("Chantier du pont")
    expect(page.locator("#id_text")).to_have_value("Le pont ferme trois semaines.")
    shot("refused")
    assert not Post.objects.exists()
