"""Directory API benchmark: users, orgs, members through the API beside ingestion.

    .venv/bin/python bench/directory.py [--users 100000] [--orgs 10000]
        [--memberships 100000] [--events 60000] [--clients 3] [--workers 4]

On a fresh PostgreSQL database of its own (``--db``, default ``bench_h20``,
on 127.0.0.1, marked as the bench's and dropped at the end; one without the
mark is never touched) under gunicorn on 127.0.0.1 (docs/production.md's 4
sync workers), posts ``--users`` users, then ``--orgs`` orgs, then
``--memberships`` members (1,000 per org, in the first orgs) in batches of
1,000 from ``--clients`` concurrent keep-alive clients; each item records
its event. Then, in the same run, ingests ``--events`` events about those
users and orgs through the ingestion API the same way. Prints each rate and
users/s as a share of ingestion's events/s (target: >= 50%).
Request bodies are serialized before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    PG,
    ROOT,
    free_port,
    own_database_create,
    own_database_drop,
    start,
    stop,
    wait_for_http,
)

BATCH = 1000


def setup(db: str) -> str:
    os.environ["DATABASE_URL"] = f"{PG}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditsite.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from audit.apikeys import api_key_create

    _, raw_key = api_key_create(
        name="bench-directory",
        scopes=["directory:write", "directory:read", "events:write"],
    )
    return raw_key


def batches(items: list[dict]) -> list[bytes]:
    return [
        json.dumps(items[i : i + BATCH]).encode() for i in range(0, len(items), BATCH)
    ]


def post_all(base: str, key: str, jobs: list[tuple[str, bytes]], clients: int):
    """POST each (path, body) with ``clients`` concurrent sessions; seconds taken."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    sessions = [requests.Session() for _ in range(clients)]

    def send(index: int) -> None:
        path, body = jobs[index]
        session = sessions[index % clients]
        response = session.post(base + path, data=body, headers=headers, timeout=120)
        if response.status_code != 201:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, range(len(jobs))))
    elapsed = time.perf_counter() - started
    for session in sessions:
        session.close()
    return elapsed


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--memberships", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--clients", type=int, default=3)
    # docs/production.md's gunicorn: 4 sync workers (as bench/ingest.py).
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--db", default="bench_h20")
    args = parser.parse_args()
    if args.memberships > args.users or args.memberships > args.orgs * BATCH:
        raise SystemExit("--memberships must fit the users and 1,000 per org")

    step(f"creating {args.db}")
    own_database_create(args.db, "directory")
    server = None
    try:
        raw_key = setup(args.db)
        step("preparing bodies")
        users = [
            {"id": str(uuid.uuid4()), "email": f"u{n}@bench.example", "first_name": "U"}
            for n in range(args.users)
        ]
        orgs = [
            {"id": str(uuid.uuid4()), "name": f"Org {n}", "slug": f"org-{n}"}
            for n in range(args.orgs)
        ]
        member_jobs = []
        for start_at in range(0, args.memberships, BATCH):
            org = orgs[start_at // BATCH]
            chunk = users[start_at : start_at + BATCH]
            body = [{"user_id": u["id"], "role": "Member"} for u in chunk]
            member_jobs.append(
                (f"/api/v1/orgs/{org['id']}/members/", json.dumps(body).encode())
            )
        events = [
            {
                "user_id": users[n % len(users)]["id"],
                "org_id": orgs[n % len(orgs)]["id"],
                "event_type": "UserLoginAttempt",
                "event_data": {"UserLoginAttempt": {"outcome": "success"}},
            }
            for n in range(args.events)
        ]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        step("starting gunicorn")
        server = start(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "auditsite.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--worker-class",
                args.worker_class,
                "--threads",
                str(args.threads),
                "--log-level",
                "warning",
            ],
            env={
                **os.environ,
                "DATABASE_URL": f"{PG}/{args.db}",
                "AUDITSITE_API_THROTTLE_RATE": "",
                # DEBUG off redirects plain HTTP to HTTPS unless told otherwise.
                "AUDITSITE_INSECURE_HTTP": "1",
                "DEBUG": "0",
            },
        )
        wait_for_http(f"{base}/healthz", timeout=180)

        rates = {}
        for label, jobs, count in (
            ("users", [("/api/v1/users/", b) for b in batches(users)], args.users),
            ("orgs", [("/api/v1/orgs/", b) for b in batches(orgs)], args.orgs),
            ("members", member_jobs, args.memberships),
            ("events", [("/api/v1/events/", b) for b in batches(events)], args.events),
        ):
            step(f"posting {count:,} {label}")
            seconds = post_all(base, raw_key, jobs, args.clients)
            rates[label] = (count / seconds, seconds)

        print(f"cores: {os.cpu_count()}, batches of {BATCH}, {args.clients} clients")
        print(
            f"gunicorn: {args.workers} {args.worker_class} workers"
            + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
        )
        for label, (rate, seconds) in rates.items():
            print(f"{label + ':':9} {rate:10,.0f} /s  ({seconds:.2f} s)")
        ratio = rates["users"][0] / rates["events"][0]
        verdict = "meets" if ratio >= 0.5 else "MISSES"
        print(
            f"users/s is {ratio:.0%} of ingestion's events/s ({verdict} the 50% target)"
        )
    finally:
        if server is not None:
            stop(server)
        from django.db import connections

        connections.close_all()
        own_database_drop(args.db, "directory")


if __name__ == "__main__":
    main()
