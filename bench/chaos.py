"""bench.chaos: the real beat and workers publish while the bench breaks things on purpose.

Run from the project's root, with PostgreSQL and Redis running:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crieur_chaos \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python -m bench.chaos [--quick] [--scenario NAME]

It uses the database and the Redis database it is given as they are (migrated, never
dropped nor flushed: its rows carry a marker of their own run), starts the sandbox
networks, two loopback TCP proxies (bench/proxy.py) in front of PostgreSQL and Redis,
and for each scenario Celery beat and Celery workers as separate processes that reach
PostgreSQL and Redis only through the proxies. The shared servers are never stopped:
"refused" and "hung" are the proxies' doing.

Each scenario makes fresh accounts on the five sandbox networks, posts whose text holds
a marker of their own, and their publications due within the next seconds; it starts
beat and the workers, injects its fault, waits (bounded) until every publication is in
a final state, stops beat and the workers, and prints, as `<scenario>_<figure>: value`:

- `publications`: how many were due; then one line per state they ended in;
- `duplicates`: publications the network created more than once. A request "created"
  when it is the network's creating request (`Received.created_a_post`: X's POST
  /2/tweets, Facebook's /feed, Instagram's /media_publish, LinkedIn's /rest/posts,
  WhatsApp's /messages) that succeeded or timed out (processed, answer late); it is the
  publication's when it carries the publication's key (`crieur-<id>`, WhatsApp's
  tracker), or its post's marker on that publication's network (Instagram: the
  container it publishes carried the marker). A publication created twice or more (per
  WhatsApp recipient) counts once;
- `stuck`: publications still `scheduled` or `publishing` when the deadline passed
  (90 s after the fault, 150 s in full runs and for the errors scenario);
- `lost`: publications neither out nor waiting for a person: Crieur says they went out
  (`published`, `awaiting_confirmation`) and the network never created them (the ones
  still in flight at the deadline are `stuck`, not counted twice);
- `unrecorded`: posts the network created for publications Crieur holds as not gone
  out (`failed`, `missed`, `cancelled`, still `scheduled`): citizens see a post nobody
  knows about (a person would send it again), or one sent past its cut-off;
- `announced_twice`: publications that entered the same state waiting for a person
  (failed, missed, unconfirmed) twice in their history, hence announced twice (shown,
  not failing the run);
- `restarts`: times beat or a worker ended and the bench started it again 2 s later,
  as a supervisor (systemd's `Restart=always`) does in production. The engine must
  outlive its faults by itself: a restart fails the scenario, except the one the
  kill_parent scenario causes (the supervisor still restarts, so the run finishes);
- `lateness_max`: the latest publication, due time to the network's acceptance.

Scenarios: errors (30 % server errors and timeouts held past the client's timeout),
kill_child and kill_parent (SIGKILL of a pool process, or of the worker's main process,
which its supervisor starts again), postgres_refused, postgres_hung,
redis_refused, redis_hung (15 s; 6 s with --quick), x_rate_limited (X answers 429 with
a reset 3 s away), past_cutoff (publications due before their cut-off passed).

The exit status is 1 if any publication is duplicated, lost, stuck or unrecorded, or if
beat or a worker had to be restarted (beyond kill_parent's own kill). The
engine runs with shortened timings so that a run stays within minutes (printed at the
start: network timeout, retry backoff, lease); everything the bench started is stopped
at the end, within a bounded time.
"""

import argparse
import json
import os
import re
import signal
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from ._stack import (
    Processes,
    Run,
    address_of,
    cancel_leftovers,
    free_port,
    make_posts,
    note,
    received,
    require,
    say,
    schedule,
    settled,
    setup_accounts,
    start_beat,
    start_sandbox,
    start_workers,
    wait_for,
    with_address,
)
from .proxy import Proxy

# The engine's timings in the bench (printed at the start): shortened so that retries,
# leases and hand-overs happen within the bench's deadlines.
ENGINE = {
    "CRIEUR_NETWORK_TIMEOUT": "3",  # the sandbox holds a "timeout" 8 s: a real timeout
    "CRIEUR_NETWORK_CONNECT_TIMEOUT": "2",
    "CRIEUR_RETRY_BASE_SECONDS": "2",
    "CRIEUR_RETRY_MAX_SECONDS": "16",
    "CRIEUR_PUBLISH_LEASE_SECONDS": "30",
    "CRIEUR_INSTAGRAM_POLL_SECONDS": "0.05",
    "CRIEUR_BEAT_SECONDS": "1",
}
TIMEOUT_HOLD = 8.0

FINAL_OUT = ("published", "awaiting_confirmation")
NOT_OUT = ("failed", "missed", "cancelled", "scheduled")
IN_FLIGHT = ("scheduled", "publishing")
PERSON_STATES = ("failed", "missed", "unconfirmed")

MARKER = re.compile(r"chaos\d+s\d+n\d+")
KEY = re.compile(r"crieur-(\d+)")


@dataclass
class Bench:
    """What the scenarios share: the run, the processes, the proxies, the sandbox."""

    run: Run
    processes: Processes
    env: dict
    sandbox_url: str
    postgres: Proxy
    redis: Proxy
    quick: bool
    workers: int
    image: object = None
    outage: float = 15.0
    worker: object = None
    beat: object = None
    failed: list = field(default_factory=list)


# -- Scenarios ----------------------------------------------------------------------------


class Scenario:
    name = ""
    about = ""
    restarts_caused = 0  # restarts the scenario itself causes (it kills the worker)

    def deadline(self, bench: Bench) -> float:
        """How long after the fault every publication must be settled: a dead worker's
        claim waits its lease (30 s) and its tasks the tick's hand-over again (60 s)."""
        return 90 if bench.quick else 150

    def due_times(self, bench: Bench, count: int):
        """Due within the next seconds, spread over a few seconds (a burst)."""
        from django.utils import timezone

        start = timezone.now() + timedelta(seconds=3)
        spread = 4.0 if bench.quick else 8.0
        return [start + timedelta(seconds=spread * i / count) for i in range(count)]

    def before(self, bench: Bench, per_network: Counter) -> None:
        """Faults set before the publications are scheduled."""

    def during(self, bench: Bench, pks: list[int]) -> None:
        """Faults injected once the burst is under way (blocks while they last)."""

    def after(self, bench: Bench) -> None:
        """Faults taken away once the publications are settled."""


class Errors(Scenario):
    name = "errors"
    about = "30 % of the networks' answers are server errors or timeouts (held 8 s)"

    def deadline(self, bench):
        return 150  # five tries: backoffs of 2, 4, 8, 16 s and 3 s timeouts

    def before(self, bench, per_network):
        _sandbox_post(
            bench,
            "failure-rate",
            {"network": "*", "rate": 0.3, "kinds": ["server_error", "timeout"]},
        )

    def after(self, bench):
        _sandbox_post(bench, "clear-faults", None)


class KillChild(Scenario):
    name = "kill_child"
    about = "SIGKILL of a worker's pool process mid-burst"

    def during(self, bench, pks):
        _under_way(pks)
        children = _children(bench.worker.pid)
        busy = [pid for pid in children if _busy(pid)] or children
        if busy:
            os.kill(busy[0], signal.SIGKILL)
            note(f"killed pool process {busy[0]}")
        else:
            note("no pool process to kill")


class KillParent(Scenario):
    name = "kill_parent"
    about = "SIGKILL of the worker's main process mid-burst (its supervisor starts it again)"
    restarts_caused = 1

    def during(self, bench, pks):
        _under_way(pks)
        os.kill(bench.worker.pid, signal.SIGKILL)
        note(f"killed worker {bench.worker.pid}")


class Outage(Scenario):
    server = ""
    mode = ""

    @property
    def about(self):
        return f"{self.server} {self.mode} for the outage's length, mid-burst"

    def during(self, bench, pks):
        _under_way(pks)
        proxy = getattr(bench, self.server)
        proxy.set_mode(self.mode)
        note(f"{self.server} {self.mode} for {bench.outage:.0f} s")
        try:
            time.sleep(bench.outage)
        finally:
            proxy.set_mode("pass")


class PostgresRefused(Outage):
    name, server, mode = "postgres_refused", "postgres", "refuse"


class PostgresHung(Outage):
    name, server, mode = "postgres_hung", "postgres", "hang"


class RedisRefused(Outage):
    name, server, mode = "redis_refused", "redis", "refuse"


class RedisHung(Outage):
    name, server, mode = "redis_hung", "redis", "hang"


class XRateLimited(Scenario):
    name = "x_rate_limited"
    about = "X answers 429 to half its posts, the limit resetting 3 s later"

    def before(self, bench, per_network):
        _sandbox_post(
            bench,
            "faults",
            {
                "network": "x",
                "kind": "rate_limited",
                "reset_in": 3,
                "path": "/2/tweets",
                "method": "POST",
                "times": max(1, per_network["x"] // 2),
            },
        )

    def after(self, bench):
        _sandbox_post(bench, "clear-faults", None)


class PastCutoff(Scenario):
    name = "past_cutoff"
    about = "publications due before their cut-off passed (all must be missed, none sent)"

    def due_times(self, bench, count):
        from django.conf import settings
        from django.utils import timezone

        late = timedelta(minutes=settings.CRIEUR_PUBLISH_CUTOFF_MINUTES + 1)
        start = timezone.now() - late
        return [start + timedelta(milliseconds=10 * i) for i in range(count)]


SCENARIOS = [
    Errors(),
    KillChild(),
    KillParent(),
    PostgresRefused(),
    PostgresHung(),
    RedisRefused(),
    RedisHung(),
    XRateLimited(),
    PastCutoff(),
]


def _sandbox_post(bench: Bench, what: str, body) -> None:
    import requests

    requests.post(f"{bench.sandbox_url}/_sandbox/{what}", json=body, timeout=10).raise_for_status()


def _under_way(pks: list[int], *, timeout: float = 30) -> None:
    """Wait until the burst is under way: a publication claimed, or some already done."""
    from publishing.models import Publication

    def going():
        states = Counter(
            Publication.objects.filter(pk__in=pks).values_list("state", flat=True).iterator()
        )
        done = sum(n for state, n in states.items() if state not in IN_FLIGHT)
        return states.get("publishing", 0) > 0 or done >= len(pks) // 10

    if not wait_for(going, timeout=timeout, what="the burst", every=0.05):
        note("the burst did not start in time: the fault comes anyway")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _busy(pid: int) -> bool:
    """Whether a pool process is running (using CPU or waiting on the network) now."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "R"
    except OSError:
        return False


class Supervisor(threading.Thread):
    """Starts beat or the worker again 2 s after it ended, as systemd's `Restart=always`
    with `RestartSec=2` does in production; each restart is counted and shown."""

    def __init__(self, bench: Bench, scenario: Scenario):
        super().__init__(daemon=True, name="supervisor")
        self.bench, self.scenario = bench, scenario
        self.stopping = threading.Event()
        self.restarts = 0

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            for kind in ("worker", "beat"):
                process = getattr(self.bench, kind)
                if process.poll() is None:
                    continue
                note(f"{self.scenario.name}: {kind} ended ({process.returncode}), restarting")
                if self.stopping.wait(2):
                    return
                self.restarts += 1
                name = f"{self.scenario.name}-{kind}-{self.restarts}"
                if kind == "worker":
                    started = start_workers(
                        self.bench.processes, concurrency=self.bench.workers, name=name
                    )
                else:
                    started = start_beat(self.bench.processes, name=name)
                setattr(self.bench, kind, started)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


# -- Measuring ------------------------------------------------------------------------------


def creations(items: list[dict], pks: set[int], by_marker: dict) -> Counter:
    """How many times the networks created each publication (per WhatsApp recipient).

    `by_marker` maps (network, post marker) to the publication's id.
    """
    from networks.sandbox.core import Received

    def payload(item) -> str:
        return json.dumps([item["json"], item["form"], item["query"]], ensure_ascii=False)

    # The ids a network gave back for requests that carried a marker (Instagram's
    # containers): a creating request naming such an id is that marker's.
    markers_of_ids = {}
    for item in items:
        found = MARKER.findall(payload(item))
        answer = item.get("response")
        if found and isinstance(answer, dict) and answer.get("id"):
            markers_of_ids[(item["network"], str(answer["id"]))] = found[0]
    created = Counter()
    for item in items:
        if not Received(**item).created_a_post:
            continue
        text = payload(item)
        network = item["network"]
        pk = None
        keys = [int(k) for k in KEY.findall(text) if int(k) in pks]
        if keys:
            pk = keys[0]
        else:
            found = MARKER.findall(text)
            if not found:
                found = [
                    marker
                    for (net, remote), marker in markers_of_ids.items()
                    if net == network and f'"{remote}"' in text
                ]
            if found:
                pk = by_marker.get((network, found[0]))
        if pk is not None:
            recipient = (item["json"] or {}).get("to", "") if network == "whatsapp" else ""
            created[(pk, recipient)] += 1
    return created


def measure(
    bench: Bench,
    scenario: Scenario,
    pks: list[int],
    by_marker: dict,
    states,
    stuck: set,
    restarts: int,
) -> bool:
    from publishing.models import Publication

    created = creations(received(bench.sandbox_url), set(pks), by_marker)
    times_created = Counter()
    for (pk, _recipient), n in created.items():
        times_created[pk] = max(times_created[pk], n)
    duplicated = sorted(pk for pk, n in times_created.items() if n > 1)
    lost = sorted(
        pk
        for pk, state in states.items()
        if pk not in stuck and state in FINAL_OUT and times_created[pk] == 0
    )
    unrecorded = sorted(
        pk
        for pk, state in states.items()
        if pk not in stuck and state in NOT_OUT and times_created[pk] > 0
    )
    stuck = sorted(stuck)
    rows = Publication.objects.filter(pk__in=pks, published_at__isnull=False).values_list(
        "scheduled_at", "published_at"
    )
    lateness = [(done - due).total_seconds() for due, done in rows]
    # Each entry into a state that waits for a person is announced (history, e-mail): a
    # publication entering the same one twice was announced twice.
    entries = Counter(
        Publication.history.filter(id__in=pks, state__in=PERSON_STATES)
        .values_list("id", "state")
        .iterator()
    )
    announced_twice = len({pk for (pk, _state), n in entries.items() if n > 1})

    prefix = scenario.name
    say(f"{prefix}_publications", len(pks))
    counts = Counter(states.values())
    for state in sorted(set(counts) | {"published"}):
        say(f"{prefix}_{state}", counts.get(state, 0))
    say(f"{prefix}_duplicates", len(duplicated), "publications")
    say(f"{prefix}_stuck", len(stuck), "publications")
    say(f"{prefix}_lost", len(lost), "publications")
    say(f"{prefix}_unrecorded", len(unrecorded), "publications")
    say(f"{prefix}_announced_twice", announced_twice, "publications")
    say(f"{prefix}_restarts", restarts, "processes")
    if lateness:
        say(f"{prefix}_lateness_max", f"{max(lateness):.1f}", "s")
    problems = {
        "duplicated": duplicated,
        "stuck": stuck,
        "lost": lost,
        "unrecorded": unrecorded,
    }
    bad = {what: found for what, found in problems.items() if found}
    for what, found in bad.items():
        note(f"{prefix}: {what} publications {found[:20]}")
    # A process that ended is a failure even when its restart saved the publications.
    unneeded = restarts - scenario.restarts_caused
    if unneeded > 0:
        note(f"{prefix}: beat or a worker ended {unneeded} time(s) and had to be restarted")
    return not bad and unneeded <= 0


# -- Running --------------------------------------------------------------------------------


def run_scenario(bench: Bench, scenario: Scenario, index: int) -> None:
    from django.utils import timezone

    from publishing.models import Heartbeat, Publication

    note(f"{scenario.name}: {scenario.about}")
    posts_count = 10 if bench.quick else 30
    groups = 2 if bench.quick else 5
    marker = f"chaos{bench.run.marker}s{index}n"
    accounts = setup_accounts(groups, _ScenarioRun(bench.run, index))
    posts = make_posts(
        accounts,
        bench.image,
        count=posts_count,
        label=f"Chaos {scenario.name}",
        text=lambda i: f"Travaux rue des Lilas, phase {i} (réf. {marker}{i}).",
    )

    started = timezone.now()
    bench.beat = start_beat(bench.processes, name=f"{scenario.name}-beat")
    bench.worker = start_workers(
        bench.processes, concurrency=bench.workers, name=f"{scenario.name}-worker"
    )
    require(
        lambda: Heartbeat.objects.filter(beat_at__gt=started).exists(),
        timeout=90,
        what="beat and a worker",
    )
    count = sum(post.variants.count() for post in posts)
    times = scenario.due_times(bench, count)
    # Faults set before scheduling know how many publications each network gets.
    per_network = Counter(
        variant.account.network for post in posts for variant in post.variants.all()
    )
    scenario.before(bench, per_network)
    supervisor = Supervisor(bench, scenario)
    supervisor.start()
    pks = schedule(posts, times)
    number = {post.pk: i for i, post in enumerate(posts)}
    by_marker = {
        (network, f"{marker}{number[post_id]}"): pk
        for pk, post_id, network in Publication.objects.filter(pk__in=pks).values_list(
            "pk", "post_id", "account__network"
        )
    }
    try:
        scenario.during(bench, pks)
        deadline = scenario.deadline(bench)
        if not wait_for(lambda: settled(pks), timeout=deadline, what="the publications", every=1):
            note(f"{scenario.name}: deadline passed ({deadline} s after the fault)")
        stuck = set(
            Publication.objects.filter(pk__in=pks, state__in=IN_FLIGHT).values_list("pk", flat=True)
        )
    finally:
        supervisor.stop()
        scenario.after(bench)
        bench.postgres.set_mode("pass")
        bench.redis.set_mode("pass")
        # Beat and the workers stop (a worker finishes what it is sending): then what
        # Crieur recorded and what the networks received can be compared.
        for process in [bench.beat, bench.worker]:
            bench.processes.stop(process, grace=15)
        bench.processes.kill_orphans()  # pool processes of a worker killed on purpose
    states = dict(Publication.objects.filter(pk__in=pks).values_list("pk", "state"))
    if not measure(bench, scenario, pks, by_marker, states, stuck, supervisor.restarts):
        bench.failed.append(scenario.name)
    # What is left of this scenario must not weigh on the next one.
    Publication.objects.filter(pk__in=pks, state__in=IN_FLIGHT).update(
        state=Publication.State.CANCELLED, claimed_at=None
    )


class _ScenarioRun(Run):
    """The run's marker with the scenario's number: each scenario has its own accounts."""

    def __init__(self, run: Run, index: int):
        self.marker = f"{run.marker}{index}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[s.name for s in SCENARIOS],
        help="run only this scenario (repeatable; default: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer publications, 6 s outages, shorter deadlines"
    )
    parser.add_argument("--workers", type=int, default=4, help="worker pool processes")
    arguments = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not database_url or not redis_url or not database_url.startswith("postgres"):
        raise SystemExit(
            "bench.chaos needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis), e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/crieur_chaos "
            "REDIS_URL=redis://127.0.0.1:6379/8 python -m bench.chaos --quick"
        )
    scenarios = [s for s in SCENARIOS if not arguments.scenario or s.name in arguments.scenario]

    work = Path(tempfile.mkdtemp(prefix="crieur-chaos-"))
    run = Run()
    prefix = f"crieur-chaos-{run.marker}"
    postgres = Proxy(address_of(database_url, 5432)).start()
    redis_proxy = Proxy(address_of(redis_url, 6379)).start()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crieur.settings.dev",
        "DATABASE_URL": with_address(database_url, "127.0.0.1", postgres.port),
        "REDIS_URL": with_address(redis_url, "127.0.0.1", redis_proxy.port),
        "CRIEUR_SANDBOX_URL": f"http://127.0.0.1:{port}",
        "CRIEUR_VAR_DIR": str(work),
        "CRIEUR_CACHE_PREFIX": prefix,
        "CRIEUR_LOG_LEVEL": "WARNING",
        "CRIEUR_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        **ENGINE,
    }
    # This process reaches PostgreSQL and Redis directly (it observes; it is not tested).
    os.environ.update({**env, "DATABASE_URL": database_url, "REDIS_URL": redis_url})
    processes = Processes(env, work)
    bench = None
    started = time.monotonic()
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from tests.factories import ImageFactory, jpeg_file

        call_command("migrate", verbosity=0)
        cancel_leftovers()
        sandbox_url = start_sandbox(processes, port=port, timeout_hold=TIMEOUT_HOLD)
        bench = Bench(
            run=run,
            processes=processes,
            env=env,
            sandbox_url=sandbox_url,
            postgres=postgres,
            redis=redis_proxy,
            quick=arguments.quick,
            workers=arguments.workers,
            outage=6.0 if arguments.quick else 15.0,
        )
        bench.image = ImageFactory(file=jpeg_file(size=(800, 600)))
        timings = ", ".join(f"{k.removeprefix('CRIEUR_').lower()}={v}" for k, v in ENGINE.items())
        note(f"engine: {timings}; sandbox timeout hold {TIMEOUT_HOLD:.0f} s")
        for scenario in scenarios:
            run_scenario(bench, scenario, SCENARIOS.index(scenario))
        say("scenarios", len(scenarios))
        say("scenarios_failed", len(bench.failed))
        say("duration", f"{time.monotonic() - started:.0f}", "s")
    finally:
        processes.stop_all(grace=15)
        postgres.stop()
        redis_proxy.stop()
        _clean_up(redis_url, prefix)
        note(f"logs in {work}")
    if bench is None or bench.failed:
        if bench is not None:
            note(f"failed: {', '.join(bench.failed)}")
        raise SystemExit(1)


def _clean_up(redis_url: str, prefix: str) -> None:
    """Cancel what this run left in flight; forget its cache keys."""
    try:
        from django.db import connections

        cancel_leftovers()
        connections.close_all()
    except Exception as error:  # noqa: BLE001 - the clean-up goes on
        note(f"could not cancel what was left: {error}")
    try:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
    except Exception as error:  # noqa: BLE001
        note(f"could not forget the cache keys: {error}")


if __name__ == "__main__":
    main()
