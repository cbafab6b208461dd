"""What the benches share: the processes they start (sandbox, Celery beat and workers),
the accounts, posts and publications they make, and how they print their figures.

Each run marks what it creates with a run marker (`Run.marker`): the accounts' remote
ids, handles and the posts' titles are unique to the run, so a bench can run again in
the same database, and what an interrupted run left scheduled is cancelled first
(`cancel_leftovers`) so that the new run's workers do not pick it up.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ("x", "facebook", "instagram", "linkedin", "whatsapp")
BENCH_HANDLE = "bench_"  # every bench account's handle starts with this


def say(name: str, value, unit: str = "") -> None:
    print(f"{name}: {value} {unit}".rstrip(), flush=True)  # noqa: T201


def note(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)  # noqa: T201


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def with_address(url: str, host: str, port: int) -> str:
    """`url` with its host and port replaced (a proxy's), user and path kept."""
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    netloc = f"{user}@{host}:{port}" if user else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def address_of(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def recreate_database(url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def wait_for(check, *, timeout: float, what: str, every: float = 0.2) -> bool:
    """Wait until `check()` is true; False if `timeout` passed first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


def require(check, *, timeout: float, what: str) -> None:
    if not wait_for(check, timeout=timeout, what=what):
        raise SystemExit(f"bench: gave up waiting for {what}")


class Processes:
    """The processes a bench starts; all stopped at the end, whatever happens, within
    a bounded time (SIGTERM, then SIGKILL for what is still there)."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.started = env, logs, []

    def start(self, name: str, *command: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "a")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command,
            cwd=ROOT,
            env=env or self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the child has its own copy
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen, *, grace: float = 20) -> None:
        self._signal(process, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal(process, signal.SIGKILL)
            process.wait(timeout=10)
        self._signal(process, signal.SIGKILL)  # orphans left in its group

    def kill_orphans(self) -> None:
        """Kill what is left in the groups of processes that already ended (the pool
        processes of a worker killed on purpose)."""
        for process in self.started:
            if process.poll() is not None:
                self._signal(process, signal.SIGKILL)

    def stop_all(self, *, grace: float = 20) -> None:
        for process in self.started:
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for process in self.started:
            self._signal(process, signal.SIGKILL)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                note(f"process {process.pid} did not end")

    @staticmethod
    def _signal(process: subprocess.Popen, signum: int) -> None:
        try:
            os.killpg(process.pid, signum)  # its own session: the group is its own
        except (ProcessLookupError, PermissionError):
            pass


def start_sandbox(processes: Processes, *, port: int, timeout_hold: float = 2.0) -> str:
    import requests

    url = f"http://127.0.0.1:{port}"
    processes.start(
        "sandbox",
        sys.executable,
        "-m",
        "networks.sandbox",
        "--port",
        str(port),
        "--timeout-hold",
        str(timeout_hold),
        "--keep",  # every request: the benchmarks count what each network created
        "0",
    )
    require(lambda: _ok(requests, f"{url}/_sandbox/health"), timeout=30, what="the sandbox")
    return url


def celery_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "crieur", *arguments]


def start_beat(processes: Processes, *, name: str = "beat", env: dict | None = None):
    return processes.start(
        name,
        *celery_command("beat", "--loglevel=WARNING", "-s", str(processes.logs / f"{name}-s")),
        env=env,
    )


def start_workers(
    processes: Processes, *, concurrency: int, name: str = "worker", env: dict | None = None
):
    return processes.start(
        name,
        *celery_command(
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={name}-{secrets.token_hex(3)}@%h",
        ),
        env=env,
    )


class Run:
    """This run's marker, unique among runs: it makes the run's rows its own."""

    def __init__(self):
        self.marker = f"{int(time.time()) % 10**7:07d}{secrets.randbelow(100):02d}"

    def remote_id(self, group: int, network: str) -> str:
        return f"9{self.marker}{group:03d}{NETWORKS.index(network)}"

    def handle(self, network: str, group: int) -> str:
        return f"{BENCH_HANDLE}{network}_{self.marker}_{group}"


def cancel_leftovers() -> int:
    """Cancel what earlier bench runs left scheduled or in flight, on bench accounts only,
    so that this run's workers leave it alone."""
    from publishing.models import Publication

    return Publication.objects.filter(
        account__handle__startswith=BENCH_HANDLE,
        state__in=[Publication.State.SCHEDULED, Publication.State.PUBLISHING],
    ).update(state=Publication.State.CANCELLED, claimed_at=None)


def setup_accounts(groups: int, run: Run, *, cutoff=None) -> list[dict]:
    """`groups` sets of five accounts, one per network: Instagram allows an account 50
    posts a day, so the bench spreads its posts as a busy institution's services would."""
    from django.utils import timezone

    from networks.models import SocialAccount
    from publishing.broadcast import BroadcastSetup, Subscriber

    sets = []
    for group in range(groups):
        accounts = {}
        for network in NETWORKS:
            remote_id = run.remote_id(group, network)
            accounts[network] = SocialAccount.objects.create(
                network=network,
                display_name=f"Bench {network} {group}",
                handle=run.handle(network, group),
                remote_id=remote_id,
                credentials={"access_token": f"sandbox-{network}-token-{remote_id}"},
                cutoff=cutoff,
            )
        BroadcastSetup.objects.create(account=accounts["whatsapp"], template_name="actualites")
        Subscriber.objects.create(
            account=accounts["whatsapp"],
            phone=f"+336123456{group:02d}",
            opted_in_at=timezone.now(),
            source="keyword",
        )
        sets.append(accounts)
    return sets


def make_posts(account_sets, image, *, count: int, label: str, text=None) -> list:
    """`count` approved posts, each with a version for the five accounts of one set.
    `text(i)` gives the i-th post's text (by default a numbered one from `label`)."""
    from cms.models import Post, PostImage, Variant

    posts = []
    for i in range(count):
        accounts = account_sets[i % len(account_sets)]
        body = text(i) if text else f"{label} n°{i} : collecte des encombrants, quartier {i % 17}."
        post = Post(title=f"{label} {i}", text=body)
        if image is not None:
            post.images = [PostImage(image=image, alt_text="Un camion de collecte.")]
        post.variants = [Variant(account=account) for account in accounts.values()]
        post.save()
        post.save_revision().publish()
        post.refresh_from_db()
        posts.append(post)
    return posts


def schedule(posts, times) -> list[int]:
    from cms.models import Post
    from publishing.models import Publication

    revisions = dict(
        Post.objects.filter(pk__in=[p.pk for p in posts]).values_list("pk", "live_revision")
    )
    rows, slots = [], iter(times)
    for post in posts:
        for variant in post.variants.all():
            rows.append(
                Publication(
                    post_id=post.pk,
                    revision_id=revisions[post.pk],
                    account_id=variant.account_id,
                    scheduled_at=next(slots),
                )
            )
    return [p.pk for p in Publication.objects.bulk_create(rows)]


def settled(pks) -> bool:
    from publishing.models import Publication

    return not Publication.objects.filter(
        pk__in=pks,
        state__in=[Publication.State.SCHEDULED, Publication.State.PUBLISHING],
    ).exists()


def received(sandbox_url: str) -> list[dict]:
    import requests

    return requests.get(f"{sandbox_url}/_sandbox/received", timeout=60).json()["received"]


def sandbox_creates(sandbox_url: str) -> dict:
    from networks.sandbox.core import Received

    counts = dict.fromkeys(NETWORKS, 0)
    for item in received(sandbox_url):
        if Received(**item).created_a_post:
            counts[item["network"]] += 1
    return counts


def _ok(requests, url) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False
