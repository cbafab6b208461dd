"""The sandbox server: one loopback HTTP server that speaks every network's API.

Each network's part (x.py, meta.py, linkedin.py, whatsapp.py beside this file) adds
its routes with `sandbox.route(...)` and says how its faults look on the wire with
`sandbox.fault_renderer(...)`. The core keeps what every network received (the last
`keep` requests of each network: a long demo must not grow without bound), injects
faults on demand (`inject`, `set_failure_rate`), issues ids, and delivers webhooks.

It is test and demo equipment: production code never imports it. The control
endpoints under `/_sandbox/` let another process (the demo's admin page, a worker)
read what was received and inject faults.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, overload

import requests
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

NETWORK_PARTS = ("x", "meta", "linkedin", "whatsapp")

# Fault kinds every network renders in its own wire format.
FAULT_KINDS = (
    "server_error",  # a 5xx
    "timeout",  # the request is processed, the answer is held `hold` seconds
    "rate_limited",  # 429 with the network's reset headers (X: reset in `reset_in` seconds)
    "expired_token",  # Graph code 190, X 401, LinkedIn 401
    "duplicate",  # Graph 506, X 403 duplicate content
)


@dataclass
class Received:
    """One request a network got, as the network saw it."""

    id: int
    network: str
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    status: int = 0
    response: Any = None
    fault: str = ""
    at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def created_a_post(self) -> bool:
        """Whether this request made something citizens see (a timed-out one did too:
        the network processed it, only the answer was late)."""
        method, path = CREATING_REQUESTS.get(self.network, ("", "\0"))
        return (
            self.method == method
            and self.path.endswith(path)
            and 200 <= self.status < 300
            and self.fault in ("", "timeout")
        )


# The request that creates what citizens see, per network (duplicates are counted on it).
CREATING_REQUESTS = {
    "x": ("POST", "/2/tweets"),
    "facebook": ("POST", "/feed"),
    "instagram": ("POST", "/media_publish"),
    "linkedin": ("POST", "/rest/posts"),
    "whatsapp": ("POST", "/messages"),
}


# How many requests per network the sandbox remembers, unless told otherwise (0: all).
KEEP = 500


class ReceivedLog(Sequence[Received]):
    """What the networks received, oldest first: the last `keep` requests of each network.

    Only this log (and the log of webhooks sent) is bounded. What the emulators need for
    their own rules lives in `Sandbox.store` and is never dropped: the posts they hold
    (a duplicate is still refused, a post still found by the reconciliation lookup once
    its request has left the log), the tokens they issued, the uploads; ids come from
    counters. A stored post is a few hundred bytes, against a request's headers, body
    and answer here, so the store stays small for as long as a demo runs.
    """

    def __init__(self, keep: int = KEEP):
        if keep < 0:
            raise ValueError("keep: a number of requests per network, or 0 for all")
        self.keep = keep
        self._lock = threading.Lock()
        self._by_network: dict[str, deque[Received]] = {}
        self._forgotten: dict[str, int] = {}

    def append(self, entry: Received) -> None:
        with self._lock:
            kept = self._by_network.setdefault(entry.network, deque(maxlen=self.keep or None))
            if self.keep and len(kept) == self.keep:
                self._forgotten[entry.network] = self._forgotten.get(entry.network, 0) + 1
            kept.append(entry)

    def of(self, network: str) -> list[Received]:
        """What `network` received and is still kept, oldest first."""
        with self._lock:
            return list(self._by_network.get(network, ()))

    def forgotten(self, network: str = "") -> int:
        """How many requests of `network` (every network: "") left the log."""
        with self._lock:
            if network:
                return self._forgotten.get(network, 0)
            return sum(self._forgotten.values())

    def clear(self) -> None:
        with self._lock:
            self._by_network.clear()
            self._forgotten.clear()

    def _all(self) -> list[Received]:
        with self._lock:
            kept = [list(entries) for entries in self._by_network.values()]
        return list(heapq.merge(*kept, key=attrgetter("id")))

    def __iter__(self) -> Iterator[Received]:
        return iter(self._all())

    def __len__(self) -> int:
        with self._lock:
            return sum(len(entries) for entries in self._by_network.values())

    @overload
    def __getitem__(self, index: int) -> Received: ...
    @overload
    def __getitem__(self, index: slice) -> list[Received]: ...
    def __getitem__(self, index):
        return self._all()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReceivedLog | list | tuple):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"ReceivedLog(keep={self.keep}, {self._all()!r})"


@dataclass
class Fault:
    network: str
    kind: str
    times: int = 1
    path: str = ""  # only requests whose path contains this
    method: str = ""
    hold: float | None = None  # "timeout": seconds the answer is held (None: the sandbox's)
    reset_in: int | None = None  # "rate_limited": seconds until the limit resets (None: idem)
    after: int = 0  # this many matching requests pass first (the second tweet of a thread…)


class Sandbox:
    """A loopback emulator of the networks' APIs, with what it received and its faults."""

    def __init__(
        self,
        *,
        webhook_urls: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
        timeout_hold: float = 2.0,
        rate_limit_reset: int = 900,
        seed: int | None = None,
        keep: int = KEEP,
    ):
        self.lock = threading.RLock()
        self.url_map = Map(strict_slashes=False, merge_slashes=False)
        self.handlers: dict[str, tuple[str, Callable]] = {}
        self.renderers: dict[str, Callable[[str, Request], Response]] = {}
        self.webhook_urls = dict(webhook_urls or {})
        self.secrets = dict(secrets or {})
        # A "timeout" holds the answer this long (beyond the client's timeout for a real
        # timeout; below it for a mere delay), and a 429 resets in this many seconds,
        # unless the fault says otherwise.
        self.timeout_hold = timeout_hold
        self.rate_limit_reset = rate_limit_reset
        # The last `keep` requests per network are kept (0: all, for the benchmarks that
        # count what each network created over thousands of posts).
        self.keep = keep
        self.random = random.Random(seed)  # noqa: S311 - fault injection, not security
        self.server = None
        self.thread: threading.Thread | None = None
        self.reset()
        self._add_control_routes()
        from importlib import import_module

        for part in NETWORK_PARTS:
            try:
                module = import_module(f"{__package__}.{part}")
            except ModuleNotFoundError as error:
                if error.name != f"{__package__}.{part}":
                    raise
                continue
            module.register(self)

    # -- state ----------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.received = ReceivedLog(self.keep)
            self.faults: list[Fault] = []
            self.failure_rates: dict[str, tuple[float, tuple[str, ...], dict[str, Any]]] = {}
            # Each network part keeps its objects here: store["x"]["tweets"][id] = {...}
            self.store: dict[str, dict[str, Any]] = {}
            self.webhooks_sent: deque[dict[str, Any]] = deque(maxlen=self.keep or None)
            self._ids = itertools.count(int(time.time() * 1000) % 10**9 * 1000 + 1)
            self._received_ids = itertools.count(1)

    def new_id(self) -> str:
        with self.lock:
            return str(next(self._ids))

    def bucket(self, network: str, name: str) -> dict[str, Any]:
        with self.lock:
            return self.store.setdefault(network, {}).setdefault(name, {})

    def requests_to(self, network: str, *, method: str = "", path: str = "") -> list[Received]:
        """What `network` received, optionally only one method and paths containing `path`."""
        with self.lock:
            return [
                r
                for r in self.received.of(network)
                if (not method or r.method == method)
                and (not path or path in r.path)
                and r.fault == ""
            ]

    # -- faults ---------------------------------------------------------------------------

    def inject(
        self,
        network: str,
        kind: str,
        *,
        times: int = 1,
        path: str = "",
        method: str = "",
        hold: float | None = None,
        reset_in: int | None = None,
        after: int = 0,
    ):
        """The next `times` matching requests to `network` fail with `kind`: one of
        FAULT_KINDS, or a kind the network names (instagram_in_progress…), once `after`
        matching requests have passed. `hold` (for a timeout) and `reset_in` (for a rate
        limit) override the sandbox's own."""
        with self.lock:
            self.faults.append(Fault(network, kind, times, path, method, hold, reset_in, after))

    def set_failure_rate(
        self,
        network: str,
        rate: float,
        kinds: tuple[str, ...] = ("server_error",),
        *,
        hold: float | None = None,
        reset_in: int | None = None,
    ) -> None:
        """A share `rate` (0 to 1) of requests to `network` ("*": all) fail at random."""
        with self.lock:
            self.failure_rates[network] = (
                rate,
                tuple(kinds),
                {"hold": hold, "reset_in": reset_in},
            )

    def take_fault(self, network: str, request: Request) -> str:
        """The fault to apply to this request, if any (consumed)."""
        fault = self._take(network, request)
        return fault.kind if fault else ""

    def _take(self, network: str, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.network != network or fault.times <= 0:
                    continue
                if fault.path and fault.path not in request.path:
                    continue
                if fault.method and fault.method != request.method:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.times -= 1
                return fault
            for key in (network, "*"):
                if key in self.failure_rates:
                    rate, kinds, options = self.failure_rates[key]
                    if self.random.random() < rate:
                        return Fault(network, self.random.choice(kinds), **options)
        return None

    def hold_of(self, request: Request) -> float:
        """How long the answer to this request is held if its fault is a timeout."""
        fault = request.environ.get("sandbox.fault_options")
        if fault is not None and fault.hold is not None:
            return fault.hold
        return self.timeout_hold

    def reset_in(self, request: Request) -> int:
        """In how many seconds the rate limit this request met resets."""
        fault = request.environ.get("sandbox.fault_options")
        if fault is not None and fault.reset_in is not None:
            return fault.reset_in
        return self.rate_limit_reset

    def fault_renderer(self, network: str):
        """Decorator: how `network` answers a fault: fn(kind, request) -> Response | None.

        Returning None for "timeout" (or a network-specific kind) lets the handler run;
        the core then holds the answer past the client's timeout.
        """

        def decorate(fn):
            self.renderers[network] = fn
            return fn

        return decorate

    # -- routes ---------------------------------------------------------------------------

    def route(self, network, rule: str, methods: tuple[str, ...] = ("GET",)):
        """Decorator: fn(request, **path_values) -> Response, or a (status, json[, headers]).

        `network` names whose request it is (what `requests_to` and faults use); for a
        route several networks share, a callable (request, path_values) -> name.
        """

        def decorate(fn):
            owner = network if isinstance(network, str) else "shared"
            endpoint = f"{owner}:{fn.__name__}:{rule}:{','.join(methods)}"
            self.url_map.add(Rule(rule, endpoint=endpoint, methods=list(methods)))
            self.handlers[endpoint] = (network, fn)
            return fn

        return decorate

    @staticmethod
    def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        return Response(
            json.dumps(body), status=status, headers=headers or {}, mimetype="application/json"
        )

    def _record(self, network: str, request: Request) -> Received:
        files = []
        for name, storage in request.files.items(multi=True):
            content = storage.read()
            files.append(
                {
                    "field": name,
                    "filename": storage.filename,
                    "content_type": storage.mimetype,
                    "size": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
            )
        body_json = None
        if request.mimetype == "application/json":
            body_json = request.get_json(silent=True)
        with self.lock:  # ids in the order the log keeps them
            entry = Received(
                id=next(self._received_ids),
                network=network,
                method=request.method,
                path=request.path,
                query=request.args.to_dict(flat=True),
                headers={k.lower(): v for k, v in request.headers.items()},
                json=body_json,
                form=request.form.to_dict(flat=True),
                files=files,
                at=datetime.now(UTC).isoformat(),
            )
            self.received.append(entry)
        return entry

    def wsgi_app(self, environ, start_response):
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, values = adapter.match()
        except HTTPException as error:
            return self.json_response(
                error.code or 404, {"error": f"sandbox: no route for {request.path}"}
            )(environ, start_response)
        network, handler = self.handlers[endpoint]
        if callable(network):  # a route shared by networks (Graph nodes) names its owner
            network = network(request, values)
        if network == "_sandbox":
            return self._as_response(handler(request, **values))(environ, start_response)
        entry = self._record(network, request)
        options = self._take(network, request)
        fault = options.kind if options else ""
        request.environ["sandbox.fault"] = fault  # for kinds the handler plays out itself
        request.environ["sandbox.fault_options"] = options  # its hold, reset_in
        response = None
        if fault and network in self.renderers:
            response = self.renderers[network](fault, request)
        if response is None:
            try:
                response = self._as_response(handler(request, **values))
            except NotFound as error:
                response = self.json_response(404, {"error": str(error)})
        entry.status = response.status_code
        entry.fault = fault
        try:
            entry.response = json.loads(response.get_data(as_text=True) or "null")
        except ValueError:
            entry.response = None
        if fault == "timeout":
            time.sleep(self.hold_of(request))  # past the client's timeout: it gives up first
        return response(environ, start_response)

    def _as_response(self, result) -> Response:
        if isinstance(result, Response):
            return result
        return self.json_response(*result)

    # -- webhooks -------------------------------------------------------------------------

    def deliver_webhook(
        self, network: str, payload: dict[str, Any], headers: dict[str, str]
    ) -> int | None:
        """POST a signed webhook to Crieur, if it gave the sandbox an address for it."""
        body = json.dumps(payload).encode()
        record = {"network": network, "payload": payload, "status": None}
        url = self.webhook_urls.get(network)
        if url:
            try:
                answer = requests.post(
                    url,
                    data=body,
                    headers={"Content-Type": "application/json", **headers},
                    timeout=10,
                )
                record["status"] = answer.status_code
            except requests.RequestException as error:
                record["status"] = f"failed: {error}"
        with self.lock:
            self.webhooks_sent.append(record)
        return record["status"] if isinstance(record["status"], int) else None

    def webhook_body(self, payload: dict[str, Any]) -> bytes:
        """The exact bytes `deliver_webhook` sends, for signing."""
        return json.dumps(payload).encode()

    # -- control API (for other processes: the demo's page, workers) ----------------------

    def _add_control_routes(self) -> None:
        @self.route("_sandbox", "/_sandbox/received", ("GET",))
        def received(request):
            network = request.args.get("network", "")
            log = self.received
            kept = log.of(network) if network else list(log)
            return 200, {
                "received": [r.to_dict() for r in kept],
                "keep": log.keep,  # per network; 0: all
                "forgotten": log.forgotten(network),
            }

        @self.route("_sandbox", "/_sandbox/faults", ("POST",))
        def faults(request):
            data = request.get_json(force=True)
            self.inject(
                data["network"],
                data["kind"],
                times=int(data.get("times", 1)),
                path=data.get("path", ""),
                method=data.get("method", ""),
                hold=_number(data.get("hold"), float),
                reset_in=_number(data.get("reset_in"), int),
            )
            return 201, {"ok": True}

        @self.route("_sandbox", "/_sandbox/failure-rate", ("POST",))
        def failure_rate(request):
            data = request.get_json(force=True)
            self.set_failure_rate(
                data.get("network", "*"),
                float(data["rate"]),
                tuple(data.get("kinds", ["server_error"])),
                hold=_number(data.get("hold"), float),
                reset_in=_number(data.get("reset_in"), int),
            )
            return 201, {"ok": True}

        @self.route("_sandbox", "/_sandbox/settings", ("GET", "POST"))
        def sandbox_settings(request):
            """The sandbox-wide timeout hold and rate-limit reset (read, or change some)."""
            if request.method == "POST":
                data = request.get_json(force=True)
                with self.lock:
                    if data.get("timeout_hold") is not None:
                        self.timeout_hold = float(data["timeout_hold"])
                    if data.get("rate_limit_reset") is not None:
                        self.rate_limit_reset = int(data["rate_limit_reset"])
            return 200, {
                "timeout_hold": self.timeout_hold,
                "rate_limit_reset": self.rate_limit_reset,
            }

        @self.route("_sandbox", "/_sandbox/clear-faults", ("POST",))
        def clear_faults(request):
            """Forget the faults to come (what was received is kept)."""
            with self.lock:
                self.faults = []
                self.failure_rates = {}
            return 200, {"ok": True}

        @self.route("_sandbox", "/_sandbox/reset", ("POST",))
        def reset(request):
            self.reset()
            return 200, {"ok": True}

        @self.route("_sandbox", "/_sandbox/health", ("GET",))
        def health(request):
            return 200, {"ok": True, "networks": sorted(self.renderers)}

    # -- running --------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Sandbox:
        self.server = make_server(host, port, self.wsgi_app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def serve_forever(self, host: str = "127.0.0.1", port: int = 8001) -> None:
        self.server = make_server(host, port, self.wsgi_app, threaded=True)
        self.server.serve_forever()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def _number(value, kind):
    return None if value is None else kind(value)


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else ""
