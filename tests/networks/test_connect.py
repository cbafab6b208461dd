"""Administrators connect accounts through each network's OAuth flow, here the sandbox's."""

from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.db import connection
from django.urls import reverse
from django.utils import translation

from networks.models import SocialAccount
from workflows import roles

pytestmark = pytest.mark.django_db


class ConsentForm(HTMLParser):
    """The consent page's form: where it posts and its fields."""

    def __init__(self):
        super().__init__()
        self.action, self.method, self.fields = None, "get", {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action, self.method = attrs.get("action", ""), attrs.get("method", "get")
        if tag in ("input", "button") and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")


def consent(authorize_url: str) -> str:
    """Open the network's authorization page, click « Autoriser »; return the redirect."""
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200
    assert "Autoriser" in page.text
    form = ConsentForm()
    form.feed(page.text)
    target = urljoin(authorize_url, form.action or authorize_url)
    if form.method.lower() == "post":
        answer = requests.post(target, data=form.fields, allow_redirects=False, timeout=5)
    else:
        answer = requests.get(target, params=form.fields, allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303)
    return answer.headers["Location"]


@pytest.mark.parametrize(
    ("provider", "networks"),
    [("x", {"x"}), ("meta", {"facebook", "instagram"}), ("linkedin", {"linkedin"})],
)
def test_an_administrator_connects_accounts_through_the_oauth_flow(
    client, roles_people, sandbox, provider, networks
):
    client.force_login(roles_people[roles.ADMINISTRATOR.key])

    start = client.get(reverse("networks_connect_start", args=[provider]))
    assert start.status_code == 302 and start.url.startswith(sandbox.url)
    back = urlsplit(consent(start.url))
    done = client.get(f"{back.path}?{back.query}")

    assert done.status_code == 302
    assert done.url == reverse("wagtailsnippets_networks_socialaccount:list")
    accounts = SocialAccount.objects.filter(network__in=networks)
    assert {a.network for a in accounts} == networks
    for account in accounts:
        assert account.status == SocialAccount.Status.CONNECTED
        assert account.credentials["access_token"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT credentials FROM networks_socialaccount WHERE id = %s", [account.pk]
            )
            raw = cursor.fetchone()[0]
        assert account.credentials["access_token"] not in raw


def test_a_callback_with_a_forged_state_connects_nothing(client, roles_people, sandbox):
    client.force_login(roles_people[roles.ADMINISTRATOR.key])
    client.get(reverse("networks_connect_start", args=["x"]))

    with translation.override("fr"):
        response = client.get(
            reverse("networks_connect_callback", args=["x"]) + "?code=abc&state=forged",
            follow=True,
        )

    assert "recommencez la connexion" in unescape(response.content.decode())
    assert not SocialAccount.objects.exists()
    assert sandbox.requests_to("x", path="oauth2/token") == []


def test_a_refused_authorization_says_so(client, roles_people, sandbox):
    client.force_login(roles_people[roles.ADMINISTRATOR.key])
    client.get(reverse("networks_connect_start", args=["linkedin"]))

    with translation.override("fr"):
        response = client.get(
            reverse("networks_connect_callback", args=["linkedin"])
            + "?error=user_cancelled_authorize&error_description=annulé",
            follow=True,
        )

    assert "aucun compte n'a été connecté" in unescape(response.content.decode())
    assert not SocialAccount.objects.exists()


def test_community_managers_cannot_connect_accounts(client, roles_people, sandbox):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    response = client.get(reverse("networks_connect_start", args=["x"]))

    assert response.status_code == 302
    assert not response.url.startswith(sandbox.url)
