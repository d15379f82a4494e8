"""Ingestion benchmark: the API under gunicorn vs raw COPY of the same rows.

    .venv/bin/python bench/ingest.py [--batches 60] [--clients 3] [--workers 2]

Creates a fresh PostgreSQL database (``auditsite_bench_ingest`` on
127.0.0.1, dropped again at the end), migrates it, creates an API key and a
few users and orgs, starts gunicorn on 127.0.0.1, and posts ``--batches``
batches of 1,000 events from ``--clients`` concurrent keep-alive clients.
Then it truncates the table and COPYs the same rows with psycopg in one
transaction. It prints both rates and their ratio (target: API >= 25% of
COPY). The clients, gunicorn and PostgreSQL share the machine's cores, so
the API figure includes that competition; request bodies are serialized
before the clock starts so the clients cost little.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "auditsite_bench_ingest"
PG = "postgres://postgres@127.0.0.1:5432"
PORT = 8791
BATCH = 1000


def recreate_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def setup_django():
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
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
    api_key, raw_key = api_key_create(name="bench")
    return users, orgs, api_key, raw_key


def make_batches(users, orgs, count: int) -> list[list[dict]]:
    rng = random.Random(7)
    now = time.time()
    types = [("OrgUserAdded", {"role": "Member"}), ("OrgUserRoleChanged", None)]
    batches = []
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
                    "caused_by_source_ip": "10.0.0.1",
                }
            )
        batches.append(batch)
    return batches


def copy_rows(batches, users, orgs, api_key) -> list[tuple]:
    """The rows the API stores for these events, as COPY takes them."""
    names = {org.pk: org.name for org in orgs}
    now = datetime.now(UTC)
    rows = []
    for batch in batches:
        for item in batch:
            event_type = item["event_type"]
            rows.append(
                (
                    item["id"],
                    item["user_id"],
                    item["user_email"],
                    item["org_id"],
                    names[uuid.UUID(item["org_id"])],
                    event_type,
                    "org",
                    json.dumps(item["event_data"]),
                    datetime.fromtimestamp(item["created_at"], tz=UTC),
                    "ApiKey",
                    api_key.prefix,
                    json.dumps({"name": api_key.name}),
                    item["caused_by_source_ip"],
                    "",
                    None,
                    None,
                    now,
                )
            )
    return rows


def start_gunicorn(workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "AUDITSITE_API_THROTTLE_RATE": "",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "auditsite.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "--graceful-timeout",
            "5",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def truncate() -> None:
    with psycopg.connect(f"{PG}/{DB_NAME}", autocommit=True) as conn:
        conn.execute("TRUNCATE audit_auditevent")


def run_api(bodies: list[bytes], raw_key: str, clients: int) -> float:
    url = f"http://127.0.0.1:{PORT}/api/v1/events/"
    headers = {
        "Authorization": f"Bearer {raw_key}",
        "Content-Type": "application/json",
    }
    sessions = [requests.Session() for _ in range(clients)]

    def send(index: int) -> None:
        session = sessions[index % clients]
        response = session.post(url, data=bodies[index], headers=headers, timeout=60)
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, range(len(bodies))))
    elapsed = time.perf_counter() - started
    for session in sessions:
        session.close()
    return elapsed


def run_copy(rows: list[tuple]) -> float:
    from audit.ingest import COLUMNS

    sql = f"COPY audit_auditevent ({', '.join(COLUMNS)}) FROM STDIN"
    with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def count_events() -> int:
    with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
        return conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    step("creating the database")
    recreate_database()
    server = None
    try:
        users, orgs, api_key, raw_key = setup_django()
        step("preparing events")
        batches = make_batches(users, orgs, args.batches + 2)
        warmup, batches = batches[:2], batches[2:]
        bodies = [json.dumps(batch).encode() for batch in batches]
        step("starting gunicorn")
        server = start_gunicorn(args.workers, args.threads)
        step("warming up")
        run_api([json.dumps(b).encode() for b in warmup], raw_key, args.clients)
        truncate()

        events = len(batches) * BATCH
        step(f"posting {events} events")
        api_seconds = run_api(bodies, raw_key, args.clients)
        assert count_events() == events
        api_rate = events / api_seconds

        truncate()
        step(f"copying {events} rows")
        copy_seconds = run_copy(copy_rows(batches, users, orgs, api_key))
        assert count_events() == events
        copy_rate = events / copy_seconds

        print(f"cores: {os.cpu_count()}, events: {events} in batches of {BATCH}")
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads (gthread), "
            f"{args.clients} concurrent clients"
        )
        print(f"API ingest: {api_rate:10,.0f} events/s ({api_seconds:.2f} s)")
        print(f"raw COPY:   {copy_rate:10,.0f} rows/s   ({copy_seconds:.2f} s)")
        ratio = api_rate / copy_rate
        verdict = "meets" if ratio >= 0.25 else "MISSES"
        print(f"ratio:      {ratio:10.1%} of COPY ({verdict} the 25% target)")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        from django.db import connections

        connections.close_all()
        drop_database()


if __name__ == "__main__":
    main()
