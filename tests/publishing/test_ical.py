"""The personal iCal feed: what an agenda receives, and resetting its secret address."""

import hashlib
import importlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from icalendar import Calendar

from publishing.calendar import calendar_feed_reset, ical_feed
from publishing.models import CalendarFeed, Publication
from tests.factories import PostFactory, SocialAccountFactory
from tests.publishing.test_calendar import approved_post, publication
from workflows import roles

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2031, 3, 10, 9, 0, tzinfo=PARIS)
CITIZEN_TEXT = (
    'Réunion publique, jeudi; venez nombreux !\n<script>alert("x")</script>\n'
    "Ligne 3 : «guillemets», virgules, points-virgules; antislash \\ fin"
)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def manager(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


def events(body: bytes) -> dict:
    calendar = Calendar.from_ical(body)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def feed_url(user) -> str:
    """A new address for `user`'s feed, as a path (the only time the address is known)."""
    return calendar_feed_reset(user=user).removeprefix("http://testserver")


def test_the_feed_lists_publications_and_planned_posts_but_not_cancelled_ones(client, manager):
    x = SocialAccountFactory(network="x")
    bridge = approved_post(x, "Fermeture du pont")
    scheduled = publication(bridge, x, NOW + timedelta(days=2))
    publication(
        approved_post(x, "Concert"), x, NOW + timedelta(days=3), Publication.State.CANCELLED
    )
    PostFactory(title="Marché de nuit", planned_at=NOW + timedelta(days=5))
    PostFactory(title="Trop tard", planned_at=NOW - timedelta(days=31))
    PostFactory(title="Trop loin", planned_at=NOW + timedelta(days=366))

    response = client.get(feed_url(manager))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response.content)
    with translation.override("fr"):
        draft = gettext("Draft")
    assert set(found) == {"[X] Fermeture du pont", f"[{draft}] Marché de nuit"}
    event = found["[X] Fermeture du pont"]
    assert event.decoded("DTSTART") == scheduled.scheduled_at
    assert str(event["UID"]) == f"publication-{scheduled.pk}@testserver"
    assert str(event["URL"]).startswith("http://testserver/admin/snippets/cms/post/edit/")


def test_each_event_keeps_its_uid_from_one_refresh_to_the_next(client, manager):
    x = SocialAccountFactory(network="x")
    publication(approved_post(x, "Pont"), x, NOW + timedelta(days=2))
    PostFactory(title="Marché", planned_at=NOW + timedelta(days=5))

    first = [str(e["UID"]) for e in Calendar.from_ical(ical_feed(user=manager)).walk("VEVENT")]
    second = [str(e["UID"]) for e in Calendar.from_ical(ical_feed(user=manager)).walk("VEVENT")]

    assert first == second
    assert len(set(first)) == 2


def test_citizen_text_is_escaped_and_comes_back_intact(client, manager):
    PostFactory(title="Réunion, publique; <b>", text=CITIZEN_TEXT, planned_at=NOW + timedelta(1))

    body = client.get(feed_url(manager)).content

    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == CITIZEN_TEXT
    assert str(event["SUMMARY"]).endswith("Réunion, publique; <b>")
    unfolded = body.decode().replace("\r\n ", "")
    description = next(line for line in unfolded.split("\r\n") if line.startswith("DESCRIPTION"))
    # Commas, semicolons, backslashes and newlines are escaped: nothing leaks into
    # another property, and no line of the text becomes a line of the file.
    assert "\\, jeudi\\; venez" in description
    assert "\\n<script>" in description
    assert "\\\\ fin" in description
    assert not any(line.startswith("<script>") for line in unfolded.split("\r\n"))


def test_an_unknown_token_is_not_found(client):
    assert client.get(reverse("calendar_feed", args=["not-a-token"])).status_code == 404


def test_a_deactivated_person_s_feed_is_not_found(client, manager):
    url = feed_url(manager)
    manager.is_active = False
    manager.save()

    assert client.get(url).status_code == 404


def test_the_address_is_shown_once_when_made_and_only_its_hash_is_kept(client, manager):
    client.force_login(manager)

    made = client.post(reverse("publishing_calendar_feed_reset"))

    assert made.status_code == 200
    address = made.context["feed_url"]
    token = address.removeprefix("http://testserver/calendar/").removesuffix(".ics")
    assert len(token) >= 40
    assert f'value="{address}"' in made.content.decode()
    feed = CalendarFeed.objects.get(user=manager)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not CalendarFeed.objects.filter(token_hash=token).exists()
    assert token not in client.get(reverse("publishing_calendar")).content.decode()
    assert client.get(address).status_code == 200


def test_resetting_the_address_asks_first_then_the_old_one_stops_working(client, manager):
    old = feed_url(manager)
    client.force_login(manager)
    reset = reverse("publishing_calendar_feed_reset")

    confirmation = client.get(reset)
    assert confirmation.status_code == 200
    assert client.get(old).status_code == 200  # looking at the confirmation changes nothing

    response = client.post(reset)

    assert response.status_code == 200
    new = response.context["feed_url"]
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


# -- What each role's feed holds (agendas are often synced to third-party calendars) ----


@pytest.fixture
def plan():
    """An approved publication, a published one and a draft in approval, all ahead."""
    x = SocialAccountFactory(network="x")
    scheduled = approved_post(x, "Fermeture du pont")
    publication(scheduled, x, NOW + timedelta(days=2))
    gone_out = approved_post(x, "Marché de Noël")
    publication(gone_out, x, NOW - timedelta(days=2), Publication.State.PUBLISHED)
    PostFactory(
        title="Démission du maire",
        text="Texte confidentiel du brouillon",
        planned_at=NOW + timedelta(days=5),
    )


def feed_of(client, user) -> str:
    return client.get(feed_url(user)).content.decode().replace("\r\n ", "")


@pytest.mark.parametrize(
    "role", [roles.MODERATOR, roles.ELECTED_OFFICIAL, roles.ADMINISTRATOR], ids=lambda r: r.key
)
def test_who_neither_writes_nor_approves_posts_gets_no_draft_in_the_feed(
    client, roles_people, plan, role
):
    body = feed_of(client, roles_people[role.key])

    assert "Démission du maire" not in body
    assert "Texte confidentiel du brouillon" not in body
    assert "Texte de Fermeture du pont" not in body  # approved, not yet public
    found = events(body.encode())
    assert "[X] Fermeture du pont" in found
    assert str(found["[X] Marché de Noël"]["DESCRIPTION"]) == "Texte de Marché de Noël"
    busy = [event for event in found.values() if "URL" not in event]
    assert len(busy) == 1  # the draft's slot, nothing more
    assert str(busy[0]["CLASS"]) == "PRIVATE"


@pytest.mark.parametrize(
    "role", [roles.COMMUNITY_MANAGER, roles.CRISIS_CELL, roles.DIRECTOR], ids=lambda r: r.key
)
def test_who_writes_or_approves_posts_sees_the_whole_plan(client, roles_people, plan, role):
    body = feed_of(client, roles_people[role.key])

    assert "Démission du maire" in body
    assert "Texte confidentiel du brouillon" in body
    assert "Texte de Fermeture du pont" in body


def test_addresses_made_before_hashing_keep_working_after_the_migration(client, manager):
    token = "adresse-faite-avant-le-hachage-" + "x" * 20
    # The migration renames the column first: an old row holds its token in clear there.
    CalendarFeed.objects.create(user=manager, token_hash=token)
    migration = importlib.import_module("publishing.migrations.0008_ical_token_hashed")

    migration.hash_tokens(django_apps, None)

    assert CalendarFeed.objects.get(user=manager).token_hash != token
    assert client.get(reverse("calendar_feed", args=[token])).status_code == 200
