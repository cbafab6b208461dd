"""bench.soak: the demo's stack publishes every minute for hours; nothing dies, is lost or doubled.

Run from the project's root; it needs nothing running (the embedded default):

    .venv/bin/python -m bench.soak --minutes 120        # --minutes 3 for a quick check

It starts what bin/demo starts, the way bin/demo starts it: the embedded default
(SQLite, the file-system broker, the file cache), `manage.py migrate` and `load_demo`,
then the sandbox networks, one Celery worker (2 pool processes), Celery beat and the web
server, all in a temporary folder of its own (CRIEUR_VAR_DIR: database, broker folders,
cache, media, logs) and on free ports. DATABASE_URL and REDIS_URL are ignored.

One sandbox account per network and, for each minute of the run, one approved post
published once on one of them in turn: a publication due every minute, from the first
minute on. Every few seconds it looks at the processes: one that ended is a death; the
end of its log is shown and it is started again, so that the run goes on. A progress
line (`# ...`) every 10 minutes (every minute in runs shorter than 10 minutes). Once the
last publication is due, each one gets a bounded time (`--settle`, 300 s) to reach a
final state, then it prints:

- `due`: publications due during the run;
- `sent`: publications `published`;
- `lost`: due publications not in a final state at the end (still scheduled, frozen or
  publishing), or `published` while the network never created them;
- `duplicated`: publications the network created more than once (the sandbox's
  received requests, found by the marker of their post's text; Instagram's publishing
  request by the container that carried it; a WhatsApp message per recipient);
- `unrecorded`: publications the network created while Crieur holds them as not out
  (failed, missed, cancelled);
- `process_deaths`: processes that ended on their own (sandbox, worker, beat, web);
- one line per other final state, and the lateness (due time to the network's
  acceptance, p50 and max); `web_unanswered`: checks of the web server (one a minute)
  that got no answer.

The exit status is 1 if any publication is lost, duplicated or unrecorded, or any process
died. Everything it started is stopped at the end (also on SIGTERM or Ctrl-C); the
folder is kept for its logs, and its path printed.
"""

import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from ._stack import (
    NETWORKS,
    ROOT,
    Processes,
    Run,
    celery_command,
    free_port,
    make_posts,
    note,
    received,
    require,
    say,
    schedule,
    settled,
    setup_accounts,
    start_sandbox,
    wait_for,
)

MARKER = re.compile(r"soak\d+n\d+")
KEY = re.compile(r"crieur-(\d+)")
NOT_FINAL = ("scheduled", "frozen", "publishing")
NOT_OUT = ("failed", "missed", "cancelled")
WATCH_SECONDS = 2.0
LOG_LINES = 20


class Stack:
    """The demo's processes, as bin/demo starts them; one that ends is counted, shown
    and started again."""

    def __init__(self, processes: Processes, *, web_port: int, sandbox_port: int):
        self.processes, self.sandbox_port = processes, sandbox_port
        self.web = f"http://127.0.0.1:{web_port}"
        self.commands = {
            "worker": celery_command("worker", "--loglevel=WARNING", "--concurrency=2"),
            "beat": celery_command("beat", "--loglevel=WARNING"),
            "web": [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{web_port}",
                "--noreload",
            ],
        }
        self.running: dict = {}
        self.deaths: list[str] = []

    def start(self, name: str) -> None:
        if name == "sandbox":
            start_sandbox(self.processes, port=self.sandbox_port)
            self.running[name] = self.processes.started[-1]
        else:
            self.running[name] = self.processes.start(name, *self.commands[name])

    def start_all(self) -> None:
        for name in ("sandbox", "worker", "beat", "web"):
            self.start(name)

    def check(self) -> None:
        for name, process in list(self.running.items()):
            if process.poll() is None:
                continue
            self.deaths.append(name)
            log = self.processes.logs / f"{name}.log"
            note(f"the {name} process ended (exit status {process.returncode}); end of {log}:")
            for line in _tail(log, LOG_LINES):
                note(f"    {line}")
            self.processes.kill_orphans()  # a dead worker's pool processes
            self.start(name)
            note(f"{name} started again")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=120, help="length of the run")
    parser.add_argument(
        "--settle", type=float, default=300.0, help="seconds given to the last publications"
    )
    arguments = parser.parse_args()
    if arguments.minutes < 1:
        raise SystemExit("bench.soak: --minutes must be at least 1")

    work = Path(tempfile.mkdtemp(prefix="crieur-soak-"))
    web_port, sandbox_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CRIEUR_SANDBOX_URL", "CRIEUR_BASE_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="crieur.settings.dev",
        CRIEUR_VAR_DIR=str(work),
        CRIEUR_INSTITUTION_NAME=env.get("CRIEUR_INSTITUTION_NAME", "Ville de Bourg-sur-Lac"),
        CRIEUR_BASE_URL=f"http://127.0.0.1:{web_port}",
        CRIEUR_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
    )
    for key in {"DATABASE_URL", "REDIS_URL"}:
        os.environ.pop(key, None)
    os.environ.update(env)
    (work / "log").mkdir()
    processes = Processes(env, work / "log")
    # SIGTERM (a `kill`) ends the run as Ctrl-C does: through the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failed = True
    try:
        failed = run(arguments, Stack(processes, web_port=web_port, sandbox_port=sandbox_port))
    finally:
        processes.stop_all(grace=20)
        note(f"logs, database and broker folder in {work}")
    if failed:
        raise SystemExit(1)


def run(arguments, stack: Stack) -> bool:
    """The run; whether it failed."""
    import django

    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo"]):
        with open(stack.processes.logs / "setup.log", "a") as log:
            subprocess.run(  # noqa: S603 - our own commands
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=stack.processes.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
            )
    os.environ["CRIEUR_LOG_LEVEL"] = "WARNING"  # this process only: not each post it makes
    django.setup()
    from django.utils import timezone

    from publishing.models import Heartbeat
    from tests.factories import ImageFactory, jpeg_file

    minutes = arguments.minutes
    soak = Run()
    # Instagram allows an account 50 posts a day: a set of accounts per 200 minutes.
    account_sets = setup_accounts(math.ceil(minutes / 200), soak)
    singles = [{network: accounts[network]} for accounts in account_sets for network in NETWORKS]
    image = ImageFactory(file=jpeg_file(size=(1080, 1080)))
    note(f"making {minutes} approved posts, one per minute of the run")
    posts = make_posts(
        singles,
        image,
        count=minutes,
        label=f"Soak {soak.marker}",
        text=lambda i: f"Collecte des encombrants, quartier {i % 17} (réf. soak{soak.marker}n{i}).",
    )

    started = timezone.now()
    stack.start_all()
    require(
        lambda: Heartbeat.objects.filter(beat_at__gt=started).exists(),
        timeout=120,
        what="beat and the worker",
    )
    first = timezone.now() + timedelta(minutes=1)
    pks = schedule(posts, [first + timedelta(minutes=i) for i in range(minutes)])
    by_marker = _markers(pks, soak)
    note(f"{len(pks)} publications due every minute from {first:%H:%M:%S} UTC")

    every = 60 * (10 if minutes >= 10 else 1)
    last_due = time.monotonic() + 60 * minutes
    next_progress = time.monotonic() + every
    next_web = time.monotonic() + 60
    web_unanswered = 0
    begun = time.monotonic()
    while time.monotonic() < last_due:
        time.sleep(WATCH_SECONDS)
        stack.check()
        if time.monotonic() >= next_web:
            next_web += 60
            web_unanswered += not _answers(stack.web)
        if time.monotonic() >= next_progress:
            next_progress += every
            _progress(pks, stack, web_unanswered, minutes=(time.monotonic() - begun) / 60)

    def settled_watched():
        stack.check()
        return settled(pks)

    if not wait_for(settled_watched, timeout=arguments.settle, what="the last publications"):
        note(f"not all settled {arguments.settle:.0f} s after the last one was due")
    _progress(pks, stack, web_unanswered, minutes=(time.monotonic() - begun) / 60, end=True)
    return _measure(pks, by_marker, stack, web_unanswered)


def _markers(pks: list[int], soak: Run) -> dict:
    """(network, marker of the post's text) -> publication."""
    from publishing.models import Publication

    found = {}
    for pk, text, network in Publication.objects.filter(pk__in=pks).values_list(
        "pk", "post__text", "account__network"
    ):
        (marker,) = MARKER.findall(text)
        found[(network, marker)] = pk
    return found


def _progress(pks, stack: Stack, web_unanswered: int, *, minutes: float, end=False) -> None:
    from django.utils import timezone

    from publishing.models import Publication

    states = Counter(
        Publication.objects.filter(pk__in=pks, scheduled_at__lte=timezone.now()).values_list(
            "state", flat=True
        )
    )
    shown = ", ".join(f"{state} {n}" for state, n in sorted(states.items())) or "none yet"
    when = f"{minutes:.0f} min" + (" (end)" if end else "")
    print(  # noqa: T201 - the bench's output
        f"# {when}: due {sum(states.values())} ({shown}), "
        f"process deaths {len(stack.deaths)}, web unanswered {web_unanswered}",
        flush=True,
    )


def _measure(pks, by_marker: dict, stack: Stack, web_unanswered: int) -> bool:
    from publishing.models import Publication

    states = dict(Publication.objects.filter(pk__in=pks).values_list("pk", "state"))
    created = _created(received(f"http://127.0.0.1:{stack.sandbox_port}"), set(pks), by_marker)
    times_created = Counter()
    for (pk, _recipient), n in created.items():
        times_created[pk] = max(times_created[pk], n)
    lost = sorted(
        pk
        for pk, state in states.items()
        if state in NOT_FINAL or (state == "published" and times_created[pk] == 0)
    )
    duplicated = sorted(pk for pk, n in times_created.items() if n > 1)
    unrecorded = sorted(
        pk for pk, state in states.items() if state in NOT_OUT and times_created[pk]
    )
    rows = Publication.objects.filter(pk__in=pks, published_at__isnull=False).values_list(
        "scheduled_at", "published_at"
    )
    lateness = [(done - due).total_seconds() for due, done in rows]

    counts = Counter(states.values())
    say("due", len(pks))
    say("sent", counts.pop("published", 0))
    say("lost", len(lost))
    say("duplicated", len(duplicated))
    say("unrecorded", len(unrecorded))
    say("process_deaths", len(stack.deaths))
    for state in sorted(set(counts) - set(NOT_FINAL)):
        say(state, counts[state])
    if lateness:
        say("lateness_p50", f"{statistics.median(lateness):.1f}", "s")
        say("lateness_max", f"{max(lateness):.1f}", "s")
    say("web_unanswered", web_unanswered, "checks")
    for what, found in {"lost": lost, "duplicated": duplicated, "unrecorded": unrecorded}.items():
        if found:
            note(f"{what} publications: {found[:20]}")
    if stack.deaths:
        note(f"processes that died: {', '.join(stack.deaths)}")
    return bool(lost or duplicated or unrecorded or stack.deaths)


def _created(items: list[dict], pks: set[int], by_marker: dict) -> Counter:
    """How many times the networks created each publication, per WhatsApp recipient."""
    from networks.sandbox.core import Received

    def payload(item) -> str:
        return json.dumps([item["json"], item["form"], item["query"]], ensure_ascii=False)

    # Instagram publishes a container by its id: the container's request had the marker.
    marker_of_id = {}
    for item in items:
        found, answer = MARKER.findall(payload(item)), item.get("response")
        if found and isinstance(answer, dict) and answer.get("id"):
            marker_of_id[(item["network"], str(answer["id"]))] = found[0]
    created = Counter()
    for item in items:
        if not Received(**item).created_a_post:
            continue
        network, text = item["network"], payload(item)
        keys = [int(key) for key in KEY.findall(text) if int(key) in pks]
        markers = MARKER.findall(text) or [
            marker
            for (where, remote), marker in marker_of_id.items()
            if where == network and f'"{remote}"' in text
        ]
        pk = keys[0] if keys else by_marker.get((network, markers[0])) if markers else None
        if pk is not None:
            recipient = (item["json"] or {}).get("to", "") if network == "whatsapp" else ""
            created[(pk, recipient)] += 1
    return created


def _answers(web: str) -> bool:
    import requests

    try:
        return requests.get(f"{web}/admin/login/", timeout=10).status_code == 200
    except requests.RequestException:
        return False


def _tail(path: Path, lines: int) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError as error:
        return [f"(cannot read it: {error})"]


if __name__ == "__main__":
    main()
