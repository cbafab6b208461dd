"""The sandbox page (« Réseaux bac à sable »): what each sandbox network received."""

import re
from datetime import UTC, datetime

import pytest
import requests
import time_machine
from django.urls import reverse
from django.utils import formats, timezone, translation

from networks.models import Network
from workflows import roles

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def echo(sandbox):
    """A route of every network that answers what it got: send(network, ...) calls it."""

    @sandbox.route(lambda request, values: values["network"], "/_echo/<network>", ("GET", "POST"))
    def echo_route(request, network):
        return 201, {"echo": request.get_json(silent=True), "query": request.args.to_dict()}

    def send(network, method="POST", **kwargs):
        return requests.request(method, f"{sandbox.url}/_echo/{network}", timeout=5, **kwargs)

    return send


@pytest.fixture
def admin(client, roles_people):
    client.force_login(roles_people[roles.ADMINISTRATOR.key])
    return client


def rows(content: str) -> list[str]:
    """The networks of the table's rows, top to bottom."""
    return re.findall(r'<tr data-network="([a-z]+)">', content)


def test_the_sandbox_page_shows_what_each_network_received_escaped(admin, sandbox):
    @sandbox.route("x", "/x/2/echo", ("POST",))
    def echo(request):
        return 201, {"data": {"id": "1", "text": request.get_json()["text"]}}

    requests.post(f"{sandbox.url}/x/2/echo", params={"q": SCRIPT}, json={"text": SCRIPT}, timeout=5)

    response = admin.get(reverse("networks_sandbox"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "POST /x/2/echo" in content
    # The body, the answer and the query string: each escaped, none as markup.
    assert content.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3
    assert "<script>alert(1)" not in content


def test_the_sandbox_page_says_how_to_start_the_sandbox_when_it_is_down(admin, settings):
    settings.CRIEUR_SANDBOX_URL = "http://127.0.0.1:9"

    with translation.override("fr"):
        response = admin.get(reverse("networks_sandbox"))

    assert "bin/demo" in response.content.decode()


@time_machine.travel(datetime(2026, 7, 14, 13, 30, 5, 123456, tzinfo=UTC), tick=False)
def test_times_are_shown_in_the_local_time_zone_without_microseconds(admin, echo, settings):
    settings.TIME_ZONE = "Europe/Paris"
    echo("x", json={"text": "Bonjour"})

    response = admin.get(reverse("networks_sandbox"))

    content = response.content.decode()
    at = datetime(2026, 7, 14, 13, 30, 5, 123456, tzinfo=UTC)
    with translation.override("fr"), timezone.override("Europe/Paris"):
        day = formats.date_format(timezone.localtime(at), "DATE_FORMAT")
    assert f"{day} 15:30:05" in content  # 13:30 UTC is 15:30 in Paris in July
    assert 'datetime="2026-07-14T15:30:05+02:00"' in content
    assert "13:30:05" not in content
    assert "123456" not in content


def test_networks_are_named_and_can_be_filtered(admin, echo):
    echo("facebook", json={"message": "Bonjour"})
    echo("linkedin", json={"commentary": "Bonjour"})

    with translation.override("fr"):
        everything = admin.get(reverse("networks_sandbox")).content.decode()
        facebook_only = admin.get(reverse("networks_sandbox"), {"network": "facebook"})
        label = str(Network.FACEBOOK.label)

    assert rows(everything) == ["linkedin", "facebook"]  # newest first
    assert re.search(rf'<tr data-network="facebook">\s*<td><strong>{label}</strong>', everything)
    assert f'<option value="facebook" >{label}</option>' in everything
    assert rows(facebook_only.content.decode()) == ["facebook"]


def test_a_query_string_reads_as_pairs_with_its_secrets_hidden(admin, echo):
    echo(
        "facebook",
        method="GET",
        params={"fields": "id,message", "access_token": "sandbox-meta-token-123"},
    )

    response = admin.get(reverse("networks_sandbox"), {"all": "1"})

    content = response.content.decode()
    assert "GET /_echo/facebook" in content
    assert "<dt><code>fields</code> =</dt> <dd>id,message</dd>" in content
    assert "<dt><code>access_token</code> =</dt> <dd>[redacted]</dd>" in content
    assert "sandbox-meta-token-123" not in content  # nor in the answer, which echoes it
    assert "{&#x27;fields&#x27;" not in content  # no Python dict


def test_reads_are_shown_only_when_asked(admin, echo):
    echo("x", method="GET")
    echo("x", json={"text": "Bonjour"})

    writes = admin.get(reverse("networks_sandbox")).content.decode()
    everything = admin.get(reverse("networks_sandbox"), {"all": "1"}).content.decode()

    assert writes.count("GET /_echo/x") == 0
    assert everything.count("GET /_echo/x") == 1
    assert len(rows(writes)) == 1
    assert len(rows(everything)) == 2


def test_the_page_shows_fifty_requests_at_a_time_newest_first(admin, echo):
    for number in range(60):
        echo("x", json={"text": f"message {number}"})

    first = admin.get(reverse("networks_sandbox")).content.decode()
    second = admin.get(reverse("networks_sandbox"), {"p": "2"}).content.decode()

    assert len(rows(first)) == 50
    assert "message 59&quot;" in first
    assert "message 9&quot;" not in first
    assert len(rows(second)) == 10
    assert "message 9&quot;" in second
    assert "message 0&quot;" in second


def test_the_page_says_how_many_requests_per_network_are_kept(admin, echo, sandbox):
    echo("x", json={"text": "Bonjour"})

    response = admin.get(reverse("networks_sandbox"))

    assert response.context["keep"] == sandbox.keep == 500
    assert re.search(r'data-testid="sandbox-keep">[^<]*\b500\b', response.content.decode())
