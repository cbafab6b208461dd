"""The Sensitive circuit end to end in a real browser: the community manager submits, the
director approves from the dashboard, the elected official approves on her phone from the
e-mailed link, and the publications are on the calendar at the planned time."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.models import Workflow

from cms.models import Post, Variant
from publishing.models import Publication
from tests.e2e.conftest import login
from tests.factories import PASSWORD, PostFactory, SocialAccountFactory, UserFactory
from workflows import roles
from workflows.models import Decision, ExternalApprover, ExternalRound

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def open_more_actions(page):
    """The editor's footer keeps the other actions behind the arrow next to "Save"."""
    page.locator("footer [data-w-dropdown-target='toggle']").first.click()


def test_the_sensitive_circuit_from_submission_to_the_calendar(browser, page, live_server, shot):
    camille = UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    UserFactory(username="dominique", role=roles.DIRECTOR)
    elected = ExternalApprover.objects.create(
        name="Élise Petit", function="Maire adjointe", email="elise@example.org"
    )
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(elected)
    x = SocialAccountFactory(network="x", display_name="Ville sur X")
    facebook = SocialAccountFactory(network="facebook", display_name="Ville sur Facebook")
    planned = (timezone.localtime() + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    post = PostFactory(
        title="Budget participatif : les résultats",
        text="12 projets choisis par les habitants seront réalisés en 2027. #BudgetParticipatif",
        approval_workflow=Workflow.objects.get(name=roles.SENSITIVE.name),
        created_by=camille,
        planned_at=planned,
    )
    post.variants = [
        Variant(account=x, text="12 projets choisis par vous ! #Budget"),
        Variant(account=facebook),
    ]
    post.save()
    post.save_revision(user=camille)
    edit_url = f"{live_server.url}/admin/snippets/cms/post/edit/{post.pk}/"

    # 1. The community manager submits the post to the Sensitive circuit.
    login(page, live_server, "camille", PASSWORD)
    page.goto(edit_url)
    open_more_actions(page)
    page.locator("button[name='action-submit']").click()
    page.wait_for_load_state()
    post.refresh_from_db()
    assert Post.objects.get(pk=post.pk).current_workflow_task.name == roles.DIRECTOR_ROUND.name
    shot("1-submitted")

    # 2. The director finds it on the dashboard, sees every network, and approves it.
    director = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    desk = director.new_page()
    desk.set_default_timeout(15_000)
    login(desk, live_server, "dominique", PASSWORD)
    waiting = desk.locator("#approval-waiting-section")
    expect(waiting).to_contain_text(post.title)
    shot("2-director-dashboard", desk)
    waiting.get_by_role("link", name=post.title).click()
    desk.wait_for_url(re.compile(rf".*/edit/{post.pk}/.*"))
    # The round's preview (Wagtail's "Preview" for approvers) shows every network.
    task = Post.objects.get(pk=post.pk).current_workflow_task
    preview = director.new_page()
    preview.goto(f"{live_server.url}/admin/snippets/cms/post/workflow/preview/{post.pk}/{task.pk}/")
    expect(preview.locator("body")).to_contain_text("Ville sur Facebook")
    expect(preview.locator("body")).to_contain_text("12 projets choisis par vous ! #Budget")
    shot("2b-director-preview-every-network", preview)
    preview.close()
    open_more_actions(desk)
    desk.locator("[data-workflow-action-name='approve']").first.click()
    desk.wait_for_load_state()
    expect(desk.locator(".messages")).to_contain_text(roles.ELECTED_ROUND.name)
    shot("3-director-approved", desk)
    assert Post.objects.get(pk=post.pk).current_workflow_task.name == roles.ELECTED_ROUND.name
    director.close()

    # 3. The elected official opens the e-mailed link on her phone, without an account.
    [email] = [m for m in mail.outbox if m.to == ["elise@example.org"]]
    link = re.search(r"https?://\S+/approve/[^/\s]+/", email.body).group(0)
    link = live_server.url + link[link.index("/approve/") :]
    phone = browser.new_context(
        locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    mobile = phone.new_page()
    mobile.set_default_timeout(15_000)
    mobile.goto(link)
    expect(mobile.locator("body")).to_contain_text("Élise Petit")
    expect(mobile.locator("body")).to_contain_text("Ville sur X")
    expect(mobile.get_by_test_id("planned-at")).to_contain_text("10:00")
    expect(mobile.locator("body")).to_contain_text("12 projets choisis par vous ! #Budget")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot("4-elected-phone-link", mobile)
    mobile.fill("#id_comment", "Bon pour moi.")
    mobile.locator("button[value='approve']").click()
    mobile.wait_for_url(re.compile(r".*/done/.*"))
    shot("5-elected-phone-done", mobile)
    phone.close()

    decision = Decision.objects.get(external_approver=elected)
    assert (decision.verdict, decision.via, decision.comment) == (
        "approve",
        "link",
        "Bon pour moi.",
    )
    post = Post.objects.get(pk=post.pk)
    assert post.live

    # 4. The publications are on the calendar at the planned time.
    publications = Publication.objects.filter(post=post)
    assert {p.account_id for p in publications} == {x.pk, facebook.pk}
    assert {p.revision_id for p in publications} == {post.live_revision_id}
    assert {p.scheduled_at for p in publications} == {planned}
    day = planned.date()
    page.goto(f"{live_server.url}/admin/publishing/calendar/?view=week&date={day}")
    for publication in publications:
        entry = page.locator(f"article[data-kind='publication'][data-id='{publication.pk}']")
        expect(entry).to_be_visible()
        expect(entry).to_contain_text("10:00")
    shot("6-calendar")
    page.goto(f"{live_server.url}/admin/approval/posts/{post.pk}/approval-trail/")
    expect(page.locator("main")).to_contain_text("Élise Petit")
    expect(page.locator("main")).to_contain_text("Bon pour moi.")
    shot("7-approval-trail")

    # 5. The author learns it in her notifications (the menu shows how many are unread).
    expect(page.locator("nav")).to_contain_text("Notifications (1)")
    page.goto(f"{live_server.url}/admin/notifications/")
    expect(page.locator("main")).to_contain_text(post.title)
    expect(page.locator("main")).to_contain_text(roles.SENSITIVE.name)
    shot("8-author-notifications")
