"""bench.publish: the real workers publish 2 000 posts on time, then drain a 2 000 backlog.

Run from the project's root, with PostgreSQL and Redis running:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench.publish

It creates its own database (`crieur_bench`, dropped at the end), uses its own Redis
database (15), starts the sandbox networks, Celery beat and Celery workers as separate
processes, and prints one figure per line. With `--in-place` it uses the database and
the Redis database of DATABASE_URL and REDIS_URL as they are instead (migrated, never
dropped nor flushed): its rows carry a marker of their own run, so it can run again in
the same database, and what an interrupted run left scheduled is cancelled first.

- on time: 2 000 publications due within one minute, spread evenly; lateness p50, p99
  and max (time the worker started sending minus due time; also when the network took it);
- backlog: 2 000 publications due at the same instant; the drain rate, and the raw rate
  of the same client calls made in a tight loop without Crieur (same run), and the ratio;
- duplicates: posts the sandbox created beyond one per publication, over both phases.
"""

import argparse
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ._stack import (
    NETWORKS,
    Processes,
    Run,
    cancel_leftovers,
    free_port,
    make_posts,
    note,
    recreate_database,
    require,
    sandbox_creates,
    say,
    schedule,
    settled,
    setup_accounts,
    start_beat,
    start_sandbox,
    start_workers,
    with_database,
)

BENCH_DATABASE = "crieur_bench"


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
        if "networks.sandbox" in command:
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
    import networks
    from cms.adaptation import outgoing

    posts = make_posts(account_sets, image, count=count // len(NETWORKS), label="Brut")
    variants = []
    for post in posts:
        variants.extend(post.live_revision.as_object().variants.all())
    for variant in variants[: len(NETWORKS)]:  # warm the renditions, as Crieur's first sends do
        outgoing(variant)
    started = time.perf_counter()
    for n, variant in enumerate(variants):
        networks.get(variant.account.network).publish(
            outgoing(variant), account=variant.account, key=f"raw-{n}"
        )
    return len(variants) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="publications per phase")
    parser.add_argument("--window", type=float, default=60.0, help="on-time phase, seconds")
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument("--raw", type=int, default=250, help="calls in the raw loop")
    parser.add_argument("--groups", type=int, default=20, help="accounts per network")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="use DATABASE_URL's database and REDIS_URL's Redis database as they are "
        f"(default: create and drop {BENCH_DATABASE}, flush Redis database 15)",
    )
    arguments = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not database_url or not redis_url:
        raise SystemExit("bench.publish needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis).")

    work = Path(tempfile.mkdtemp(prefix="crieur-bench-"))
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    in_place = arguments.in_place
    run_marker = Run()
    redis_bench = redis_url if in_place else urlunsplit((*urlsplit(redis_url)[:2], "/15", "", ""))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crieur.settings.dev",
        "DATABASE_URL": database_url if in_place else with_database(database_url, BENCH_DATABASE),
        "REDIS_URL": redis_bench,
        "CRIEUR_SANDBOX_URL": sandbox_url,
        "CRIEUR_VAR_DIR": str(work),
        "CRIEUR_CACHE_PREFIX": f"crieur-bench-{run_marker.marker}",
        "CRIEUR_INSTAGRAM_POLL_SECONDS": "0.05",
        "CRIEUR_BEAT_SECONDS": "1",
        "CRIEUR_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    if not in_place:
        recreate_database(database_url, BENCH_DATABASE)
    processes = Processes(env, work)
    try:
        run(arguments, processes, port, run_marker)
    finally:
        processes.stop_all()
        from django.db import connections

        if in_place:
            try:
                cancel_leftovers()  # what is left of this run, if it was interrupted
            except Exception as error:  # noqa: BLE001 - the clean-up goes on
                note(f"could not cancel what was left: {error}")
            connections.close_all()
        else:
            import redis

            redis.Redis.from_url(redis_bench).flushdb()
            connections.close_all()
            recreate_database(database_url, BENCH_DATABASE, drop_only=True)
        note(f"logs in {work}")


def run(arguments, processes: Processes, port: int, run_marker: Run) -> None:
    import django
    import requests

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from publishing.models import Attempt, Publication
    from tests.factories import ImageFactory, jpeg_file

    call_command("migrate", verbosity=0)
    cancel_leftovers()
    sandbox_url = start_sandbox(processes, port=port)
    account_sets = setup_accounts(arguments.groups, run_marker)
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

    start_beat(processes)
    start_workers(processes, concurrency=arguments.workers)
    time.sleep(8)  # workers and beat are up (their first tick is visible below)

    # Phase 1: due within the window, spread evenly, starting a little ahead.
    count = len(phase1_posts) * per_post
    start = timezone.now() + timedelta(seconds=10)
    step = arguments.window / count
    times = [start + timedelta(seconds=i * step) for i in range(count)]
    note(f"on time: {count} publications due over {arguments.window:.0f} s")
    pks1 = schedule(phase1_posts, times)
    require(lambda: settled(pks1), timeout=arguments.window + 600, what="phase 1")

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
    require(lambda: settled(pks2), timeout=1800, what="phase 2")
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


if __name__ == "__main__":
    main()
