"""A community manager moves a scheduled publication on the calendar by drag-and-drop."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policies.models import Period
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


def _month_after_next():
    today = timezone.localdate()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


# Drag events as the page receives them, sent by script: unlike Playwright's mouse, they
# get no help from Chromium, which scrolls by itself while dragging (not every browser
# does), so what scrolls is the calendar's own code.
DRAG = """([selector, kind, x, y]) => {
    window.crieurDrag = window.crieurDrag || new DataTransfer();
    const at = selector ? document.querySelector(selector) : document.elementFromPoint(x, y);
    at.dispatchEvent(new DragEvent(kind, {
        bubbles: true, cancelable: true, clientX: x, clientY: y,
        dataTransfer: window.crieurDrag,
    }));
}"""


def _drag_to_below_the_fold(page, card_selector, target):
    """Hold the entry at the bottom edge of the window until the target day comes into
    view, then drop it there."""
    height = page.viewport_size["height"]
    page.evaluate(DRAG, [card_selector, "dragstart", 600, 300])
    for _step in range(400):
        page.evaluate(DRAG, [None, "dragover", 600, height - 4])
        if target.evaluate("day => day.getBoundingClientRect().bottom <= window.innerHeight"):
            break
    else:
        raise AssertionError("dragging at the bottom of the window did not scroll the page")
    box = target.bounding_box()
    middle = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    page.evaluate(DRAG, [None, "dragover", *middle])
    page.evaluate(DRAG, [None, "drop", *middle])
    page.evaluate(DRAG, [card_selector, "dragend", *middle])


def test_dragging_scrolls_to_a_day_below_the_fold_and_says_where_the_person_looks(
    page, live_server, shot
):
    UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)
    account = SocialAccountFactory(network="x", display_name="Ville sur X")
    first = _month_after_next()
    source, target_date = first + timedelta(days=1), first + timedelta(days=26)
    # A busy first week pushes the end of the month below the fold.
    fillers = [
        publication(
            approved_post(account, f"Annonce {n}"),
            account,
            timezone.make_aware(datetime.combine(first + timedelta(days=n % 7), time(8, n))),
        )
        for n in range(35)
    ]
    post = approved_post(account, "Fermeture du pont")
    scheduled = publication(
        post, account, timezone.make_aware(datetime.combine(source, time(10, 30)))
    )
    Period.objects.create(
        name="Réserve électorale",
        kind=Period.Kind.RESERVE,
        starts_at=timezone.make_aware(datetime.combine(target_date + timedelta(days=1), time(0))),
        ends_at=timezone.make_aware(datetime.combine(target_date + timedelta(days=2), time(0))),
        reason="Élections municipales",
    )
    page.set_viewport_size({"width": 1280, "height": 1000})
    login(page, live_server, "camille", PASSWORD)
    page.goto(f"{live_server.url}/admin/publishing/calendar/?view=month&date={first}")
    card = f"article[data-kind='publication'][data-id='{scheduled.pk}']"
    target = page.locator(f"td[data-date='{target_date}']")
    assert target.bounding_box()["y"] > 1000, "the target day must start below the fold"
    assert len(fillers) == 35

    _drag_to_below_the_fold(page, card, target)

    expect(target.locator(f"article[data-id='{scheduled.pk}']")).to_be_visible()
    expect(page.locator("#calendar-status")).not_to_be_empty()
    expect(page.locator("#calendar-status")).to_be_in_viewport()
    shot("1-moved-below-the-fold")
    moved = Publication.objects.get(pk=scheduled.pk)
    assert timezone.localtime(moved.scheduled_at).date() == target_date

    # The next day is in the pre-election reserve: refused, and said at the bottom of
    # the window, where the person is looking, not at the top of the page.
    blocked = page.locator(f"td[data-date='{target_date + timedelta(days=1)}']")
    moved_card = target.locator(f"article[data-id='{scheduled.pk}']")
    moved_card.locator(".crieur-cal-entry__meta").drag_to(blocked)

    expect(page.locator("#calendar-alert")).to_contain_text("Élections municipales")
    expect(page.locator("#calendar-alert")).to_be_in_viewport()
    expect(target.locator(f"article[data-id='{scheduled.pk}']")).to_be_visible()
    shot("2-refused-in-view")
    page.locator("[data-close-message]").click()
    expect(page.locator("#calendar-alert")).to_be_empty()
