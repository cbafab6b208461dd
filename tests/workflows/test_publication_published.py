"""Once a post is on its networks, its author hears of it, with a link to the post on each
network: once for the publications planned together, when the last of them is out."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from publishing import scheduler
from publishing.models import Publication
from tests.factories import UserFactory
from tests.publishing.test_send_now import approved_post
from workflows import roles
from workflows.models import Notification
from workflows.notifications import notification_message

pytestmark = pytest.mark.django_db


def planned_together(five_accounts, networks, *, author, planner=None):
    accounts = {network: five_accounts[network] for network in networks}
    post = approved_post(accounts)
    type(post).objects.filter(pk=post.pk).update(created_by=author)
    at = timezone.now()
    return [
        Publication.objects.create(
            post=post,
            revision=post.live_revision,
            account=account,
            scheduled_at=at,
            created_by=planner,
        )
        for account in accounts.values()
    ]


def deliver(publication, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.publication_deliver(publication_id=publication.pk)
    publication.refresh_from_db()
    assert publication.state == Publication.State.PUBLISHED
    return publication


def test_the_author_is_told_once_the_last_network_has_the_post_with_a_link_to_each(
    sandbox, five_accounts, django_capture_on_commit_callbacks
):
    author = UserFactory(role=roles.COMMUNITY_MANAGER)
    x, linkedin = planned_together(five_accounts, ["x", "linkedin"], author=author)

    deliver(x, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(kind=Notification.Kind.PUBLISHED).exists()
    deliver(linkedin, django_capture_on_commit_callbacks)

    told = Notification.objects.get(kind=Notification.Kind.PUBLISHED)
    assert told.recipient == author
    assert told.post_id == x.post_id
    x.refresh_from_db()
    linkedin.refresh_from_db()
    assert x.remote_url and linkedin.remote_url
    assert {link["url"] for link in told.links} == {x.remote_url, linkedin.remote_url}
    assert x.post.title in notification_message(told)
    [email] = [m for m in mail.outbox if m.to == [author.email]]
    assert x.remote_url in email.body and linkedin.remote_url in email.body


def test_the_notifications_page_links_to_the_post_on_each_network(
    client, sandbox, five_accounts, django_capture_on_commit_callbacks
):
    author = UserFactory(role=roles.COMMUNITY_MANAGER)
    [x] = planned_together(five_accounts, ["x"], author=author)
    x = deliver(x, django_capture_on_commit_callbacks)
    client.force_login(author)

    page = client.get(reverse("workflows_notifications")).content.decode()

    assert f'href="{x.remote_url}"' in page


def test_whoever_planned_it_is_told_too_and_a_failure_is_not_called_a_success(
    sandbox, five_accounts, settings, django_capture_on_commit_callbacks
):
    settings.CRIEUR_PUBLISH_MAX_TRIES = 1
    author = UserFactory(role=roles.COMMUNITY_MANAGER)
    planner = UserFactory(role=roles.COMMUNITY_MANAGER)
    x, linkedin = planned_together(five_accounts, ["x", "linkedin"], author=author, planner=planner)
    sandbox.inject("linkedin", "server_error", times=5, method="POST")

    with django_capture_on_commit_callbacks(execute=True):
        scheduler.publication_deliver(publication_id=linkedin.pk)
    assert Publication.objects.get(pk=linkedin.pk).state == Publication.State.FAILED
    deliver(x, django_capture_on_commit_callbacks)

    told = Notification.objects.filter(kind=Notification.Kind.PUBLISHED)
    assert {n.recipient for n in told} == {author, planner}
    x.refresh_from_db()
    assert all([link["url"] for link in n.links] == [x.remote_url] for n in told)
