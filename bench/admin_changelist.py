"""Admin audit-event changelist at 1,000,000 events on PostgreSQL.

    .venv/bin/python bench/admin_changelist.py [--events 1000000] [--runs 7]

Uses (and if needed creates and seeds) the database in BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/auditsite_bench_admin). For the
unfiltered page and each SPEC filter it prints the median server time of the
changelist as shipped (estimated / capped count) beside the same page with
Django's default paginator (exact COUNT(*) and the full-count query), both
measured in this run through Django's test client (no network).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_admin"


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditsite.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.paginator import Paginator
    from django.test import Client
    from django.test.utils import setup_test_environment

    from audit.admin import AuditEventAdmin
    from audit.models import AuditEvent, Organization, User

    call_command("migrate", verbosity=0)
    have = AuditEvent.objects.count()
    if have < args.events:
        print(f"Seeding {args.events - have} events (once) ...", flush=True)
        started = time.perf_counter()
        call_command(
            "seed_demo",
            events=args.events - have,
            orgs=1000,
            users=5000,
            no_progress=True,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
        print(f"Seeded in {time.perf_counter() - started:.1f} s", flush=True)
    setup_test_environment()
    staff = User.objects.get(email="admin@example.com")
    client = Client()
    client.force_login(staff)
    org = Organization.objects.get(slug="acme")
    sample_user = (
        AuditEvent.objects.filter(org_id=org.pk)
        .exclude(user_id=None)
        .values("user_email")
        .first()
    )
    cases = {
        "unfiltered": {},
        "user (email)": {"user": sample_user["user_email"]},
        "org (slug)": {"org": "acme"},
        "event type": {"event_type": "UserLoginAttempt"},
        "event types (3)": {"event_type": "UserCreated,UserDeleted,OrgUserAdded"},
        "category": {"category": "org"},
        "caused by": {"caused_by_type__exact": "Impersonation"},
        "date range": {"created_after": "2026-10-01", "created_before": "2026-10-07"},
        "search email": {"q": sample_user["user_email"][:6]},
        "page 20": {"p": "20"},
    }

    def measure(params: dict) -> float:
        url = "/admin/audit/auditevent/"
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        samples = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url, params)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        return statistics.median(samples)

    total = AuditEvent.objects.count()
    print(
        f"\nAdmin changelist, {total:,} events, PostgreSQL, median of {args.runs} runs"
    )
    print(
        f"{'page':<18} {'auditsite ms':>13} {'default paginator ms':>21} {'speedup':>8}"
    )
    shipped = {name: measure(params) for name, params in cases.items()}
    AuditEventAdmin.paginator = Paginator
    AuditEventAdmin.show_full_result_count = True
    default = {name: measure(params) for name, params in cases.items()}
    worst = 0.0
    for name in cases:
        worst = max(worst, shipped[name])
        ratio = default[name] / shipped[name]
        print(
            f"{name:<18} {shipped[name]:>13.1f} {default[name]:>21.1f} {ratio:>7.1f}x"
        )
    print(f"\nslowest auditsite page: {worst:.1f} ms (target < 200 ms)")


if __name__ == "__main__":
    main()
