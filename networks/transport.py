"""How the SDKs' HTTP sessions reach the configured address, with timeouts, in one place.

tweepy and linkedin-api-client hard-code their hosts; facebook-business and pywa take
a base URL. Either way the session gets a transport that sends the SDK's host to the
address configured in `config.address` (the sandbox in the demo and the tests) and
puts a timeout on every call, which the SDKs do not always do. Without a sandbox or an
explicit address nothing is rewritten and the real hosts are used.

Each session is built for one account (or none, while an account connects): what a
response says of the network's budget is recorded for that account where the network
counts per account (`budget.observe`).

It also maps what the HTTP layer raises to the typed errors: a connection that never
opened is `Transient`; a request that left and got no answer is `Unconfirmed`.
The text of what it raised (requests puts the URL, `access_token` included, in it)
is redacted by the typed errors themselves (`base.NetworkError`, `redaction.py`).
"""

import functools
import ssl
from contextlib import contextmanager

import httpx
import requests
import urllib3
from requests.adapters import HTTPAdapter

from . import budget, config
from .base import Transient, Unconfirmed


class RedirectingAdapter(HTTPAdapter):
    """A requests adapter that rewrites `real` to `target`, applies the timeouts and
    reports the budget headers of `account_id`'s calls."""

    def __init__(self, real: str, target: str, name: str = "", account_id=None, **kwargs):
        super().__init__(**kwargs)
        self.real = real.rstrip("/")
        self.target = target.rstrip("/")
        self.name = name
        self.account_id = account_id

    def send(self, request, **kwargs):
        if request.url.startswith(self.real) and self.target != self.real:
            request.url = self.target + request.url[len(self.real) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = config.timeout()
        response = super().send(request, **kwargs)
        budget.observe(self.name, response.headers, account_id=self.account_id)
        return response


def mount(session: requests.Session, name: str, *, account_id=None) -> requests.Session:
    """Fit a requests session (tweepy's, linkedin-api-client's, facebook-business's)
    with the adapter for the SDK host `config.SDK_HOSTS[name]`, for the calls of the
    account `account_id` (None: no account's yet)."""
    real = config.SDK_HOSTS[name]
    session.mount(real, RedirectingAdapter(real, config.address(name), name, account_id))
    # The address is known: no proxy or .netrc look-up in the environment on each call.
    session.trust_env = False
    return session


def requests_session(name: str, *, account_id=None) -> requests.Session:
    return mount(requests.Session(), name, account_id=account_id)


class RedirectingTransport(httpx.HTTPTransport):
    """The httpx equivalent, for pywa's client."""

    def __init__(self, real: str, target: str, name: str = "", account_id=None, **kwargs):
        super().__init__(**kwargs)
        self.real = httpx.URL(real)
        self.target = httpx.URL(target)
        self.name = name
        self.account_id = account_id

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        real = str(self.real).rstrip("/")
        if url.startswith(real) and self.target != self.real:
            request.url = httpx.URL(str(self.target).rstrip("/") + url[len(real) :])
        response = super().handle_request(request)
        budget.observe(self.name, response.headers, account_id=self.account_id)
        return response


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context per process: building one (loading the CA bundle) costs more than
    the call it would serve."""
    return httpx.create_ssl_context()


def httpx_client(name: str, *, account_id=None) -> httpx.Client:
    """An httpx client for the SDK host `config.SDK_HOSTS[name]`, for the calls of the
    account `account_id` (None: no account's yet)."""
    connect, read = config.timeout()
    return httpx.Client(
        transport=RedirectingTransport(
            config.SDK_HOSTS[name],
            config.address(name),
            name,
            account_id,
            verify=_tls_context(),
        ),
        timeout=httpx.Timeout(read, connect=connect),
        verify=_tls_context(),
    )


@contextmanager
def http_errors(network: str):
    """Turn the HTTP layer's failures into typed errors (status errors are the
    network module's business: it knows the network's codes)."""
    try:
        yield
    except (requests.ConnectTimeout, httpx.ConnectTimeout, httpx.ConnectError) as error:
        raise Transient(f"could not reach {network}: {error}", network=network) from error
    except (requests.ReadTimeout, httpx.ReadTimeout, httpx.WriteTimeout) as error:
        raise Unconfirmed(
            f"{network} did not answer in time; the post may have been received",
            network=network,
        ) from error
    except requests.ConnectionError as error:
        # Reset after the request was sent ("Connection aborted"): as unknown as a
        # timeout. Refused or unresolvable: nothing left, so it can be tried again.
        if error.args and isinstance(error.args[0], urllib3.exceptions.ProtocolError):
            raise Unconfirmed(str(error), network=network) from error
        raise Transient(f"could not reach {network}: {error}", network=network) from error
    except (httpx.RemoteProtocolError, httpx.ReadError) as error:
        raise Unconfirmed(str(error), network=network) from error
