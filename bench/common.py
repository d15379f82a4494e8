"""What the benchmarks share: a PostgreSQL database of their own, seeded once.

Each benchmark is a standalone script (`.venv/bin/python bench/<name>.py`);
this module gives them the same way to point Django at a bench database,
migrate it and seed it with `seed_demo` until it holds enough events.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def ensure_database(url: str) -> None:
    """Create the database named at the end of ``url`` if it does not exist."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# --- databases a benchmark creates for itself and may drop -------------------

PG = "postgres://postgres@127.0.0.1:5432"
OWN_MARK = "auditsite bench: {name}"


def _mark_of(conn, db: str) -> str | None:
    row = conn.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database"
        " WHERE datname = %s",
        [db],
    ).fetchone()
    return None if row is None else row[0]


def own_database_create(db: str, bench: str) -> None:
    """Create ``db`` afresh, marked as ``bench``'s own (a comment on it).

    A database of that name without the mark is someone else's: refused, so
    a mistyped ``--db`` never drops or empties real data. The mark also lets
    the bench TRUNCATE events there (migration 0009 refuses it elsewhere).
    """
    import psycopg

    mark = OWN_MARK.format(name=bench)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        found = _mark_of(conn, db)
        if found is not None and found != mark:
            raise SystemExit(f"{db} exists and is not {bench}'s: not touching it")
        if found is not None:
            conn.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
        conn.execute(f"COMMENT ON DATABASE \"{db}\" IS '{mark}'")
        conn.execute(f'ALTER DATABASE "{db}" SET auditsite.allow_event_truncate = on')


def own_database_check(db: str, bench: str) -> None:
    """Raise ``SystemExit`` unless ``db`` carries ``bench``'s mark."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if _mark_of(conn, db) != OWN_MARK.format(name=bench):
            raise SystemExit(f"{db} is not {bench}'s: not touching it")


def own_database_drop(db: str, bench: str) -> None:
    """Drop ``db`` if it carries ``bench``'s mark (else leave it alone)."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if _mark_of(conn, db) == OWN_MARK.format(name=bench):
            conn.execute(f'DROP DATABASE "{db}" WITH (FORCE)')


def django_on(url: str) -> None:
    """Set Django up on the bench database ``url`` and migrate it.

    In-process benches request pages through Django's test client, which
    speaks plain HTTP: no redirect to https:// (DEBUG is off).
    """
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditsite.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_until(events: int, *, count=None) -> None:
    """Run ``seed_demo`` (1,000 orgs, 5,000 users) until ``count()`` >= ``events``.

    ``count`` defaults to all events; seed_demo puts a tenth in org `acme`,
    so a caller that needs an org this big passes a count of acme's events
    and gets ten times as many in all.
    """
    from django.core.management import call_command

    from audit.models import AuditEvent

    # A bound method is a new object at each attribute access, so "is it the
    # default?" must be asked of the argument, never of ``objects.count``.
    scale = 1 if count is None else 10
    count = count or AuditEvent.objects.count
    have = count()
    if have >= events:
        return
    more = (events - have) * scale + (0 if scale == 1 else 10_000)
    print(f"Seeding {more:,} events (once) ...", flush=True)
    started = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        call_command(
            "seed_demo",
            events=more,
            orgs=1000,
            users=5000,
            no_progress=True,
            stdout=devnull,
        )
    print(f"Seeded in {time.perf_counter() - started:.1f} s", flush=True)


# --- processes the benchmarks start (servers, workers) ---------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(args: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **kwargs,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def site_env(url: str, *, redis_url: str | None = None) -> dict:
    """The environment of the site a bench serves (gunicorn, ``qcluster``):
    the database at ``url``, DEBUG off over plain HTTP (no redirect to
    https://), no API throttle (a bench sends thousands of requests a
    minute), two django-q2 workers; django-q2 on Redis at ``redis_url``
    (``BENCH_REDIS_URL`` when set), or on the ORM broker when it is None."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AUDITSITE_API_THROTTLE_RATE": "",
        "AUDITSITE_INSECURE_HTTP": "1",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "Q_WORKERS": "2",
    }
    env.pop("REDIS_URL", None)
    if redis_url is not None:
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", redis_url)
    return env


def gunicorn_arguments(parser, *, workers: int = 4) -> None:
    """``--workers``, ``--worker-class`` and ``--threads`` for a bench that
    serves the site under gunicorn (docs/production.md: 4 sync workers)."""
    parser.add_argument("--workers", type=int, default=workers)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)


def gunicorn_start(
    port: int,
    env: dict,
    *,
    workers: int = 4,
    worker_class: str = "sync",
    threads: int = 1,
    timeout: float = 180,
) -> subprocess.Popen:
    """Serve ``auditsite.wsgi`` under gunicorn on 127.0.0.1:``port`` with
    ``env`` and wait until ``/healthz`` answers."""
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "auditsite.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--log-level",
        "warning",
        "--graceful-timeout",
        "5",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    server = start(command, env=env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=timeout)
    except BaseException:
        stop(server)
        raise
    return server


def gunicorn_config(workers: int, worker_class: str, threads: int) -> str:
    """How gunicorn was run, for a bench's output: ``4 sync workers``."""
    config = f"{workers} {worker_class} workers"
    if worker_class == "gthread":
        config += f" x {threads} threads"
    return config


def posts_timed(
    base: str, raw_key: str, jobs: list[tuple[str, bytes]], clients: int
) -> float:
    """POST each ``(path, JSON body)`` of ``jobs`` to ``base`` with the API
    key, from ``clients`` concurrent keep-alive sessions; the seconds it
    took. Any answer but 201 Created raises ``RuntimeError``."""
    import requests

    headers = {"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json"}
    sessions = [requests.Session() for _ in range(clients)]

    def send(index: int) -> None:
        path, body = jobs[index]
        response = sessions[index % clients].post(
            base + path, data=body, headers=headers, timeout=120
        )
        if response.status_code != 201:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, range(len(jobs))))
    elapsed = time.perf_counter() - started
    for session in sessions:
        session.close()
    return elapsed


def median_ms(fn, runs: int) -> float:
    """The median of ``runs`` timed calls of ``fn`` in milliseconds, after
    one call to warm it up."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def wait_for_http(url: str, timeout: float = 30) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 (127.0.0.1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def run_until_done(location_id) -> tuple[int, int, int]:
    """Run a location until a run finds nothing (as the schedule would).

    Returns ``(events, objects, runs)``; a failed run ends the benchmark.
    """
    from exports import services

    events = objects = runs = 0
    while True:
        run = services.export_location_run(location_id=location_id)
        runs += 1
        if run.status == run.Status.FAILED:
            raise SystemExit(f"run failed: {run.error}")
        if not run.object_count:
            return events, objects, runs
        events += run.events
        objects += run.object_count


def erase_bench_locations(prefix: str = "bench-") -> None:
    """Erase the bench's own locations and their ledgers (a bench database only).

    The app never erases a location (deleting archives it, and the ledger
    points at it with PROTECT); a bench starting afresh does, bottom up.
    """
    from exports.models import ExportDigest, ExportLocation, ExportObject, ExportRun

    old = ExportLocation.all_objects.filter(name__startswith=prefix)
    digests = ExportDigest.objects.filter(location__in=old)
    digests.update(previous=None)  # the chain protects itself link by link
    digests.delete()
    ExportObject.objects.filter(location__in=old).delete()
    ExportRun.objects.filter(location__in=old).delete()
    old.delete()


# What bench/streams.py's receiver expects as the Datadog key, the Splunk
# token and the webhook's signing secret.
RECEIVER_SECRET = "bench-api-key"


def http_stream_create(kind: str, receiver: str, name: str, interval: str):
    """A new ``kind`` stream (datadog, splunk, webhook) named ``name`` that
    sends to bench/streams.py's receiver at ``receiver``."""
    from audit.services import Actor
    from exports import services

    return services.export_location_create(
        actor=Actor.system(),
        name=name,
        destination=kind,
        endpoint_url=f"{receiver}/hook" if kind == "webhook" else receiver,
        destination_secret=RECEIVER_SECRET,
        interval=interval,
    )


def s3_stream_create(moto: str, bucket: str, name: str, prefix: str, interval: str):
    """A new ``ndjson.gz`` S3 location named ``name`` writing under ``prefix``
    in ``bucket`` of the moto server at ``moto``."""
    from audit.services import Actor
    from exports import services

    return services.export_location_create(
        actor=Actor.system(),
        name=name,
        bucket=bucket,
        path_prefix=prefix,
        endpoint_url=moto,
        access_key_id="bench",
        secret_access_key="bench",
        interval=interval,
        file_format="ndjson.gz",
    )


def api_event_post(api: str, raw_key: str, ident: str, user_id: str) -> None:
    """POST one ``UserMetadataChanged`` event with id ``ident`` about
    ``user_id`` to the ingestion API at ``api``; raises ``OSError`` if it
    is not answered with a success."""
    body = json.dumps(
        {
            "id": ident,
            "user_id": user_id,
            "event_type": "UserMetadataChanged",
            "event_data": {"UserMetadataChanged": {"bench": True}},
        }
    ).encode()
    request = urllib.request.Request(
        f"{api}/api/v1/events/",
        data=body,
        headers={
            "Authorization": f"Bearer {raw_key}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        response.read()
