"""The team's notifications: in the admin with an unread count, and by e-mail if wanted."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext
from wagtail.users.models import UserProfile

from tests.factories import PostFactory, UserFactory
from tests.workflows.test_circuits import act, new_post, submit
from workflows import roles
from workflows.models import Notification, NotificationPreference
from workflows.notification_hooks import notifications_menu_item
from workflows.notifications import (
    notification_message,
    notification_read,
    notification_subject,
    notify,
    unread_count,
)

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
SCRIPT = "<script>alert(1)</script>"


def people(*users):
    return get_user_model().objects.filter(pk__in=[user.pk for user in users])


def html_part(message) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def ticked(response) -> set[str]:
    """The kinds ticked on the e-mail choices page."""
    inputs = re.findall(r'<input[^>]*name="email_kinds"[^>]*>', response.content.decode())
    assert len(inputs) == len(Kind.values)
    return {re.search(r'value="([^"]+)"', tag).group(1) for tag in inputs if " checked" in tag}


def sidebar_item(response, name):
    """The main menu item `name` as the admin's sidebar receives it (JSON props)."""
    found = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "no sidebar on this page"

    def walk(node):
        if isinstance(node, dict):
            if node.get("name") == name and "label" in node:
                return node
            nodes = node.values()
        elif isinstance(node, list):
            nodes = node
        else:
            return None
        for child in nodes:
            if (item := walk(child)) is not None:
                return item
        return None

    return walk(json.loads(found.group(1)))


@pytest.fixture
def manager(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


# -- Who is notified, and who by e-mail -------------------------------------------------


def test_notify_makes_one_notification_each_and_emails_only_who_wants_it(
    django_capture_on_commit_callbacks,
):
    wants = UserFactory()
    turned_off = UserFactory()
    NotificationPreference.objects.create(user=turned_off, email_off=[Kind.SUBMITTED])
    no_address = UserFactory(email="")
    post = PostFactory()

    with django_capture_on_commit_callbacks(execute=True):
        made = notify(
            kind=Kind.SUBMITTED,
            recipients=people(wants, turned_off, no_address),
            post=post,
            actor="Camille Martin",
            round_name="Validation par la direction",
        )

    assert len(made) == 3
    assert set(Notification.objects.values_list("recipient", flat=True)) == {
        wants.pk,
        turned_off.pk,
        no_address.pk,
    }
    assert [message.to for message in mail.outbox] == [[wants.email]]


def test_a_kind_turned_off_still_reaches_the_admin_but_not_the_inbox(
    settings, django_capture_on_commit_callbacks
):
    person = UserFactory()
    NotificationPreference.objects.create(user=person, email_off=[Kind.REMINDER])

    with django_capture_on_commit_callbacks(execute=True):
        notify(kind=Kind.REMINDER, recipients=people(person), post=PostFactory(), detail="x")
        notify(kind=Kind.APPROVED, recipients=people(person), post=PostFactory())

    assert Notification.objects.filter(recipient=person).count() == 2
    assert len(mail.outbox) == 1
    with translation.override("fr"):
        assert mail.outbox[0].subject.startswith(
            f"[{settings.WAGTAIL_SITE_NAME}] {Kind.APPROVED.label}"
        )


def test_no_email_leaves_before_the_transaction_commits(django_capture_on_commit_callbacks):
    person = UserFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(kind=Kind.APPROVED, recipients=people(person), post=PostFactory())
        assert mail.outbox == []

    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [[person.email]]


def test_nothing_is_emailed_when_the_transaction_never_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(kind=Kind.APPROVED, recipients=people(UserFactory()), post=PostFactory())

    assert len(callbacks) == 1
    assert mail.outbox == []


def test_a_request_for_changes_emails_the_author_with_the_comment(
    client, roles_people, django_capture_on_commit_callbacks
):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    director = roles_people[roles.DIRECTOR.key]
    post = new_post(author)
    submit(client, post, author)
    mail.outbox.clear()
    comment = "Précisez les horaires <b>svp</b> & merci."

    with django_capture_on_commit_callbacks(execute=True):
        act(client, director, post, "reject", comment)

    assert [message.to for message in mail.outbox] == [[author.email]]
    [email] = mail.outbox
    assert comment in email.body
    assert escape(comment) in html_part(email)
    assert comment not in html_part(email)
    notification = Notification.objects.get(recipient=author, kind=Kind.CHANGES_REQUESTED)
    assert notification.comment == comment
    with translation.override("fr"):
        assert notification_message(notification) in email.body


def test_a_submission_emails_the_approvers_of_the_round(
    client, roles_people, django_capture_on_commit_callbacks
):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    director = roles_people[roles.DIRECTOR.key]
    post = new_post(author)

    with django_capture_on_commit_callbacks(execute=True):
        submit(client, post, author)

    assert [message.to for message in mail.outbox] == [[director.email]]
    notification = Notification.objects.select_related("post").get(recipient=director)
    assert notification.kind == Kind.SUBMITTED
    with translation.override("fr"):
        assert notification_message(notification) in mail.outbox[0].body


def test_the_email_names_the_post_and_links_to_it_in_the_admin(
    settings, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_SITE_NAME = "Ville de Bourg-sur-Lac"
    person = UserFactory()
    post = PostFactory(title="Fête du lac")

    with django_capture_on_commit_callbacks(execute=True):
        [notification] = notify(
            kind=Kind.SUBMITTED,
            recipients=people(person),
            post=post,
            actor="Camille Martin",
            round_name="Validation par la direction",
            detail="12/06/2025 18:00",
        )

    [email] = mail.outbox
    link = "http://testserver" + reverse("wagtailsnippets_cms_post:edit", args=[post.pk])
    assert email.subject.startswith("[Ville de Bourg-sur-Lac] ")
    assert link in email.body
    assert f'href="{link}"' in html_part(email)
    notification = Notification.objects.select_related("post").get(pk=notification.pk)
    with translation.override("fr"):
        assert email.subject == notification_subject(notification)
        assert notification_message(notification) in email.body
        assert escape(notification_message(notification)) in html_part(email)
    assert "12/06/2025 18:00" in email.body


def test_the_email_is_written_in_the_recipients_language(django_capture_on_commit_callbacks):
    english = UserFactory()
    UserProfile.objects.create(user=english, preferred_language="en")
    french = UserFactory()  # no profile: the site's language, French

    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        notify(
            kind=Kind.REMINDER,
            recipients=people(english, french),
            post=PostFactory(),
            round_name="Validation par la direction",
            detail="12/06/2025 18:00",
        )

    by_address = {message.to[0]: message for message in mail.outbox}
    for person, language in ((english, "en"), (french, "fr")):
        notification = Notification.objects.select_related("post").get(recipient=person)
        with translation.override(language):
            assert by_address[person.email].subject == notification_subject(notification)
            assert by_address[person.email].body.startswith(notification_message(notification))
            assert gettext("Open it in the admin") in by_address[person.email].body


def test_the_html_email_escapes_a_post_title(django_capture_on_commit_callbacks):
    person = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notify(kind=Kind.APPROVED, recipients=people(person), post=PostFactory(title=SCRIPT))

    [email] = mail.outbox
    assert SCRIPT not in html_part(email)
    assert escape(SCRIPT) in html_part(email)
    assert SCRIPT in email.body  # plain text is not HTML: the title stays as written


def test_every_kind_is_put_into_its_own_words():
    post = PostFactory(title="Fête du lac")
    person = UserFactory()
    with translation.override("fr"):
        messages = {
            kind: notification_message(
                Notification(
                    recipient=person,
                    kind=kind,
                    post=post,
                    actor="Camille Martin",
                    round_name="Validation",
                    detail="Ville de Bourg (X) — refusé",
                )
            )
            for kind in Kind.values
        }

    assert all("Fête du lac" in message for message in messages.values())
    assert len(set(messages.values())) == len(Kind.values)


# -- The admin: the list, the menu, reading ---------------------------------------------


def test_the_menu_shows_the_unread_count_and_it_drops_after_opening(client, manager):
    post = PostFactory()
    [first] = notify(kind=Kind.APPROVED, recipients=people(manager), post=post)
    notify(kind=Kind.REMINDER, recipients=people(manager), post=post, round_name="Validation")
    other = UserFactory(role=roles.DIRECTOR)
    notify(kind=Kind.SUBMITTED, recipients=people(other), post=post, round_name="Validation")
    client.force_login(manager)

    home = client.get(reverse("wagtailadmin_home"))
    with translation.override("fr"):
        assert sidebar_item(home, "notifications")["label"] == gettext(
            "Notifications (%(count)s)"
        ) % {"count": 2}

    opened = client.get(reverse("workflows_notification_open", args=[first.pk]))
    assert opened.status_code == 302
    assert opened["Location"] == reverse("wagtailsnippets_cms_post:edit", args=[post.pk])

    home = client.get(reverse("wagtailadmin_home"))
    with translation.override("fr"):
        assert sidebar_item(home, "notifications")["label"] == gettext(
            "Notifications (%(count)s)"
        ) % {"count": 1}
    assert unread_count(user=manager) == 1
    assert unread_count(user=other) == 1


def test_the_menu_counts_in_one_query(rf, manager, django_assert_num_queries):
    notify(kind=Kind.APPROVED, recipients=people(manager), post=PostFactory())
    request = rf.get("/")
    request.user = manager
    item = notifications_menu_item()

    with django_assert_num_queries(1):
        component = item.render_component(request)

    with translation.override("fr"):
        assert component.label == gettext("Notifications (%(count)s)") % {"count": 1}


def test_the_list_shows_my_notifications_newest_first_the_unread_marked(client, manager):
    post = PostFactory(title=SCRIPT)
    [older] = notify(
        kind=Kind.CHANGES_REQUESTED,
        recipients=people(manager),
        post=post,
        actor="Dominique Durand",
        round_name="Validation par la direction",
        comment="Trop long <i>vraiment</i>.",
    )
    [newer] = notify(kind=Kind.APPROVED, recipients=people(manager), post=post, round_name="S")
    Notification.objects.filter(pk=newer.pk).update(read_at=timezone.now())
    notify(kind=Kind.APPROVED, recipients=people(UserFactory()), post=PostFactory(title="Autre"))
    client.force_login(manager)

    response = client.get(reverse("workflows_notifications"))

    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html
    assert [item["notification"].pk for item in response.context["items"]] == [newer.pk, older.pk]
    older, newer = (
        Notification.objects.select_related("post").get(pk=pk) for pk in (older.pk, newer.pk)
    )
    with translation.override("fr"):
        assert escape(notification_message(older)) in html
        assert escape(notification_message(newer)) in html
        assert gettext("Unread") in html
        assert gettext("Mark all as read") in html
    assert escape("Trop long <i>vraiment</i>.") in html
    assert "Autre" not in html
    assert html.count("data-unread>") == 1
    assert reverse("workflows_notification_open", args=[older.pk]) in html


def test_the_list_is_paginated_in_a_bounded_number_of_queries(
    client, manager, django_assert_max_num_queries
):
    for number in range(30):
        notify(
            kind=Kind.SUBMITTED,
            recipients=people(manager),
            post=PostFactory(title=f"Post n° {number}"),
            round_name="Validation",
        )
    client.force_login(manager)
    client.get(reverse("workflows_notifications"))  # session and profile are warm

    with django_assert_max_num_queries(12):
        first = client.get(reverse("workflows_notifications"))
    with django_assert_max_num_queries(12):
        second = client.get(reverse("workflows_notifications"), {"p": 2})

    assert len(first.context["items"]) == 25
    assert len(second.context["items"]) == 5
    assert "Post n° 29" in first.content.decode()
    assert "Post n° 0" in second.content.decode()


def test_the_empty_list_says_what_will_appear_there(client, manager):
    client.force_login(manager)

    response = client.get(reverse("workflows_notifications"))

    html = response.content.decode()
    assert 'data-testid="notifications-empty"' in html
    with translation.override("fr"):
        assert gettext("Mark all as read") not in html
    assert response.context["items"] == []


def test_mark_all_as_read(client, manager):
    post = PostFactory()
    for kind in (Kind.APPROVED, Kind.REMINDER, Kind.PUBLICATION_FAILED):
        notify(kind=kind, recipients=people(manager), post=post)
    someone = UserFactory()
    notify(kind=Kind.APPROVED, recipients=people(someone), post=post)
    client.force_login(manager)

    response = client.post(reverse("workflows_notifications_read_all"))

    assert response.status_code == 302
    assert response["Location"] == reverse("workflows_notifications")
    assert unread_count(user=manager) == 0
    assert unread_count(user=someone) == 1
    with translation.override("fr"):
        expected = ngettext(
            "%(count)s notification marked as read.",
            "%(count)s notifications marked as read.",
            3,
        ) % {"count": 3}
    assert [str(message) for message in get_messages(response.wsgi_request)] == [expected]


def test_mark_all_as_read_needs_a_post(client, manager):
    notify(kind=Kind.APPROVED, recipients=people(manager), post=PostFactory())
    client.force_login(manager)

    response = client.get(reverse("workflows_notifications_read_all"))

    assert response.status_code == 405
    assert unread_count(user=manager) == 1


def test_another_person_cannot_open_my_notification(client, manager, roles_people):
    [mine] = notify(kind=Kind.APPROVED, recipients=people(manager), post=PostFactory())
    client.force_login(roles_people[roles.DIRECTOR.key])

    response = client.get(reverse("workflows_notification_open", args=[mine.pk]))

    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None


def test_only_the_recipient_marks_a_notification_read(manager, roles_people):
    [mine] = notify(kind=Kind.APPROVED, recipients=people(manager), post=PostFactory())

    with pytest.raises(PermissionDenied):
        notification_read(notification=mine, by=roles_people[roles.DIRECTOR.key])

    assert unread_count(user=manager) == 1


def test_a_notification_without_a_post_opens_the_list(client, manager):
    [notification] = notify(kind=Kind.PUBLICATION_FAILED, recipients=people(manager))
    client.force_login(manager)

    response = client.get(reverse("workflows_notification_open", args=[notification.pk]))

    assert response["Location"] == reverse("workflows_notifications")
    notification.refresh_from_db()
    assert notification.read_at is not None


# -- Choosing what comes by e-mail ------------------------------------------------------


def test_every_kind_comes_by_email_until_turned_off(client, manager):
    client.force_login(manager)

    response = client.get(reverse("workflows_notification_preferences"))

    assert response.status_code == 200
    assert ticked(response) == set(Kind.values)


def test_the_preferences_page_saves_and_says_so(
    client, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    response = client.post(
        reverse("workflows_notification_preferences"),
        {"email_kinds": [Kind.SUBMITTED, Kind.PUBLICATION_FAILED]},
        follow=True,
    )

    assert response.status_code == 200
    preference = NotificationPreference.objects.get(user=manager)
    assert set(preference.email_off) == set(Kind.values) - {
        Kind.SUBMITTED,
        Kind.PUBLICATION_FAILED,
    }
    with translation.override("fr"):
        assert [str(m) for m in response.context["messages"]] == [
            gettext("Your choices of e-mails are saved.")
        ]
    assert ticked(response) == {Kind.SUBMITTED, Kind.PUBLICATION_FAILED}

    with django_capture_on_commit_callbacks(execute=True):
        notify(kind=Kind.APPROVED, recipients=people(manager), post=PostFactory())
        notify(kind=Kind.PUBLICATION_FAILED, recipients=people(manager), post=PostFactory())
    assert len(mail.outbox) == 1


def test_turning_everything_off_is_saved_too(client, manager):
    client.force_login(manager)

    client.post(reverse("workflows_notification_preferences"), {})

    assert set(NotificationPreference.objects.get(user=manager).email_off) == set(Kind.values)


def test_the_preferences_are_reachable_from_the_list_and_the_account_page(client, manager):
    client.force_login(manager)
    target = reverse("workflows_notification_preferences")

    listing = client.get(reverse("workflows_notifications"))
    account = client.get(reverse("wagtailadmin_account"))

    assert f'href="{target}"' in listing.content.decode()
    assert f'href="{target}"' in account.content.decode()
