"""A community manager moves a scheduled publication on the calendar by drag-and-drop."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from publishing.models import Publication
from tests.e2e.conftest import login
from tests.factories import PASSWORD, SocialAccountFactory, UserFactory
from tests.publishing.test_calendar import approved_post, publication
from workflows import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def next_wednesday(*, at_least_days: int = 3):
    day = timezone.localdate() + timedelta(days=at_least_days)
    return day + timedelta(days=(2 - day.weekday()) % 7)


def test_a_community_manager_drags_a_publication_to_another_day(page, live_server, shot):
    UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    account = SocialAccountFactory(network="x", display_name="Ville sur X")
    post = approved_post(account, "Fermeture du pont")
    wednesday = next_wednesday()
    thursday = wednesday + timedelta(days=1)
    planned = timezone.make_aware(datetime.combine(wednesday, time(10, 30)))
    scheduled = publication(post, account, planned)
    login(page, live_server, "camille", PASSWORD)

    calendar = f"{live_server.url}/admin/publishing/calendar/?view=month&date={wednesday}"
    page.goto(calendar)
    card = page.locator(f"article[data-kind='publication'][data-id='{scheduled.pk}']")
    source_day = page.locator(f"td[data-date='{wednesday}']")
    target_day = page.locator(f"td[data-date='{thursday}']")
    expect(source_day.locator("article")).to_have_count(1)
    expect(card).to_have_attribute("draggable", "true")
    shot("1-before")

    card.locator(".crieur-cal-entry__meta").drag_to(target_day)

    expect(target_day.locator(f"article[data-id='{scheduled.pk}']")).to_be_visible()
    expect(page.locator("#calendar-status")).not_to_be_empty()
    expect(page.locator("#calendar-alert")).to_be_empty()
    shot("2-moved")
    page.reload()
    expect(
        page.locator(f"td[data-date='{thursday}'] article[data-id='{scheduled.pk}']")
    ).to_be_visible()
    expect(page.locator(f"td[data-date='{wednesday}'] article")).to_have_count(0)
    shot("3-reloaded")
    moved = Publication.objects.get(pk=scheduled.pk)
    assert timezone.localtime(moved.scheduled_at).date() == thursday
    assert timezone.localtime(moved.scheduled_at).time() == time(10, 30)
    assert moved.revision_id == post.live_revision_id

    page.goto(f"{live_server.url}/admin/snippets/cms/post/history/{post.pk}/")
    expect(page.locator("#listing-results")).to_contain_text("Ville sur X (X)")
    expect(page.locator("#listing-results")).to_contain_text(
        f"Ville sur X (X) : {wednesday:%d/%m/%Y} 10:30 → {thursday:%d/%m/%Y} 10:30"
    )
    shot("4-history")
