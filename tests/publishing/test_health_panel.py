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
