"""Every answer carries the Content-Security-Policy; only signed-in admin pages allow
Wagtail's inline scripts."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from workflows import roles

pytestmark = pytest.mark.django_db


def script_rule(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if "script-src" in part)


def test_the_sign_in_page_allows_scripts_from_this_site_only(client):
    response = client.get(reverse("wagtailadmin_login"))

    assert script_rule(response) == "script-src 'self'"
    assert "object-src 'none'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_the_approvers_link_pages_allow_no_inline_script(client):
    response = client.get("/approve/not-a-valid-token/")

    assert script_rule(response) == "script-src 'self'"


def test_the_signed_in_editor_allows_wagtails_inline_scripts_from_this_site(client):
    client.force_login(UserFactory(role=roles.COMMUNITY_MANAGER))

    response = client.get(reverse("wagtailsnippets_cms_post:add"))

    assert script_rule(response) == "script-src 'self' 'unsafe-inline'"
