"""The publishing calendar: what it shows, its filters, and moving entries on it."""

import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from wagtail.models import ModelLogEntry

from cms.models import Post, Variant
from cms.wagtail_hooks import post_edit_handler
from policies.models import Period
from publishing.calendar import calendar_entries, text_colour_on
from publishing.models import Publication
from tests.factories import CampaignFactory, PostFactory, SocialAccountFactory
from workflows import roles

pytestmark = pytest.mark.django_db
State = Publication.State
PARIS = ZoneInfo("Europe/Paris")
CALENDAR = reverse("publishing_calendar")
MOVE = reverse("publishing_calendar_move")


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2031, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def clock():
    """Monday 10 March 2031, 9:00 in Paris: March 2031 starts on a Saturday."""
    with time_machine.travel(at(10, 9), tick=False) as traveller:
        yield traveller


def approved_post(account, title, *, campaign=None) -> Post:
    post = Post(title=title, text=f"Texte de {title}", campaign=campaign, live=False)
    post.variants = [Variant(account=account)]
    post.save()
    post.save_revision().publish()  # what finishing the circuit does
    return Post.objects.get(pk=post.pk)


def publication(post, account, when, state=State.SCHEDULED) -> Publication:
    return Publication.objects.create(
        post=post, revision=post.live_revision, account=account, scheduled_at=when, state=state
    )


def cell_titles(response, day: date) -> list[str]:
    for week in response.context["weeks"]:
        for cell in week:
            if cell.date == day:
                return [entry.title for entry in cell.entries]
    raise AssertionError(f"{day} is not in the month grid")


def login(client, roles_people, role):
    client.force_login(roles_people[role.key])


@pytest.fixture
def accounts():
    return {
        "x": SocialAccountFactory(network="x", display_name="Ville sur X"),
        "facebook": SocialAccountFactory(network="facebook", display_name="Page de la ville"),
    }


def test_month_view_shows_publications_and_planned_posts_on_their_day(
    client, roles_people, accounts
):
    works = CampaignFactory(name="Travaux du pont", colour="#c0392b")
    bridge = approved_post(accounts["x"], "Fermeture du pont", campaign=works)
    publication(bridge, accounts["x"], at(12, 10))
    cancelled = approved_post(accounts["x"], "Concert annulé")
    publication(cancelled, accounts["x"], at(13), state=State.CANCELLED)
    later = approved_post(accounts["x"], "Fête de mai")
    publication(later, accounts["x"], at(20, month=5))
    PostFactory(title="Marché de nuit", planned_at=at(20, 14))
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    response = client.get(CALENDAR, {"view": "month", "date": "2031-03-01"})

    assert response.status_code == 200
    assert cell_titles(response, date(2031, 3, 12)) == ["Fermeture du pont"]
    assert cell_titles(response, date(2031, 3, 20)) == ["Marché de nuit"]
    assert cell_titles(response, date(2031, 3, 13)) == []
    content = response.content.decode()
    assert "Fête de mai" not in content
    assert "Concert annulé" not in content
    # Weeks start on Monday: the grid opens on Monday 24 February.
    assert response.context["weeks"][0][0].date == date(2031, 2, 24)
    assert "--entry-colour: #c0392b" in content
    assert 'data-testid="calendar-empty"' not in content


def test_a_post_with_a_publication_is_shown_through_its_publications_only(
    client, roles_people, accounts
):
    post = approved_post(accounts["x"], "Collecte des sapins")
    Post.objects.filter(pk=post.pk).update(planned_at=at(12, 10))
    publication(post, accounts["x"], at(12, 10))
    publication(post, accounts["facebook"], at(12, 10))

    entries = calendar_entries(start=at(1, 0), end=at(1, 0, month=4))

    assert [(e.kind, e.account_label) for e in entries] == [
        ("publication", "Ville sur X"),
        ("publication", "Page de la ville"),
    ]


def test_week_view_shows_seven_days_with_entries_sorted_by_time(client, roles_people, accounts):
    for title, hour in (("Après-midi", 15), ("Matin", 8), ("Midi", 12)):
        publication(approved_post(accounts["x"], title), accounts["x"], at(12, hour))
    publication(approved_post(accounts["x"], "Semaine suivante"), accounts["x"], at(17, 9))
    login(client, roles_people, roles.DIRECTOR)

    response = client.get(CALENDAR, {"view": "week", "date": "2031-03-12"})

    days = response.context["days"]
    assert [d.date for d in days] == [date(2031, 3, n) for n in range(10, 17)]
    wednesday = days[2]
    assert [e.title for e in wednesday.entries] == ["Matin", "Midi", "Après-midi"]
    assert "Semaine suivante" not in response.content.decode()
    with translation.override("fr"):
        assert "mercredi 12 mars".capitalize() in response.content.decode()


def test_list_view_is_paginated_by_fifty_and_searches_titles(client, roles_people, accounts):
    for number in range(55):
        PostFactory(title=f"Annonce {number:02d}", planned_at=at(11 + number % 15, 10))
    PostFactory(title="Piscine rouverte", planned_at=at(25, 11))
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    first = client.get(CALENDAR, {"view": "list", "date": "2031-03-01"})
    second = client.get(CALENDAR, {"view": "list", "date": "2031-03-01", "page": 2})
    search = client.get(CALENDAR, {"view": "list", "date": "2031-03-01", "q": "piscine"})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 6
    assert [e.title for e in search.context["page"]] == ["Piscine rouverte"]


def test_timeline_shows_campaigns_across_the_months_with_their_posts(client, roles_people):
    summer = CampaignFactory(
        name="Été au lac", starts_on=date(2031, 4, 1), ends_on=date(2031, 6, 30), colour="#fdd835"
    )
    PostFactory(campaign=summer)
    PostFactory(campaign=summer)
    CampaignFactory(name="Campagne passée", starts_on=date(2030, 1, 1), ends_on=date(2030, 2, 1))
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    response = client.get(CALENDAR, {"view": "timeline", "date": "2031-03-10"})

    bars = response.context["bars"]
    assert [item["bar"].campaign.name for item in bars] == ["Été au lac"]
    assert bars[0]["bar"].post_count == 2
    # March to August: April starts after 31 of 184 days.
    assert bars[0]["left"] == pytest.approx(100 * 31 / 184, abs=0.01)
    content = response.content.decode()
    assert "Campagne passée" not in content
    # Dark text on a yellow bar.
    assert "background: #fdd835; color: #000000" in content


def test_the_timeline_writes_its_css_numbers_with_a_dot_in_french(client, roles_people, settings):
    # « Fête du lac 2027 » was drawn under the first month: `left: 90,659%` is no CSS.
    settings.USE_THOUSAND_SEPARATOR = True
    CampaignFactory(name="Fête du lac 2027", starts_on=date(2031, 8, 10), ends_on=date(2031, 8, 20))
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    with translation.override("fr"):
        response = client.get(
            CALENDAR, {"view": "timeline", "date": "2031-03-10"}, HTTP_ACCEPT_LANGUAGE="fr"
        )

    content = response.content.decode()
    styles = re.findall(r'style="([^"]*)"', content)
    bar = next(style for style in styles if style.startswith("left:"))
    # March to August: 10 August is day 162 of 184.
    assert bar.startswith(f"left: {100 * 162 / 184:.3f}%; width: {100 * 11 / 184:.3f}%;")
    assert not [style for style in styles if re.search(r"\d,\d", style)]


def test_entry_ids_in_the_page_are_not_localised(client, roles_people, accounts, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    post = approved_post(accounts["x"], "Pont")
    scheduled = Publication.objects.create(
        pk=12345,
        post=post,
        revision=post.live_revision,
        account=accounts["x"],
        scheduled_at=at(12, 10),
    )
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    month = client.get(CALENDAR, {"date": "2031-03-01"}, HTTP_ACCEPT_LANGUAGE="fr")
    listing = client.get(CALENDAR, {"view": "list", "date": "2031-03-01"})

    for response in (month, listing):
        assert f'data-id="{scheduled.pk}"' in response.content.decode()


def test_filters_by_network_campaign_and_status(client, roles_people, accounts):
    works = CampaignFactory(name="Travaux")
    on_x = approved_post(accounts["x"], "Sur X", campaign=works)
    publication(on_x, accounts["x"], at(12))
    on_facebook = approved_post(accounts["facebook"], "Sur Facebook")
    publication(on_facebook, accounts["facebook"], at(13))
    publication(approved_post(accounts["x"], "Annulée"), accounts["x"], at(14), State.CANCELLED)
    PostFactory(title="Brouillon", planned_at=at(15))
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    def titles(**params):
        response = client.get(CALENDAR, {"view": "list", "date": "2031-03-01", **params})
        return [e.title for e in response.context["page"]]

    assert titles() == ["Sur X", "Sur Facebook", "Brouillon"]
    assert titles(network="facebook") == ["Sur Facebook"]
    assert titles(account=accounts["x"].pk) == ["Sur X"]
    assert titles(campaign=works.pk) == ["Sur X"]
    assert titles(status="cancelled") == ["Annulée"]
    assert titles(status="draft") == ["Brouillon"]
    assert titles(status="nonsense") == ["Sur X", "Sur Facebook", "Brouillon"]


def test_an_empty_month_says_how_to_plan_a_post(client, roles_people):
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    response = client.get(CALENDAR, {"date": "2031-03-01"})

    with translation.override("fr"):
        expected = gettext(
            "Nothing planned this month: plan a post from its edit page (Context tab, "
            "“Publish on”) or import a spreadsheet."
        )
    found = re.search(r'data-testid="calendar-empty">([^<]*)<', response.content.decode())
    assert found[1] == expected


def test_the_number_of_queries_does_not_grow_with_the_entries(
    client, roles_people, accounts, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    def add(count):
        for number in range(count):
            post = approved_post(accounts["x"], f"Publication {number}", campaign=campaign)
            publication(post, accounts["facebook"], at(11 + number % 15))
            draft = PostFactory(title=f"Brouillon {number}", planned_at=at(11 + number % 15))
            Variant.objects.create(post=draft, account=accounts["facebook"])
            draft.save_revision()

    def count_view_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CALENDAR, {"date": "2031-03-01"}).status_code == 200
        return len(queries)

    add(2)
    count_view_queries()  # the first request fills per-process caches (content types…)
    few = count_view_queries()
    add(20)
    many = count_view_queries()

    assert many == few
    with django_assert_max_num_queries(5):
        entries = calendar_entries(start=at(1, 0), end=at(1, 0, month=4))
        [entry.status_label for entry in entries]
    assert len(entries) == 44


def test_the_campaign_colour_keeps_the_text_readable():
    assert text_colour_on("#fdd835") == "#000000"
    assert text_colour_on("#1f3a93") == "#ffffff"


def test_the_calendar_is_in_the_menu_for_people_who_see_posts(client, roles_people):
    login(client, roles_people, roles.MODERATOR)

    response = client.get(reverse("wagtailadmin_home"))

    assert CALENDAR in response.content.decode()


# -- Moving -----------------------------------------------------------------------------


def move(client, kind, pk, day):
    return client.post(
        MOVE, json.dumps({"kind": kind, "id": pk, "date": day}), content_type="application/json"
    )


def test_dragging_a_publication_moves_it_and_keeps_its_time_and_approval(
    client, roles_people, accounts
):
    post = approved_post(accounts["x"], "Fermeture du pont")
    revision = post.live_revision
    scheduled = publication(post, accounts["x"], at(12, 10, 30))
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    response = move(client, "publication", scheduled.pk, "2031-03-14")

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["when"] == "2031-03-14T10:30:00+01:00"
    scheduled.refresh_from_db()
    assert scheduled.scheduled_at == at(14, 10, 30)
    assert scheduled.revision_id == revision.pk
    assert Post.objects.get(pk=post.pk).live_revision_id == revision.pk
    assert scheduled.history.count() == 2
    assert scheduled.history.first().history_user == roles_people[roles.COMMUNITY_MANAGER.key]
    log = ModelLogEntry.objects.get(action="publishing.reschedule", object_id=str(post.pk))
    assert log.data["to"] == "2031-03-14T10:30+01:00"
    history = client.get(reverse("wagtailsnippets_cms_post:history", args=[post.pk]))
    assert "Ville sur X (X)" in history.content.decode()
    assert "→ 14/03/2031 10:30" in history.content.decode()
    assert "bound method" not in history.content.decode()


def test_dragging_a_planned_post_moves_its_planned_time(client, roles_people):
    draft = PostFactory(title="Marché de nuit", planned_at=at(20, 14))
    login(client, roles_people, roles.CRISIS_CELL)

    response = move(client, "post", draft.pk, "2031-03-22")

    assert response.status_code == 200
    assert Post.objects.get(pk=draft.pk).planned_at == at(22, 14)
    assert ModelLogEntry.objects.filter(
        action="publishing.reschedule", object_id=str(draft.pk)
    ).exists()


def test_an_archived_post_is_off_the_calendar_and_cannot_be_moved_back_onto_it(
    client, roles_people
):
    archived = PostFactory(title="Marché de nuit", planned_at=at(20, 14))
    Post.objects.filter(pk=archived.pk).update(archived_at=at(1, 9))
    login(client, roles_people, roles.CRISIS_CELL)

    listed = client.get(CALENDAR, {"view": "month", "date": "2031-03-01"})
    response = move(client, "post", archived.pk, "2031-03-22")

    assert "Marché de nuit" not in listed.content.decode()
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert Post.objects.get(pk=archived.pk).planned_at == at(20, 14)
    assert not ModelLogEntry.objects.filter(action="publishing.reschedule").exists()


def test_dropping_into_a_blocked_period_is_refused_with_its_reason(client, roles_people, accounts):
    Period.objects.create(
        name="Réserve électorale",
        kind=Period.Kind.RESERVE,
        starts_at=at(14, 0),
        ends_at=at(16, 0),
        reason="Élections municipales : aucune communication nouvelle",
    )
    post = approved_post(accounts["x"], "Fermeture du pont")
    scheduled = publication(post, accounts["x"], at(12, 10))
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    response = move(client, "publication", scheduled.pk, "2031-03-15")

    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert "Élections municipales : aucune communication nouvelle" in response.json()["message"]
    assert "Réserve électorale" in response.json()["message"]
    scheduled.refresh_from_db()
    assert scheduled.scheduled_at == at(12, 10)
    assert scheduled.history.count() == 1
    assert not ModelLogEntry.objects.filter(action="publishing.reschedule").exists()


def test_a_published_publication_cannot_be_moved(client, roles_people, accounts):
    post = approved_post(accounts["x"], "Déjà parti")
    sent = publication(post, accounts["x"], at(12, 10), state=State.PUBLISHED)
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    page = client.get(CALENDAR, {"date": "2031-03-01"})
    response = move(client, "publication", sent.pk, "2031-03-20")

    card = re.search(rf'<article[^>]*data-id="{sent.pk}"[^>]*>', page.content.decode())[0]
    assert "draggable" not in card
    assert response.status_code == 400
    with translation.override("fr"):
        assert response.json()["message"] == gettext(
            "This publication can no longer be moved: it is %(state)s. Schedule the post "
            "again instead."
        ) % {"state": str(State.PUBLISHED.label).lower()}
    sent.refresh_from_db()
    assert sent.scheduled_at == at(12, 10)


def test_a_director_sees_the_calendar_but_cannot_move_anything(client, roles_people, accounts):
    scheduled = publication(approved_post(accounts["x"], "Pont"), accounts["x"], at(12, 10))
    login(client, roles_people, roles.DIRECTOR)

    page = client.get(CALENDAR, {"date": "2031-03-01"})
    response = move(client, "publication", scheduled.pk, "2031-03-20")

    assert page.status_code == 200
    content = page.content.decode()
    assert "Pont" in content
    assert 'draggable="true"' not in content
    assert "data-drop-target" not in content
    assert response.status_code == 403
    assert client.get(
        reverse("publishing_calendar_move_form", args=["publication", scheduled.pk])
    ).status_code in (302, 403)
    scheduled.refresh_from_db()
    assert scheduled.scheduled_at == at(12, 10)


def test_a_community_manager_gets_draggable_entries_with_a_move_link(
    client, roles_people, accounts
):
    scheduled = publication(approved_post(accounts["x"], "Pont"), accounts["x"], at(12, 10))
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    content = client.get(CALENDAR, {"date": "2031-03-01"}).content.decode()

    card = re.search(rf'<article[^>]*data-id="{scheduled.pk}"[^>]*>', content)[0]
    assert 'draggable="true"' in card
    assert reverse("publishing_calendar_move_form", args=["publication", scheduled.pk]) in content


def test_the_move_form_moves_with_the_keyboard(client, roles_people, accounts):
    scheduled = publication(approved_post(accounts["x"], "Pont"), accounts["x"], at(12, 10))
    url = reverse("publishing_calendar_move_form", args=["publication", scheduled.pk])
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    form = client.get(url)
    response = client.post(url, {"at": "2031-03-18 16:45", "next": "https://evil.example.org/"})

    assert 'value="2031-03-12 10:00"' in form.content.decode()
    assert response.status_code == 302
    assert response.url.startswith(CALENDAR)
    scheduled.refresh_from_db()
    assert scheduled.scheduled_at == at(18, 16, 45)


def test_the_move_form_uses_the_date_picker_of_the_post_editor(client, roles_people, accounts):
    scheduled = publication(approved_post(accounts["x"], "Pont"), accounts["x"], at(12, 10))
    url = reverse("publishing_calendar_move_form", args=["publication", scheduled.pk])
    editor_form = post_edit_handler().bind_to_model(Post).get_form_class()
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    response = client.get(url)

    widget = response.context["form"].fields["at"].widget
    assert type(widget) is type(editor_form.base_fields["planned_at"].widget)
    content = response.content.decode()
    assert 'type="datetime-local"' not in content
    assert 'initDateTimeChooser("id_at"' in content
    assert "wagtailadmin/js/date-time-chooser.js" in content


def test_the_move_form_keeps_the_typed_value_and_says_why_it_refused(
    client, roles_people, accounts
):
    Period.objects.create(
        name="Gel de crise", starts_at=at(18, 0), ends_at=at(19, 0), reason="Inondations"
    )
    scheduled = publication(approved_post(accounts["x"], "Pont"), accounts["x"], at(12, 10))
    url = reverse("publishing_calendar_move_form", args=["publication", scheduled.pk])
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    response = client.post(url, {"at": "2031-03-18 16:45"})

    assert response.status_code == 200
    content = response.content.decode()
    assert 'value="2031-03-18 16:45"' in content
    assert "Inondations" in content
    scheduled.refresh_from_db()
    assert scheduled.scheduled_at == at(12, 10)


def test_moving_into_the_past_is_refused(client, roles_people):
    draft = PostFactory(title="Marché", planned_at=at(20, 14))
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    response = move(client, "post", draft.pk, "2031-03-01")

    assert response.status_code == 400
    assert "2031" in response.json()["message"] or "01/03/2031" in response.json()["message"]
    assert Post.objects.get(pk=draft.pk).planned_at == at(20, 14)


def test_moving_an_unknown_entry_answers_400(client, roles_people):
    login(client, roles_people, roles.COMMUNITY_MANAGER)

    assert move(client, "publication", 999_999, "2031-03-20").status_code == 400
    assert move(client, "page", 1, "2031-03-20").status_code == 400
