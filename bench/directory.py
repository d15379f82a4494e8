"""Directory API benchmark: users through the API beside ingestion, alternated.

    .venv/bin/python bench/directory.py [--users 100000] [--events 100000]
        [--rounds 5] [--orgs 10000] [--memberships 100000] [--clients 3]
        [--workers 4]

On a fresh PostgreSQL database of its own (``--db``, default ``bench_h20``,
on 127.0.0.1, marked as the bench's and dropped at the end; one without the
mark is never touched) under gunicorn on 127.0.0.1 (docs/production.md's 4
sync workers), every request a batch of 1,000 from ``--clients`` concurrent
keep-alive clients, each item recording its event:

1. Warm-up, not timed: each worker's first requests import the API's
   modules (bench/startup.py), so a few small batches of users and of
   events go first.
2. ``--orgs`` orgs.
3. ``--rounds`` rounds, each posting its share of ``--users`` users, then
   its share of ``--events`` events (through the ingestion API, about the
   users created so far and the orgs): users/s as a share of events/s per
   round, and their median (target: >= 50%).
4. ``--memberships`` members, 1,000 per org in the first orgs.

Request bodies are serialized before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

BATCH = 1000
WARMUP_BATCH = 100


def setup(db: str) -> str:
    os.environ.update(common.site_env(f"{common.PG}/{db}"))
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


def jobs_of(path: str, items: list[dict], size: int = BATCH) -> list[tuple[str, bytes]]:
    """``items`` as POSTs to ``path`` of ``size`` items each."""
    return [
        (path, json.dumps(items[i : i + size]).encode())
        for i in range(0, len(items), size)
    ]


def users_made(count: int, prefix: str) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "email": f"{prefix}{n}@bench.example",
            "first_name": "U",
        }
        for n in range(count)
    ]


def events_about(users: list[dict], orgs: list[dict], count: int) -> list[dict]:
    return [
        {
            "user_id": users[n % len(users)]["id"],
            "org_id": orgs[n % len(orgs)]["id"],
            "event_type": "UserLoginAttempt",
            "event_data": {"UserLoginAttempt": {"outcome": "success"}},
        }
        for n in range(count)
    ]


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--memberships", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=3)
    common.gunicorn_arguments(parser)
    parser.add_argument("--db", default="bench_h20")
    args = parser.parse_args()
    if args.memberships > args.users or args.memberships > args.orgs * BATCH:
        raise SystemExit("--memberships must fit the users and 1,000 per org")
    if args.users % (args.rounds * BATCH) or args.events % (args.rounds * BATCH):
        raise SystemExit("--users and --events must be whole batches in each round")

    step(f"creating {args.db}")
    common.own_database_create(args.db, "directory")
    server = None
    try:
        raw_key = setup(args.db)
        step("preparing bodies")
        users = users_made(args.users, "u")
        orgs = [
            {"id": str(uuid.uuid4()), "name": f"Org {n}", "slug": f"org-{n}"}
            for n in range(args.orgs)
        ]
        warm_users = users_made(2 * args.workers * WARMUP_BATCH, "warm")
        # The users before the events about them: two calls, in that order.
        warmup = (
            jobs_of("/api/v1/users/", warm_users, WARMUP_BATCH),
            jobs_of(
                "/api/v1/events/",
                events_about(warm_users, [{"id": None}], len(warm_users)),
                WARMUP_BATCH,
            ),
        )
        per_round = args.users // args.rounds
        rounds = []
        for number in range(args.rounds):
            chunk = users[number * per_round : (number + 1) * per_round]
            so_far = users[: (number + 1) * per_round]
            events = events_about(so_far, orgs, args.events // args.rounds)
            rounds.append(
                (jobs_of("/api/v1/users/", chunk), jobs_of("/api/v1/events/", events))
            )
        member_jobs = []
        for start_at in range(0, args.memberships, BATCH):
            org = orgs[start_at // BATCH]
            body = [
                {"user_id": u["id"], "role": "Member"}
                for u in users[start_at : start_at + BATCH]
            ]
            member_jobs.append(
                (f"/api/v1/orgs/{org['id']}/members/", json.dumps(body).encode())
            )

        port = common.free_port()
        base = f"http://127.0.0.1:{port}"
        step("starting gunicorn")
        server = common.gunicorn_start(
            port,
            common.site_env(f"{common.PG}/{args.db}"),
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
        )

        def timed(jobs: list[tuple[str, bytes]]) -> float:
            return common.posts_timed(base, raw_key, jobs, args.clients)

        step("warming up the workers")
        for jobs in warmup:
            timed(jobs)

        print(f"cores: {os.cpu_count()}, batches of {BATCH}, {args.clients} clients")
        print(
            "gunicorn: "
            + common.gunicorn_config(args.workers, args.worker_class, args.threads)
        )
        step(f"posting {args.orgs:,} orgs")
        org_jobs = jobs_of("/api/v1/orgs/", orgs)
        seconds = timed(org_jobs)
        print(f"orgs:    {args.orgs / seconds:10,.0f} /s  ({seconds:.2f} s)")

        print(f"{'round':>5} {'users/s':>10} {'events/s':>10} {'ratio':>7}")
        ratios = []
        for number, (user_jobs, event_jobs) in enumerate(rounds, 1):
            step(f"round {number}: users, then events")
            users_rate = per_round / timed(user_jobs)
            events_rate = (args.events // args.rounds) / timed(event_jobs)
            ratios.append(users_rate / events_rate)
            print(
                f"{number:>5} {users_rate:>10,.0f} {events_rate:>10,.0f}"
                f" {ratios[-1]:>7.0%}",
                flush=True,
            )

        step(f"posting {args.memberships:,} members")
        seconds = timed(member_jobs)
        print(f"members: {args.memberships / seconds:10,.0f} /s  ({seconds:.2f} s)")
        ratio = statistics.median(ratios)
        verdict = "meets" if ratio >= 0.5 else "MISSES"
        print(
            f"users/s is {ratio:.0%} of ingestion's events/s, median of "
            f"{args.rounds} alternated rounds ({verdict} the 50% target)"
        )
    finally:
        if server is not None:
            common.stop(server)
        from django.db import connections

        connections.close_all()
        common.own_database_drop(args.db, "directory")


if __name__ == "__main__":
    main()
