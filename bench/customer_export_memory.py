"""Customer CSV/JSON export of 200,000 rows: streamed in constant memory.

    .venv/bin/python bench/customer_export_memory.py [--rows 200000]

Uses (and if needed creates and seeds) the PostgreSQL database in
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/auditsite_bench_admin,
shared with bench/admin_changelist.py); seeds until the `acme` org holds at
least --rows events. As the org member `member@acme.example` it POSTs the
export of the whole log and of a tenth of it (a date range), consumes the
streamed response, and prints the peak Python memory (tracemalloc) of each
beside the baseline of the same run: the peak of merely holding those rows
in a list, which is what a non-streaming export would need before writing
its first byte.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import django_on, seed_until  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_admin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()

    django_on(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from audit.models import AuditEvent, Organization, User

    def acme_events() -> int:
        org = Organization.objects.filter(slug="acme").first()
        return AuditEvent.objects.filter(org_id=org.pk).count() if org else 0

    seed_until(args.rows, count=acme_events)
    org = Organization.objects.get(slug="acme")
    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(email="member@acme.example"))
    events = AuditEvent.objects.filter(org_id=org.pk)
    newest = events.order_by("-created_at").values_list("created_at", flat=True)[0]
    cases = {
        "whole log": {},
        "last 9 days": {"created_after": newest.date() - timedelta(days=8)},
    }

    print(f"\nCustomer export, org acme ({events.count():,} events), PostgreSQL")
    print(
        f"{'export':<22} {'rows':>9} {'MB out':>8} {'s':>6} "
        f"{'peak MiB streamed':>18} {'peak MiB as a list':>19}"
    )
    for name, params in cases.items():
        for fmt in ("csv", "json"):
            data = {key: str(value) for key, value in params.items()}
            tracemalloc.start()
            started = time.perf_counter()
            response = client.post(
                reverse("org-audit-log-export", args=["acme", fmt]), data
            )
            assert response.status_code == 200, response.status_code
            size = lines = 0
            for chunk in response.streaming_content:
                size += len(chunk)
                lines += chunk.count(b"\n")
            elapsed = time.perf_counter() - started
            _, streamed_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()

            rows = lines - 1 if fmt == "csv" else lines - 2
            tracemalloc.start()
            held = list(events.order_by("-created_at", "-seq")[:rows])
            _, list_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            del held
            print(
                f"{name + ' ' + fmt:<22} {rows:>9,} {size / 1e6:>8.1f} {elapsed:>6.1f} "
                f"{streamed_peak / 2**20:>18.1f} {list_peak / 2**20:>19.1f}"
            )


if __name__ == "__main__":
    main()
