"""The dashboard tells whether the scheduler is running."""

import pytest
import time_machine
from django.urls import reverse

from publishing.services import heartbeat_record
from workflows import roles

pytestmark = pytest.mark.django_db


def test_dashboard_says_when_the_scheduler_never_ran_runs_and_stopped(client, roles_people):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])
    home = reverse("wagtailadmin_home")

    assert "n'a jamais tourné" in client.get(home).content.decode()

    with time_machine.travel("2026-11-22 10:00 +0000", tick=False):
        heartbeat_record()
        assert 'data-testid="scheduler-alive"' in client.get(home).content.decode()

    with time_machine.travel("2026-11-22 10:30 +0000", tick=False):
        page = client.get(home).content.decode()
    assert "ne bat plus depuis" in page


def _publication(state, *, account=None, error=""):
    from datetime import timedelta

    from django.utils import timezone

    from publishing.models import Publication
    from tests.factories import SocialAccountFactory
    from tests.publishing.test_send_now import approved_post

    account = account or SocialAccountFactory(network="x")
    post = approved_post({"x": account})
    return Publication.objects.create(
        post=post,
        revision=post.live_revision,
        account=account,
        scheduled_at=timezone.now() - timedelta(minutes=5),
        state=state,
        error=error,
    )


def test_dashboard_lists_what_waits_for_a_person_and_work_not_picked_up(
    client, roles_people, django_assert_max_num_queries
):
    from publishing.models import Publication

    heartbeat_record()
    _publication(Publication.State.FAILED, error="<script>alert(1)</script> refusé")
    _publication(Publication.State.UNCONFIRMED)
    _publication(Publication.State.SCHEDULED)  # due five minutes ago, nobody took it
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert 'data-testid="not-picked-up"' in page
    assert "2 publications attendent une personne" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; refusé" in page
    assert "Vérifier, puis réessayer" in page  # the unconfirmed one is checked first
    for _ in range(5):
        _publication(Publication.State.MISSED)
    with django_assert_max_num_queries(60):
        client.get(reverse("wagtailadmin_home"))


def test_a_director_sees_the_failures_without_the_buttons(client, roles_people):
    from publishing.models import Publication

    _publication(Publication.State.FAILED, error="Refusé par le réseau")
    client.force_login(roles_people[roles.DIRECTOR.key])

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Refusé par le réseau" in page
    assert "Réessayer" not in page


def test_retry_from_the_dashboard_sends_a_failed_publication_again(
    client, roles_people, sandbox, django_capture_on_commit_callbacks
):
    from publishing.models import Publication

    publication = _publication(Publication.State.FAILED, error="Panne")
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("publishing_publication_retry", args=[publication.pk]))

    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.state == Publication.State.SCHEDULED
    assert publication.error == ""
    from publishing.scheduler import publication_deliver

    publication_deliver(publication_id=publication.pk)
    assert Publication.objects.get(pk=publication.pk).state == Publication.State.PUBLISHED


def test_cancel_asks_for_confirmation_first(client, roles_people):
    from publishing.models import Publication

    publication = _publication(Publication.State.UNCONFIRMED)
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])
    url = reverse("publishing_publication_cancel", args=[publication.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert Publication.objects.get(pk=publication.pk).state == Publication.State.UNCONFIRMED

    client.post(url)
    publication.refresh_from_db()
    assert publication.state == Publication.State.CANCELLED
    assert publication.history.first().history_user == roles_people["community_manager"]


def test_a_moderator_cannot_retry_or_cancel(client, roles_people):
    from publishing.models import Publication

    publication = _publication(Publication.State.FAILED)
    client.force_login(roles_people[roles.MODERATOR.key])

    client.post(reverse("publishing_publication_retry", args=[publication.pk]))
    client.post(reverse("publishing_publication_cancel", args=[publication.pk]))

    assert Publication.objects.get(pk=publication.pk).state == Publication.State.FAILED


def test_the_retry_button_carries_the_csrf_token_a_browser_needs(roles_people):
    import re

    from django.test import Client

    from publishing.models import Publication

    publication = _publication(Publication.State.FAILED, error="Panne")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    home = browser.get(reverse("wagtailadmin_home")).content.decode()
    retry = reverse("publishing_publication_retry", args=[publication.pk])
    form = re.search(rf'<form[^>]*action="{retry}".*?</form>', home, re.S).group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    response = browser.post(retry, {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
