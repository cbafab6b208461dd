"""A publication that stops and needs a person tells whoever planned it and wrote the post."""

import pytest
from django.core import mail
from django.utils import timezone

from publishing import scheduler
from publishing.models import Publication
from tests.factories import UserFactory
from tests.publishing.test_send_now import approved_post
from workflows import roles
from workflows.models import Notification

pytestmark = pytest.mark.django_db


def scheduled(five_accounts, *, author, planner):
    post = approved_post({"x": five_accounts["x"]})
    type(post).objects.filter(pk=post.pk).update(created_by=author)
    return Publication.objects.create(
        post=post,
        revision=post.live_revision,
        account=five_accounts["x"],
        scheduled_at=timezone.now(),
        created_by=planner,
    )


def test_a_publication_that_fails_for_good_notifies_its_author_and_planner(
    sandbox, five_accounts, settings, django_capture_on_commit_callbacks
):
    settings.CRIEUR_PUBLISH_MAX_TRIES = 1
    author = UserFactory(role=roles.COMMUNITY_MANAGER)
    planner = UserFactory(role=roles.COMMUNITY_MANAGER)
    publication = scheduled(five_accounts, author=author, planner=planner)
    sandbox.inject("x", "server_error", times=5, path="/2/tweets", method="POST")

    with django_capture_on_commit_callbacks(execute=True):
        scheduler.publication_deliver(publication_id=publication.pk)

    assert Publication.objects.get(pk=publication.pk).state == Publication.State.FAILED
    notified = Notification.objects.filter(kind="publication_failed")
    assert {n.recipient for n in notified} == {author, planner}
    assert all(str(five_accounts["x"]) in n.detail for n in notified)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([author.email, planner.email])


def test_an_unconfirmed_publication_notifies_too_and_a_success_tells_of_no_failure(
    sandbox, five_accounts, django_capture_on_commit_callbacks
):
    author = UserFactory(role=roles.COMMUNITY_MANAGER)
    good = scheduled(five_accounts, author=author, planner=None)
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.publication_deliver(publication_id=good.pk)
    assert Publication.objects.get(pk=good.pk).state == Publication.State.PUBLISHED
    assert not Notification.objects.filter(kind="publication_failed").exists()

    unknown = scheduled(five_accounts, author=author, planner=None)
    sandbox.inject("x", "timeout", path="/2/tweets", method="POST")
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.publication_deliver(publication_id=unknown.pk)

    assert Publication.objects.get(pk=unknown.pk).state == Publication.State.UNCONFIRMED
    assert Notification.objects.get(kind="publication_failed").recipient == author


def test_a_publication_the_cutoff_sweep_marks_missed_notifies_too(
    five_accounts, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    author = UserFactory(role=roles.COMMUNITY_MANAGER)
    late = scheduled(five_accounts, author=author, planner=None)
    Publication.objects.filter(pk=late.pk).update(scheduled_at=timezone.now() - timedelta(hours=3))

    with django_capture_on_commit_callbacks(execute=True):
        assert scheduler.publications_mark_missed(now=timezone.now()) == 1

    assert Publication.objects.get(pk=late.pk).state == Publication.State.MISSED
    assert Notification.objects.get(kind="publication_failed").recipient == author
