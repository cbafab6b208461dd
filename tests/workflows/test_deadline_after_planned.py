"""A round whose deadline falls after the post's planned time: an approval that late does
not publish late (the post waits for a new date), so the author and the approvers are
warned: at submit, in the round's notification, and on the dashboard."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from cms.models import Post
from cms.words import date_words
from tests.factories import PostFactory
from tests.forms import post_form_data
from workflows import roles
from workflows.models import Notification, RoleRound
from workflows.notifications import notification_message

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 30, 9, 0))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def director_has_48_hours():
    RoleRound.objects.filter(name=roles.DIRECTOR_ROUND.name).update(deadline_hours=48)


@pytest.fixture
def author(roles_people):
    return roles_people[roles.COMMUNITY_MANAGER.key]


@pytest.fixture
def director(roles_people):
    return roles_people[roles.DIRECTOR.key]


def submit(client, author, *, planned_in):
    """The author submits a post planned `planned_in` from now from the editor."""
    planned = NOW + planned_in
    post = PostFactory(created_by=author, planned_at=planned)
    post.save_revision(user=author)
    client.force_login(author)
    response = client.post(
        reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
        post_form_data(
            title=post.title,
            text=post.text,
            planned_at=timezone.localtime(planned).strftime("%Y-%m-%d %H:%M"),
            **{"action-submit": "1"},
        ),
    )
    assert response.status_code == 302
    post = Post.objects.get(pk=post.pk)
    assert post.planned_at == planned
    assert post.current_workflow_task.name == roles.DIRECTOR_ROUND.name
    return post, [str(m) for m in get_messages(response.wsgi_request)]


def warning_for(post):
    return gettext(
        "“%(post)s” is planned for %(planned)s, but the round “%(round)s” may last until "
        "%(deadline)s. If the approval comes later, the post waits for a new date: ask "
        "the approvers to decide before, or plan it later."
    ) % {
        "post": post.title,
        "planned": date_words(post.planned_at),
        "round": roles.DIRECTOR_ROUND.name,
        "deadline": date_words(NOW + timedelta(hours=48)),
    }


def test_the_author_is_warned_at_submit_when_the_deadline_falls_after_the_planned_time(
    client, author
):
    post, shown = submit(client, author, planned_in=timedelta(hours=24))

    assert warning_for(post) in shown


def test_no_warning_when_the_round_ends_before_the_planned_time(client, author, director):
    post, shown = submit(client, author, planned_in=timedelta(days=5))

    assert warning_for(post) not in shown
    assert not Notification.objects.filter(kind=Notification.Kind.ROUND_AFTER_PLANNED).exists()
    submitted = Notification.objects.get(kind=Notification.Kind.SUBMITTED, recipient=director)
    assert "planned publication time" not in notification_message(submitted)


def test_the_approvers_read_it_in_the_round_s_notification_and_the_author_is_notified(
    client, author, director
):
    post, _shown = submit(client, author, planned_in=timedelta(hours=24))

    submitted = Notification.objects.get(kind=Notification.Kind.SUBMITTED, recipient=director)
    assert gettext(
        "This deadline falls after the planned publication time (%(planned)s): "
        "decide before then, or the post waits for a new date."
    ) % {"planned": date_words(post.planned_at)} in notification_message(submitted)
    late = Notification.objects.get(kind=Notification.Kind.ROUND_AFTER_PLANNED)
    assert late.recipient == author
    assert date_words(NOW + timedelta(hours=48)) in notification_message(late)


def test_the_dashboards_show_the_round_that_ends_after_the_planned_time(client, author, director):
    late, _shown = submit(client, author, planned_in=timedelta(hours=24))
    in_time, _shown = submit(client, author, planned_in=timedelta(days=5))

    client.force_login(director)
    desk = client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(author)
    own = client.get(reverse("wagtailadmin_home")).content.decode()

    flagged = set(re.findall(r'<tr data-post="(\d+)"[^>]*data-after-planned="true"', desk))
    assert flagged == {str(late.pk)}
    assert 'id="approval-after-planned' in own
    panel = own.partition('id="approval-after-planned-section"')[2].partition("</table>")[0]
    listed = set(re.findall(r'<tr data-post="(\d+)"', panel))
    assert str(late.pk) in listed and str(in_time.pk) not in listed


def test_the_author_s_dashboard_has_no_such_panel_when_every_round_ends_in_time(client, author):
    submit(client, author, planned_in=timedelta(days=5))

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert 'id="approval-after-planned' not in page
