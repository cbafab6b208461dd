"""Every change to a campaign is recorded (who, when, what) and visible in the admin."""

import pytest
from django.urls import reverse

from cms.models import Campaign
from tests.factories import CampaignFactory
from workflows import roles

pytestmark = pytest.mark.django_db


def test_editing_a_campaign_records_who_changed_what(client, roles_people):
    manager = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(manager)
    campaign = CampaignFactory(name="Été 2027", colour="#1f6feb")

    response = client.post(
        reverse("wagtailsnippets_cms_campaign:edit", args=[campaign.pk]),
        {
            "name": "Été au lac 2027",
            "starts_on": "2027-06-01",
            "ends_on": "2027-08-31",
            "colour": "#0a7c86",
            "editorial_line": "",
            "description": "",
        },
    )

    assert response.status_code == 302
    latest = Campaign.history.filter(id=campaign.pk).latest("history_date")
    assert latest.history_user == manager
    page = client.get(reverse("wagtailsnippets_cms_campaign:changes", args=[campaign.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Été 2027" in text and "Été au lac 2027" in text
    assert manager.get_full_name() in text


def test_a_campaign_that_ends_before_it_starts_is_refused(client, roles_people):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    response = client.post(
        reverse("wagtailsnippets_cms_campaign:add"),
        {
            "name": "À l'envers",
            "starts_on": "2027-06-01",
            "ends_on": "2027-05-01",
            "colour": "#000000",
        },
    )

    assert response.status_code == 200
    assert not Campaign.objects.exists()
    assert "01/06/2027" in response.content.decode()
