"""The sandbox core and the transport that sends the SDKs' hosts to it."""

from datetime import UTC, datetime

import pytest
import requests
import time_machine

from networks import transport
from networks.base import Transient, Unconfirmed


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
    assert requests.get(f"{sandbox.url}/_sandbox/received", timeout=5).json() == {"received": []}


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
