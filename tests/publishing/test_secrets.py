"""No token, app secret or appsecret_proof leaves the network layer, whatever fails.

Each test sends a real publication (or renews a token) through the scheduler while a
network fails in one way, then looks for the account's tokens, the app's secret and the
`appsecret_proof` Meta computes from them in every table of the database (history
included), in every e-mail sent and in every log line captured at DEBUG.
"""

import hashlib
import hmac
import json
import logging
import secrets
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from networks import base, config
from publishing import scheduler
from publishing.models import Publication
from tests.factories import UserFactory, post_with_variant
from workflows import roles

pytestmark = pytest.mark.django_db

NETWORKS = ("x", "facebook", "instagram", "linkedin", "whatsapp")
RENEWING = ("x", "facebook", "instagram", "linkedin")  # WhatsApp's tokens do not expire
APP = {"x": "x", "facebook": "meta", "instagram": "meta", "linkedin": "linkedin"}
ADDRESS_SETTINGS = (
    "CRIEUR_X_API_URL",
    "CRIEUR_GRAPH_API_URL",
    "CRIEUR_LINKEDIN_API_URL",
    "CRIEUR_LINKEDIN_OAUTH_URL",
)
# How a network fails: where its address points, or the sandbox's fault.
FAILURES = (
    "connection_refused",
    "unresolvable_host",
    "timeout",
    "expired_token",  # 401 / Graph code 190
    "rate_limited",  # 429
    "server_error",  # 5xx
    "answer_echoing_the_request_4xx",  # an error whose text repeats the request (SDK text)
    "answer_echoing_the_request_5xx",
    "html_page_echoing_the_request",  # a proxy's page where JSON was expected
)
SANDBOX_FAULTS = ("timeout", "expired_token", "rate_limited", "server_error")


class EchoingHandler(BaseHTTPRequestHandler):
    """Answers every request with its own request line and headers, as misconfigured
    proxies and some network errors do: whatever the client put in the request (a token
    in the query string or a header) comes back in the error the SDK raises."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        echo = f"{self.command} {self.path} {dict(self.headers)}"
        status, html = self.server.behaviour
        if html:
            body = f"<html><body><h1>Error</h1><p>{echo}</p></body></html>".encode()
            kind = "text/html"
        else:
            error = {"message": echo, "type": "OAuthException", "code": 100}
            error["error_data"] = {"details": echo}
            body = json.dumps(
                {
                    "error": error,
                    "errors": [{"message": echo, "title": echo, "detail": echo}],
                    "title": echo,
                    "detail": echo,
                    "message": echo,
                    "status": status,
                }
            ).encode()
            kind = "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def echoing_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingHandler)
    server.behaviour = (400, False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def failing(sandbox, settings, echoing_server):
    """fail(kind): make every network fail that way from now on."""

    def fail(kind: str) -> None:
        address = ""
        if kind == "connection_refused":
            address = f"http://127.0.0.1:{closed_port()}"
        elif kind == "unresolvable_host":
            address = "http://unresolvable.invalid"
        elif kind.startswith(("answer_echoing", "html_page")):
            status = 502 if kind.endswith("5xx") else 400
            echoing_server.behaviour = (status, kind.startswith("html"))
            address = f"http://127.0.0.1:{echoing_server.server_port}"
        else:
            for network in NETWORKS:
                sandbox.inject(network, kind, times=100)
        if address:
            for name in ADDRESS_SETTINGS:
                setattr(settings, name, address)

    return fail


def with_secrets(account) -> list[str]:
    """Give the account tokens of its own; return every value that must never leak."""
    network = account.network
    token = f"{network}-token-{secrets.token_hex(16)}"
    credentials = {"access_token": token}
    values = [token]
    if network in ("x", "linkedin"):
        credentials["refresh_token"] = f"{network}-refresh-{secrets.token_hex(16)}"
        values.append(credentials["refresh_token"])
    if network in ("facebook", "instagram"):
        credentials["user_access_token"] = f"{network}-user-{secrets.token_hex(16)}"
        values.append(credentials["user_access_token"])
    account.credentials = credentials
    account.save()
    app_secret = config.client(APP.get(network, "meta"))[1]
    # What Meta's SDK sends with each call: HMAC-SHA256 of the token with the app secret.
    proofs = [
        hmac.new(app_secret.encode(), value.encode(), hashlib.sha256).hexdigest()
        for value in values
    ]
    return [*values, app_secret, *proofs]


def everything_written(caplog) -> dict[str, str]:
    """The text of every row of every table, of every e-mail, and of every log line."""
    written = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            written[f"table {table}"] = repr(cursor.fetchall())
    for number, message in enumerate(mail.outbox):
        alternatives = " ".join(str(content) for content, _type in message.alternatives or [])
        written[f"e-mail {number}"] = f"{message.subject}\n{message.body}\n{alternatives}"
    written["logs"] = caplog.text
    return written


def leaks(values: list[str], caplog) -> list[str]:
    return [
        f"{where} holds {value[:12]}…"
        for where, text in everything_written(caplog).items()
        for value in values
        if value and value in text
    ]


def scheduled(account):
    variant = post_with_variant(
        account, text="Collecte des sapins samedi place du marché.", images=1
    )
    post = variant.post
    author = UserFactory(role=roles.COMMUNITY_MANAGER)
    type(post).objects.filter(pk=post.pk).update(created_by=author)
    post.refresh_from_db()
    post.save_revision().publish()
    post.refresh_from_db()
    return Publication.objects.create(
        post=post,
        revision=post.live_revision,
        account=account,
        scheduled_at=timezone.now(),
        created_by=UserFactory(role=roles.COMMUNITY_MANAGER),
    )


@pytest.mark.parametrize("kind", FAILURES)
@pytest.mark.parametrize("network", NETWORKS)
def test_no_secret_leaves_when_a_publication_fails(
    network,
    kind,
    five_accounts,
    failing,
    roles_people,
    settings,
    caplog,
    django_capture_on_commit_callbacks,
):
    caplog.set_level(logging.DEBUG)
    settings.CRIEUR_PUBLISH_MAX_TRIES = 1  # fail for good at once: notifications, e-mails
    account = five_accounts[network]
    values = with_secrets(account)
    publication = scheduled(account)
    failing(kind)

    with django_capture_on_commit_callbacks(execute=True):
        scheduler.publication_deliver(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state != Publication.State.PUBLISHED
    assert publication.attempts.exists()
    assert leaks(values, caplog) == []


@pytest.mark.parametrize("kind", FAILURES)
@pytest.mark.parametrize("network", RENEWING)
def test_no_secret_leaves_when_a_token_renewal_fails(
    network, kind, five_accounts, failing, roles_people, caplog
):
    caplog.set_level(logging.DEBUG)
    account = five_accounts[network]
    values = with_secrets(account)
    account.token_expires_at = timezone.now() + timedelta(hours=1)
    account.save()
    failing(kind)

    renewed = scheduler.accounts_refresh(now=timezone.now())

    assert renewed == 0
    assert leaks(values, caplog) == []


@pytest.mark.parametrize(
    "error_type", [base.NetworkError, *base.NetworkError.__subclasses__()], ids=lambda t: t.__name__
)
def test_every_typed_error_says_what_failed_without_the_secrets_of_the_request(error_type):
    token, secret = f"token-{secrets.token_hex(16)}", "the-app-secret-of-crieur"
    proof = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    request = (
        f"GET /v24.0/me/feed?access_token={token}&appsecret_proof={proof}"
        f"&client_secret={secret} {{'Authorization': 'Bearer {token}'}}"
    )

    error = error_type(
        f"could not reach facebook: {request}",
        network="facebook",
        body={"error": {"message": request}, "access_token": token},
    )

    said = f"{error} {error.message} {error.args} {error.body}"
    assert "could not reach facebook: GET /v24.0/me/feed?" in said
    assert not [value for value in (token, secret, proof) if value in said]
