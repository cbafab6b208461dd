"""The sandbox core and the transport that sends the SDKs' hosts to it."""

from datetime import UTC, datetime

import pytest
import requests
import time_machine

import networks
from networks import transport
from networks.base import Duplicate, Transient, Unconfirmed
from networks.sandbox.core import Received, ReceivedLog, Sandbox
from tests.factories import SocialAccountFactory, outgoing_for


def test_the_transport_sends_an_sdk_host_to_the_sandbox(sandbox):
    session = transport.requests_session("x_api")

    answer = session.get("https://api.twitter.com/_nowhere")

    # The sandbox answered (not the internet): its JSON says it has no such route.
    assert answer.status_code == 404
    assert "sandbox" in answer.json()["error"]


def test_the_control_api_injects_a_fault_and_lists_what_was_received(sandbox):
    answer = requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"network": "x", "kind": "server_error", "times": 2},
        timeout=5,
    )

    assert answer.status_code == 201
    assert [f.kind for f in sandbox.faults] == ["server_error"]
    assert requests.get(f"{sandbox.url}/_sandbox/received", timeout=5).json() == {
        "received": [],
        "keep": 500,
        "forgotten": 0,
    }


def test_a_fault_is_consumed_once_per_request(sandbox):
    sandbox.inject("x", "server_error", times=1, path="/2/tweets")

    class Req:
        path = "/2/tweets"
        method = "POST"

    assert sandbox.take_fault("x", Req) == "server_error"
    assert sandbox.take_fault("x", Req) == ""


def test_a_refused_connection_is_transient(settings):
    settings.CRIEUR_SANDBOX_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    session = transport.requests_session("x_api")

    with pytest.raises(Transient), transport.http_errors("x"):
        session.get("https://api.twitter.com/2/users/me")


def test_no_answer_in_time_is_unconfirmed(sandbox):
    # Any route with a "timeout" fault: the core holds the answer past the client's timeout.
    @sandbox.route("x", "/x/2/slow", ("POST",))
    def slow(request):
        return 201, {"data": {"id": "1"}}

    sandbox.inject("x", "timeout")
    session = transport.requests_session("x_api")

    with pytest.raises(Unconfirmed), transport.http_errors("x"):
        session.post("https://api.twitter.com/2/slow", json={})
    assert sandbox.received[-1].fault == "timeout"


# -- how long a timeout holds, when a rate limit resets -------------------------------------


@pytest.fixture
def slow_route(sandbox):
    @sandbox.route("x", "/x/2/slow", ("POST",))
    def slow(request):
        return 201, {"data": {"id": "1"}}

    return f"{sandbox.url}/x/2/slow"


def test_a_timeout_held_zero_seconds_answers_at_once(sandbox, slow_route):
    # The sandbox's own hold (1 s in the tests) is longer than this client waits.
    requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"network": "x", "kind": "timeout", "hold": 0},
        timeout=5,
    )

    answer = requests.post(slow_route, json={}, timeout=0.5)

    assert answer.status_code == 201
    assert sandbox.received[-1].fault == "timeout"


def test_a_timeout_holds_the_answer_past_a_client_that_waits_longer_than_the_default(
    sandbox, slow_route
):
    # The client waits longer than the sandbox's own hold (1 s): only the fault's hold
    # makes it a real timeout rather than a delay.
    sandbox.inject("x", "timeout", hold=30)

    with pytest.raises(requests.ReadTimeout):
        requests.post(slow_route, json={}, timeout=1.3)

    # The network processed it all the same: only the answer never came in time.
    assert sandbox.received[-1].fault == "timeout"
    assert sandbox.received[-1].status == 201


def test_the_sandbox_wide_hold_and_reset_can_be_read_and_changed(sandbox):
    before = requests.get(f"{sandbox.url}/_sandbox/settings", timeout=5).json()
    try:
        answer = requests.post(
            f"{sandbox.url}/_sandbox/settings",
            json={"timeout_hold": 0, "rate_limit_reset": 5},
            timeout=5,
        )

        assert answer.json() == {"timeout_hold": 0.0, "rate_limit_reset": 5}
        sandbox.set_failure_rate("x", 1.0, ("timeout",))

        @sandbox.route("x", "/x/2/slow-too", ("POST",))
        def slow(request):
            return 201, {"data": {"id": "1"}}

        assert requests.post(f"{sandbox.url}/x/2/slow-too", json={}, timeout=0.5).ok
    finally:
        sandbox.timeout_hold = before["timeout_hold"]
        sandbox.rate_limit_reset = before["rate_limit_reset"]


def test_a_random_timeout_holds_as_long_as_its_failure_rate_says(sandbox, slow_route):
    requests.post(
        f"{sandbox.url}/_sandbox/failure-rate",
        json={"network": "x", "rate": 1, "kinds": ["timeout"], "hold": 0},
        timeout=5,
    )

    assert requests.post(slow_route, json={}, timeout=0.5).status_code == 201
    assert sandbox.received[-1].fault == "timeout"


@time_machine.travel(datetime(2026, 7, 14, 15, 30, tzinfo=UTC), tick=False)
def test_an_x_rate_limit_resets_when_the_fault_says(sandbox):
    requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"network": "x", "kind": "rate_limited", "reset_in": 3},
        timeout=5,
    )
    sandbox.inject("x", "rate_limited")  # then one with the sandbox's own reset

    near = requests.post(f"{sandbox.url}/x/2/tweets", json={"text": "Alerte."}, timeout=5)
    usual = requests.post(f"{sandbox.url}/x/2/tweets", json={"text": "Alerte."}, timeout=5)

    now = int(datetime(2026, 7, 14, 15, 30, tzinfo=UTC).timestamp())
    assert near.status_code == 429
    assert near.headers["x-rate-limit-reset"] == str(now + 3)
    assert usual.headers["x-rate-limit-reset"] == str(now + 900)


# -- a bounded log: a long demo does not grow without bound ------------------------------------

X_TOKEN = {"Authorization": "Bearer sandbox-x-token-42"}


@pytest.fixture
def small_sandbox():
    """A sandbox of its own that keeps the last 3 requests per network."""
    server = Sandbox(keep=3, timeout_hold=1.0).start()
    yield server
    server.stop()


def tweet(sandbox, text):
    return requests.post(
        f"{sandbox.url}/x/2/tweets", json={"text": text}, headers=X_TOKEN, timeout=5
    )


def test_the_sandbox_keeps_the_last_requests_of_each_network(small_sandbox):
    requests.get(f"{small_sandbox.url}/linkedin/rest/posts", timeout=5)
    for number in range(1, 6):
        tweet(small_sandbox, f"Message {number}")
    requests.get(f"{small_sandbox.url}/linkedin/rest/posts", timeout=5)

    kept = small_sandbox.received.of("x")
    assert [r.json["text"] for r in kept] == ["Message 3", "Message 4", "Message 5"]
    assert small_sandbox.received.forgotten("x") == 2
    assert len(small_sandbox.received.of("linkedin")) == 2  # another network: untouched
    assert small_sandbox.received.forgotten("linkedin") == 0
    # The whole log, in arrival order across networks, as the control API gives it.
    answer = requests.get(f"{small_sandbox.url}/_sandbox/received", timeout=5).json()
    assert [(r["network"], r["method"]) for r in answer["received"]] == [
        ("linkedin", "GET"),
        ("x", "POST"),
        ("x", "POST"),
        ("x", "POST"),
        ("linkedin", "GET"),
    ]
    assert (answer["keep"], answer["forgotten"]) == (3, 2)


def test_a_post_whose_request_left_the_log_is_still_held_by_the_network(small_sandbox):
    first = tweet(small_sandbox, "Collecte des encombrants lundi.").json()["data"]["id"]
    for number in range(4):
        tweet(small_sandbox, f"Message {number}")
    assert all(r.json["text"] != "Collecte des encombrants lundi." for r in small_sandbox.received)

    again = tweet(small_sandbox, "Collecte des encombrants lundi.")
    listed = requests.get(f"{small_sandbox.url}/x/2/users/42/tweets", headers=X_TOKEN, timeout=5)
    new = tweet(small_sandbox, "Marché nocturne vendredi.")

    assert again.status_code == 403  # still a duplicate: the network's rules use its posts
    assert first in [t["id"] for t in listed.json()["data"]]  # the reconciliation lookup
    assert new.status_code == 201  # and publishing goes on
    assert len(small_sandbox.received.of("x")) == 3


@pytest.mark.django_db
def test_crieur_publishes_on_once_the_log_has_rolled_over(small_sandbox, settings):
    settings.CRIEUR_SANDBOX_URL = small_sandbox.url
    account = SocialAccountFactory(
        network="x",
        remote_id="42",
        handle="bourgsurlac",
        credentials={"access_token": "sandbox-x-token-42", "refresh_token": "sandbox-x-refresh"},
    )
    x = networks.get("x")

    refs = [
        x.publish(outgoing_for(account, text=f"Annonce {n}."), account=account, key=f"k{n}")
        for n in range(5)
    ]

    assert len({ref.id for ref in refs}) == 5
    assert len(small_sandbox.received.of("x")) == 3
    with pytest.raises(Duplicate):  # the first post left the log, not the network
        x.publish(outgoing_for(account, text="Annonce 0."), account=account, key="again")


def test_a_log_told_to_keep_everything_forgets_nothing():
    log = ReceivedLog(keep=0)
    for number in range(1, 1001):
        log.append(
            Received(id=number, network="x", method="POST", path="/2/tweets", query={}, headers={})
        )

    assert len(log) == 1000
    assert log[0].id == 1
    assert log.forgotten() == 0
