"""Ingestion benchmark: the API under gunicorn beside raw COPY of the same rows.

    .venv/bin/python bench/ingest.py [--batches 60] [--clients 3] [--rounds 3]
        [--workers 4] [--worker-class sync] [--threads 1] [--db bench_ingest]
    .venv/bin/python bench/ingest.py --in-process [--profile]
    .venv/bin/python bench/ingest.py --memory 10,100

Creates its own PostgreSQL database (``--db`` on 127.0.0.1, marked as the
bench's with a comment; a database without that mark is never truncated or
dropped), migrates it, creates an API key, 50 users and 10 orgs.

Default mode: starts gunicorn the way docs/production.md deploys it (4 sync
workers; ``--worker-class gthread --threads N`` to try others) with
``AUDITSITE_INSECURE_HTTP=1`` (DEBUG off would redirect plain HTTP to HTTPS),
then, ``--rounds`` times: posts ``--batches`` batches of 1,000 events from
``--clients`` concurrent keep-alive clients, reads back the rows the API
stored, empties the table and COPYs those same rows with psycopg in one
transaction (``--copy-streams N``: split over N connections at once, each in
its own transaction, a baseline that competes for the cores as the API's
clients do). Each figure is printed beside its COPY from the same round, and
the medians at the end. Request bodies are serialized before the clock
starts.

``--in-process`` posts the batches to the site's WSGI app in this
process (no gunicorn, no network: the app's own cost), ``--profile`` wraps
that in cProfile and prints where the time goes. ``--memory 10,100`` ingests
that many batches in-process and prints tracemalloc's peak while ingesting
the last batch and the memory still held after it, for each count.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import time
import tracemalloc
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    PG,
    free_port,
    gunicorn_arguments,
    gunicorn_config,
    gunicorn_start,
    own_database_check,
    own_database_create,
    own_database_drop,
    posts_timed,
    site_env,
    stop,
)

BATCH = 1000


def truncate(db: str) -> None:
    own_database_check(db, "ingest")
    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        conn.execute("TRUNCATE audit_auditevent")


def setup_django(db: str):
    os.environ.update(site_env(f"{PG}/{db}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditsite.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from audit.apikeys import api_key_create
    from audit.models import Organization, User

    users = [User.objects.create_user(f"bench{n}@example.com", None) for n in range(50)]
    orgs = [
        Organization.objects.create(name=f"Bench Org {n}", slug=f"bench-{n}")
        for n in range(10)
    ]
    _, raw_key = api_key_create(name="bench")
    return users, orgs, raw_key


def make_bodies(users, orgs, count: int, seed: int) -> list[bytes]:
    """``count`` JSON batches of 1,000 events about ``users`` and ``orgs``."""
    rng = random.Random(seed)
    now = time.time()
    types = [("OrgUserAdded", {"role": "Member"}), ("OrgUserRoleChanged", None)]
    bodies = []
    for _ in range(count):
        batch = []
        for _ in range(BATCH):
            user, org = rng.choice(users), rng.choice(orgs)
            event_type, details = rng.choice(types)
            details = details or {"old": "Member", "new": "Admin"}
            batch.append(
                {
                    "id": str(uuid.uuid4()),
                    "user_id": str(user.pk),
                    "user_email": user.email,
                    "org_id": str(org.pk),
                    "event_type": event_type,
                    "event_data": {event_type: details},
                    "created_at": round(now - rng.random() * 86400, 6),
                    "caused_by_source_ip": f"10.0.0.{rng.randrange(256)}",
                }
            )
        bodies.append(json.dumps(batch).encode())
    return bodies


def start_gunicorn(args, db: str, port: int):
    return gunicorn_start(
        port,
        site_env(f"{PG}/{db}"),
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
    )


def workers_memory(server) -> tuple[float, float]:
    """The largest peak (VmHWM) and current (VmRSS) resident MiB of the workers."""
    root = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    peak = current = 0.0
    for pid in root.read_text().split():
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        fields = dict(line.split(":", 1) for line in status)
        peak = max(peak, int(fields["VmHWM"].split()[0]) / 1024)
        current = max(current, int(fields["VmRSS"].split()[0]) / 1024)
    return peak, current


def run_api(port: int, bodies: list[bytes], raw_key: str, clients: int) -> float:
    jobs = [("/api/v1/events/", body) for body in bodies]
    return posts_timed(f"http://127.0.0.1:{port}", raw_key, jobs, clients)


def stored_rows(db: str) -> list[tuple]:
    """The rows the API stored, as COPY takes them (JSON columns as text)."""
    from audit.ingest import COLUMNS
    from audit.spec import JSON_COLUMNS

    select = ", ".join(f"{c}::text" if c in JSON_COLUMNS else c for c in COLUMNS)
    with psycopg.connect(f"{PG}/{db}") as conn:
        return conn.execute(f"SELECT {select} FROM audit_auditevent").fetchall()


def run_copy(db: str, rows: list[tuple], streams: int = 1) -> float:
    """Seconds to COPY ``rows`` over ``streams`` connections at once, each
    its share in one transaction (connections opened before the clock)."""
    from audit.ingest import COLUMNS

    sql = f"COPY audit_auditevent ({', '.join(COLUMNS)}) FROM STDIN"
    shares = [rows[n::streams] for n in range(streams)]
    conns = [psycopg.connect(f"{PG}/{db}") for _ in range(streams)]

    def copy_share(index: int) -> None:
        conn = conns[index]
        with conn.cursor() as cursor, cursor.copy(sql) as copy:
            for row in shares[index]:
                copy.write_row(row)
        conn.commit()

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=streams) as pool:
            list(pool.map(copy_share, range(streams)))
        return time.perf_counter() - started
    finally:
        for conn in conns:
            conn.close()


def count_events(db: str) -> int:
    with psycopg.connect(f"{PG}/{db}") as conn:
        return conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class _Input:
    """A request body as gunicorn's ``wsgi.input`` hands it out: once.

    gunicorn's ``Body`` keeps no bytes it has returned; a ``BytesIO`` would
    keep the whole body alive for as long as the request's environ lives.
    """

    def __init__(self, body: bytes):
        self._body = body

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self._body)
        data, self._body = self._body[:size], self._body[size:]
        return data

    def readline(self, size: int = -1) -> bytes:
        end = self._body.find(b"\n") + 1 or len(self._body)
        return self.read(end if size is None or size < 0 else min(end, size))


def wsgi_poster(raw_key: str):
    """A function posting one body to the site's WSGI app in this process.

    What gunicorn does with a request, without the network: an environ, the
    app called, the response iterated and closed.
    """
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()

    def post(body: bytes) -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/events/",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {raw_key}",
            "wsgi.input": _Input(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        status = []
        response = app(
            environ, lambda line, headers, exc_info=None: status.append(line)
        )
        try:
            content = b"".join(response)
        finally:
            response.close()
        if not status[0].startswith("201"):
            raise RuntimeError(f"{status[0]}: {content[:300]}")

    return post


def in_process(args, db: str, users, orgs, raw_key: str) -> None:
    post = wsgi_poster(raw_key)
    for body in make_bodies(users, orgs, 2, seed=1):
        post(body)  # warm up: imports, the key's cache, the connection
    truncate(db)
    bodies = make_bodies(users, orgs, args.batches, seed=7)
    events = len(bodies) * BATCH
    step(f"posting {events:,} events in-process")
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    for body in bodies:
        post(body)
    if profiler:
        profiler.disable()
    api_seconds = time.perf_counter() - started
    assert count_events(db) == events
    rows = stored_rows(db)
    truncate(db)
    copy_seconds = run_copy(db, rows)
    print(f"cores: {os.cpu_count()}, {events:,} events in batches of {BATCH}")
    print(
        f"in-process API: {events / api_seconds:10,.0f} events/s ({api_seconds:.2f} s)"
    )
    copy_rate = events / copy_seconds
    print(f"raw COPY:       {copy_rate:10,.0f} rows/s   ({copy_seconds:.2f} s)")
    print(f"ratio:          {copy_seconds / api_seconds:10.1%} of COPY")
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)


def memory(args, db: str, users, orgs, raw_key: str) -> None:
    """Peak and held memory (tracemalloc) after each count of batches.

    Each body is made just before it is posted and dropped after, so what
    tracemalloc sees beyond the start is one body and what the app holds.
    """
    post = wsgi_poster(raw_key)
    for body in make_bodies(users, orgs, 2, seed=1):
        post(body)
    counts = sorted(int(n) for n in args.memory.split(","))
    print(f"tracemalloc, in-process (WSGI), batches of {BATCH}")
    print(f"{'batches':>8} {'peak MiB (last batch)':>22} {'held MiB after':>15}")
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for number in range(1, counts[-1] + 1):
        body = make_bodies(users, orgs, 1, seed=number)[0]
        tracemalloc.reset_peak()
        post(body)
        del body
        if number in counts:
            current, peak = tracemalloc.get_traced_memory()
            peak_mib, held_mib = (peak - base) / 2**20, (current - base) / 2**20
            print(f"{number:>8} {peak_mib:>22.1f} {held_mib:>15.1f}", flush=True)
    tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    gunicorn_arguments(parser)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument(
        "--copy-streams",
        type=int,
        default=1,
        help="COPY the rows over this many connections at once (a baseline "
        "that competes for the cores as the API's clients do)",
    )
    parser.add_argument("--db", default="bench_ingest")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--memory", default="", help="batch counts, e.g. 10,100")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    step(f"creating {args.db}")
    own_database_create(args.db, "ingest")
    server = None
    try:
        users, orgs, raw_key = setup_django(args.db)
        if args.memory:
            memory(args, args.db, users, orgs, raw_key)
            return
        if args.in_process or args.profile:
            in_process(args, args.db, users, orgs, raw_key)
            return
        step("preparing events")
        warmup = make_bodies(users, orgs, 2 * args.workers, seed=1)
        port = args.port or free_port()
        step("starting gunicorn")
        server = start_gunicorn(args, args.db, port)
        run_api(port, warmup, raw_key, args.clients)

        events = args.batches * BATCH
        config = gunicorn_config(args.workers, args.worker_class, args.threads)
        print(f"cores: {os.cpu_count()}, {events:,} events in batches of {BATCH}")
        print(f"gunicorn: {config}, {args.clients} concurrent clients")
        print(f"COPY: {args.copy_streams} connection(s) at once")
        print(
            f"{'round':>5} {'API events/s':>13} {'COPY rows/s':>12} {'ratio':>7}"
            f" {'worker peak / now MiB':>22}"
        )
        ratios, api_rates, copy_rates = [], [], []
        for number in range(1, args.rounds + 1):
            bodies = make_bodies(users, orgs, args.batches, seed=number + 7)
            truncate(args.db)
            step(f"round {number}: posting {events:,} events")
            api_seconds = run_api(port, bodies, raw_key, args.clients)
            assert count_events(args.db) == events
            rows = stored_rows(args.db)
            truncate(args.db)
            step(f"round {number}: copying the {len(rows):,} stored rows")
            copy_seconds = run_copy(args.db, rows, args.copy_streams)
            assert count_events(args.db) == events
            api_rates.append(events / api_seconds)
            copy_rates.append(events / copy_seconds)
            ratios.append(copy_seconds / api_seconds)
            peak, now = workers_memory(server)
            print(
                f"{number:>5} {api_rates[-1]:>13,.0f} {copy_rates[-1]:>12,.0f}"
                f" {ratios[-1]:>7.1%} {peak:>14.1f} / {now:.1f}"
            )
        ratio = statistics.median(ratios)
        verdict = "meets" if ratio >= 0.75 else "MISSES"
        print(
            f"median: API {statistics.median(api_rates):,.0f} events/s, COPY "
            f"{statistics.median(copy_rates):,.0f} rows/s, ratio {ratio:.1%} "
            f"({verdict} the 75% target)"
        )
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if server is not None:
            stop(server)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            own_database_drop(args.db, "ingest")


if __name__ == "__main__":
    main()
