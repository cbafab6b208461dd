"""bench.publish: the real workers publish 2 000 posts on time, then drain a 2 000 backlog.

Run from the project's root, with PostgreSQL and Redis running:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench.publish

It creates its own database (`crieur_bench`, dropped at the end), uses its own Redis
database (15), starts the sandbox networks, Celery beat and Celery workers as separate
processes, and prints one figure per line:

- on time: 2 000 publications due within one minute, spread evenly; lateness p50, p99
  and max (time the worker started sending minus due time; also when the network took it);
- backlog: 2 000 publications due at the same instant; the drain rate, and the raw rate
  of the same client calls made in a tight loop without Crieur (same run), and the ratio;
- duplicates: posts the sandbox created beyond one per publication, over both phases.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ("x", "facebook", "instagram", "linkedin", "whatsapp")


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


def recreate_database(url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def wait_for(check, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"bench.publish: gave up waiting for {what}")


class Processes:
    """The processes the bench starts; all stopped at the end, whatever happens."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.started = env, logs, []

    def start(self, name: str, *command: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def setup_accounts(groups: int) -> list[dict]:
    """`groups` sets of five accounts, one per network: Instagram allows an account 50
    posts a day, so the bench spreads its posts as a busy institution's services would."""
    from django.utils import timezone

    from publishing.broadcast import BroadcastSetup, Subscriber
    from publishing.models import SocialAccount

    sets = []
    for group in range(groups):
        accounts = {}
        for network in NETWORKS:
            remote_id = str(700_000 + group * 10 + NETWORKS.index(network))
            accounts[network] = SocialAccount.objects.create(
                network=network,
                display_name=f"Bench {network} {group}",
                handle=f"bench_{network}_{group}",
                remote_id=remote_id,
                credentials={"access_token": f"sandbox-{network}-token-{remote_id}"},
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


def make_posts(account_sets, image, *, count: int, label: str) -> list:
    """`count` approved posts, each with a version for the five accounts of one set."""
    from cms.models import Post, PostImage
    from publishing.models import Variant

    posts = []
    for i in range(count):
        accounts = account_sets[i % len(account_sets)]
        text = f"{label} n°{i} : collecte des encombrants, quartier {i % 17}."
        post = Post(title=f"{label} {i}", text=text)
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


def cpu_seconds() -> dict:
    """CPU time used so far by each kind of process on the machine (Linux /proc)."""
    groups = {"sandbox": 0.0, "workers": 0.0, "beat": 0.0, "postgres": 0.0, "redis": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / tick
        if "publishing.sandbox" in command:
            groups["sandbox"] += used
        elif "celery" in command and " worker" in command:
            groups["workers"] += used
        elif "celery" in command and " beat" in command:
            groups["beat"] += used
        elif command.startswith("postgres"):
            groups["postgres"] += used
        elif "redis-server" in command:
            groups["redis"] += used
    return groups


def percentile(values, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def raw_rate(account_sets, image, *, count: int) -> float:
    """The same client calls, in a tight loop, without Crieur (no claim, no Celery)."""
    from publishing import networks

    posts = make_posts(account_sets, image, count=count // len(NETWORKS), label="Brut")
    variants = []
    for post in posts:
        variants.extend(post.live_revision.as_object().variants.all())
    for variant in variants[: len(NETWORKS)]:  # warm the renditions, as Crieur's first sends do
        networks.get(variant.account.network).outgoing(variant)
    started = time.perf_counter()
    for n, variant in enumerate(variants):
        networks.get(variant.account.network).publish(variant, key=f"raw-{n}")
    return len(variants) / (time.perf_counter() - started)


def sandbox_creates(sandbox_url: str) -> dict:
    import requests

    from publishing.sandbox.core import Received

    received = requests.get(f"{sandbox_url}/_sandbox/received", timeout=60).json()["received"]
    counts = dict.fromkeys(NETWORKS, 0)
    for item in received:
        if Received(**item).created_a_post:
            counts[item["network"]] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="publications per phase")
    parser.add_argument("--window", type=float, default=60.0, help="on-time phase, seconds")
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument("--raw", type=int, default=250, help="calls in the raw loop")
    parser.add_argument("--groups", type=int, default=20, help="accounts per network")
    arguments = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not database_url or not redis_url:
        raise SystemExit("bench.publish needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis).")

    work = Path(tempfile.mkdtemp(prefix="crieur-bench-"))
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    redis_bench = urlunsplit((*urlsplit(redis_url)[:2], "/15", "", ""))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crieur.settings.dev",
        "DATABASE_URL": with_database(database_url, "crieur_bench"),
        "REDIS_URL": redis_bench,
        "CRIEUR_SANDBOX_URL": sandbox_url,
        "CRIEUR_VAR_DIR": str(work),
        "CRIEUR_CACHE_PREFIX": "crieur-bench",
        "CRIEUR_INSTAGRAM_POLL_SECONDS": "0.05",
        "CRIEUR_BEAT_SECONDS": "1",
        "CRIEUR_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    recreate_database(database_url, "crieur_bench")
    processes = Processes(env, work)
    try:
        run(arguments, processes, sandbox_url)
    finally:
        processes.stop_all()
        import redis

        redis.Redis.from_url(redis_bench).flushdb()
        from django.db import connections

        connections.close_all()
        recreate_database(database_url, "crieur_bench", drop_only=True)
        note(f"logs in {work}")


def run(arguments, processes: Processes, sandbox_url: str) -> None:
    import django
    import requests

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from publishing.models import Attempt, Publication
    from tests.factories import ImageFactory, jpeg_file

    python = sys.executable
    call_command("migrate", verbosity=0)
    port = str(urlsplit(sandbox_url).port)
    processes.start("sandbox", python, "-m", "publishing.sandbox", "--port", port)
    wait_for(
        lambda: _ok(requests, f"{sandbox_url}/_sandbox/health"), timeout=30, what="the sandbox"
    )
    account_sets = setup_accounts(arguments.groups)
    image = ImageFactory(file=jpeg_file(size=(1200, 900)))

    note("raw loop (no Crieur)")
    raw = raw_rate(account_sets, image, count=arguments.raw)
    requests.post(f"{sandbox_url}/_sandbox/reset", timeout=30)

    per_post = len(NETWORKS)
    note("creating the posts of both phases")
    phase1_posts = make_posts(
        account_sets, image, count=arguments.count // per_post, label="À l'heure"
    )
    phase2_posts = make_posts(
        account_sets, image, count=arguments.count // per_post, label="Arriéré"
    )

    celery = [python, "-m", "celery", "-A", "crieur"]
    processes.start("beat", *celery, "beat", "--loglevel=WARNING", "-s", str(processes.logs / "s"))
    processes.start(
        "worker",
        *celery,
        "worker",
        "--loglevel=WARNING",
        f"--concurrency={arguments.workers}",
        "--without-gossip",
        "--without-mingle",
    )
    time.sleep(8)  # workers and beat are up (their first tick is visible below)

    # Phase 1: due within the window, spread evenly, starting a little ahead.
    count = len(phase1_posts) * per_post
    start = timezone.now() + timedelta(seconds=10)
    step = arguments.window / count
    times = [start + timedelta(seconds=i * step) for i in range(count)]
    note(f"on time: {count} publications due over {arguments.window:.0f} s")
    pks1 = schedule(phase1_posts, times)
    wait_for(lambda: settled(pks1), timeout=arguments.window + 600, what="phase 1")

    rows = list(
        Publication.objects.filter(pk__in=pks1).values_list(
            "pk", "scheduled_at", "published_at", "state"
        )
    )
    first_try = {}
    for pub_id, started in (
        Attempt.objects.filter(publication_id__in=pks1)
        .order_by("started_at")
        .values_list("publication_id", "started_at")
    ):
        first_try.setdefault(pub_id, started)
    lateness = [
        (first_try[pk] - due).total_seconds() for pk, due, _p, _s in rows if pk in first_try
    ]
    taken = [(done - due).total_seconds() for _pk, due, done, _s in rows if done]
    say("on_time_publications", count)
    say("on_time_published", sum(1 for r in rows if r[3] == Publication.State.PUBLISHED))
    say("lateness_p50", f"{statistics.median(lateness):.3f}", "s")
    say("lateness_p99", f"{percentile(lateness, 0.99):.3f}", "s")
    say("lateness_max", f"{max(lateness):.3f}", "s")
    say("accepted_lateness_p99", f"{percentile(taken, 0.99):.3f}", "s")

    # Phase 2: everything due at the same instant.
    count = len(phase2_posts) * per_post
    due = timezone.now() + timedelta(seconds=5)
    note(f"backlog: {count} publications due at once")
    pks2 = schedule(phase2_posts, [due] * count)
    cpu_before = cpu_seconds()
    wait_for(lambda: settled(pks2), timeout=1800, what="phase 2")
    cpu_used = {k: v - cpu_before[k] for k, v in cpu_seconds().items()}
    last = max(
        Publication.objects.filter(pk__in=pks2).values_list("published_at", flat=True),
        key=lambda t: t or due,
    )
    drained = count / (last - due).total_seconds()
    say("backlog_publications", count)
    say(
        "backlog_published",
        Publication.objects.filter(pk__in=pks2, state=Publication.State.PUBLISHED).count(),
    )
    say("drain_rate", f"{drained:.1f}", "publications/s")
    say("raw_rate", f"{raw:.1f}", "publications/s")
    say("ratio", f"{drained / raw:.2f}")
    for group, seconds in cpu_used.items():
        say(f"backlog_cpu_{group}", f"{1000 * seconds / count:.1f}", "ms/publication")

    created = sandbox_creates(sandbox_url)
    expected = {
        network: Publication.objects.filter(
            pk__in=pks1 + pks2,
            account__network=network,
            state__in=[Publication.State.PUBLISHED, Publication.State.UNCONFIRMED],
        ).count()
        for network in NETWORKS
    }
    say("duplicates", sum(max(0, created[n] - expected[n]) for n in NETWORKS))
    say("not_published", sum(len(pks) for pks in (pks1, pks2)) - sum(expected.values()))


def _ok(requests, url) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
