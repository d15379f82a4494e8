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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import django_on, seed_until  # noqa: E402
from page_timing import timed_page  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_admin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    django_on(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    seed_until(args.events)
    from django.core.paginator import Paginator
    from django.test import Client
    from django.test.utils import setup_test_environment

    from audit.admin import AuditEventAdmin
    from audit.models import AuditEvent, Organization, User

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

    def measure(params: dict):
        return timed_page(client, "/admin/audit/auditevent/", args.runs, data=params)

    total = AuditEvent.objects.count()
    print(
        f"\nAdmin changelist, {total:,} events, PostgreSQL, median of {args.runs} runs"
    )
    print(
        f"{'page':<18} {'auditsite ms':>13} {'SQL ms':>7} {'queries':>8}"
        f" {'render ms':>10} {'default paginator ms':>21} {'speedup':>8}"
    )
    shipped = {name: measure(params) for name, params in cases.items()}
    AuditEventAdmin.paginator = Paginator
    AuditEventAdmin.show_full_result_count = True
    default = {name: measure(params) for name, params in cases.items()}
    worst = 0.0
    for name in cases:
        page = shipped[name]
        worst = max(worst, page.total)
        ratio = default[name].total / page.total
        print(
            f"{name:<18} {page.total:>13.1f} {page.sql:>7.1f} {page.queries:>8}"
            f" {page.render:>10.1f} {default[name].total:>21.1f} {ratio:>7.1f}x"
        )
    print(f"\nslowest auditsite page: {worst:.1f} ms (target < 100 ms at 10M)")


if __name__ == "__main__":
    main()
