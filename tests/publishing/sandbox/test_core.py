"""The sandbox core and the transport that sends the SDKs' hosts to it."""

import pytest
import requests

from publishing.networks import transport
from publishing.networks.base import Transient, Unconfirmed


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
