"""Stumbles of a newcomer's first hour around approval, in a real browser: the submit
button follows the circuit chosen, a director previews the post in his round, typing in
the add form creates nothing, and the external page underlines links in the post text."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import expect
from wagtail.models import Workflow

from cms.models import Post, Variant
from tests.e2e.conftest import login
from tests.factories import PASSWORD, PostFactory, SocialAccountFactory, UserFactory
from workflows import roles
from workflows.models import ExternalApprover, ExternalRound, round_decide

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def errors_of(page):
    found = []
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def open_more_actions(page):
    page.locator("footer [data-w-dropdown-target='toggle']").first.click()


def test_the_submit_button_follows_the_circuit_chosen_before_saving(page, live_server, shot):
    camille = UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    post = PostFactory(title="Budget participatif", created_by=camille)
    post.save_revision(user=camille)
    sensitive = Workflow.objects.get(name=roles.SENSITIVE.name)
    errors = errors_of(page)

    login(page, live_server, "camille", PASSWORD)
    page.goto(f"{live_server.url}/admin/snippets/cms/post/edit/{post.pk}/")
    submit = page.locator("button[name='action-submit']")
    expect(submit).to_have_text("Soumettre à Standard")
    page.locator("a[role='tab'][href='#tab-contexte']").click()
    page.select_option("select[name='approval_workflow']", str(sensitive.pk))
    open_more_actions(page)

    expect(submit).to_have_text("Soumettre à Sensible")
    shot("submit-to-sensible")
    submit.click()
    page.wait_for_load_state()
    assert Post.objects.get(pk=post.pk).current_workflow_state.workflow == sensitive
    assert errors == []


def test_a_director_in_his_round_previews_the_post_and_its_counters(page, live_server, shot):
    camille = UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    UserFactory(username="dominique", role=roles.DIRECTOR)
    x = SocialAccountFactory(network="x", display_name="Ville sur X")
    post = PostFactory(
        title="Fête du lac", text="Grand feu samedi à 22 h au bord du lac.", created_by=camille
    )
    post.variants = [Variant(account=x, text="Grand feu samedi à 22 h ! #FeteDuLac")]
    post.save()
    post.save_revision(user=camille)
    post.get_workflow().start(post, camille)
    errors = errors_of(page)
    refused = []
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)

    login(page, live_server, "dominique", PASSWORD)
    page.goto(f"{live_server.url}/admin/snippets/cms/post/edit/{post.pk}/")
    page.locator("[data-side-panel-toggle='preview']").click()
    frame = page.frame_locator("#w-preview-iframe")
    expect(frame.locator("body")).to_contain_text("Grand feu samedi", timeout=15_000)
    shot("director-preview")

    assert refused == []
    assert errors == []


def test_the_add_form_has_no_autosave_to_create_a_post_behind_the_author(page, live_server):
    UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)

    login(page, live_server, "camille", PASSWORD)
    page.goto(f"{live_server.url}/admin/snippets/cms/post/add/")
    page.locator("#id_title").press_sequentially("Essai abandonné")

    form = page.locator("#w-editor-form")
    expect(form).to_have_attribute("data-controller", re.compile(r"w-unsaved"))
    expect(form).not_to_have_attribute("data-controller", re.compile(r"w-autosave"))
    expect(page.locator("#w-autosave-indicator")).to_have_count(0)
    assert not Post.objects.exists()


def test_the_external_page_underlines_links_in_the_post_text(browser, live_server, shot):
    camille = UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    director = UserFactory(username="dominique", role=roles.DIRECTOR)
    elise = ExternalApprover.objects.create(
        name="Élise Petit", function="Maire adjointe", email="elise@example.org"
    )
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(elise)
    x = SocialAccountFactory(network="facebook", display_name="Ville sur Facebook")
    post = PostFactory(
        title="Fête du lac",
        text="Tout le programme sur https://www.bourg-sur-lac.fr/fete-du-lac et au kiosque.",
        approval_workflow=Workflow.objects.get(name=roles.SENSITIVE.name),
        created_by=camille,
    )
    post.variants = [Variant(account=x)]
    post.save()
    post.save_revision(user=camille)
    post.get_workflow().start(post, camille)
    post = Post.objects.get(pk=post.pk)
    round_decide(
        task_state=post.current_workflow_task_state.specific, verdict="approve", user=director
    )
    [email] = [m for m in mail.outbox if m.to == ["elise@example.org"]]
    link = re.search(r"https?://\S+/approve/[^/\s]+/", email.body).group(0)
    phone = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.goto(live_server.url + link[link.index("/approve/") :])

    in_text = mobile.locator("main .text a, main .master a").first
    expect(in_text).to_be_visible()
    assert "underline" in in_text.evaluate("a => getComputedStyle(a).textDecorationLine")
    results = Axe().run(mobile, options={"runOnly": ["link-in-text-block"]})
    assert results.response["violations"] == []
    shot("external-links-underlined", mobile)
    phone.close()
