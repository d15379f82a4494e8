"""Customer CSV/JSON export of 200,000 rows: streamed in constant memory.

    .venv/bin/python bench/customer_export_memory.py [--rows 200000]

Uses (and if needed creates and seeds) the PostgreSQL database in
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/auditsite_bench_admin,
shared with bench/admin_changelist.py); seeds until the `acme` org holds at
least --rows events. As the org member `member@acme.example` it POSTs the
export of the whole log and of a tenth of it (a date range) both ways the
site can build it, and prints the peak Python memory (tracemalloc) of each
beside the baseline of the same run: the peak of merely holding those rows
in a list, which is what a non-streaming export would need before writing
its first byte.

- streamed: the response itself, consumed as it streams (the threshold
  ``AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD`` set above the rows, as a site
  may set it);
- background: at the default threshold the POST starts a job (302 to its
  page); the job's build (``customer_export_build``, what the django-q2
  worker runs) is run here, in-process, into the default storage.
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
    from django.test.utils import override_settings, setup_test_environment
    from django.urls import reverse

    from audit.models import AuditEvent, CustomerExport, Organization, User
    from audit.services.customer_exports import customer_export_build, export_storage

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
        f"{'export':<30} {'rows':>9} {'MB out':>8} {'s':>6} "
        f"{'peak MiB':>9} {'peak MiB as a list':>19}"
    )

    def streamed(url: str, data: dict, fmt: str) -> tuple[int, int]:
        with override_settings(AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD=10**9):
            response = client.post(url, data)
        assert response.status_code == 200, response.status_code
        size = lines = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        # A CSV row a line under its header; the JSON array is one line, of
        # as many events as the CSV of the same case.
        return size, lines - 1 if fmt == "csv" else None

    def background(url: str, data: dict, fmt: str) -> tuple[int, int]:
        with override_settings(AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD=0):
            response = client.post(url, data)
        assert response.status_code == 302, response.status_code
        job = CustomerExport.objects.latest("created_at")
        job = customer_export_build(export_id=str(job.id))
        assert job.status == CustomerExport.Status.DONE, job.status
        size = export_storage().size(job.file_name)
        export_storage().delete(job.file_name)
        return size, job.written

    counted: dict[str, int] = {}  # each case's rows, from its CSV export
    for name, params in cases.items():
        for fmt in ("csv", "json"):
            for how, export in (("streamed", streamed), ("background", background)):
                data = {key: str(value) for key, value in params.items()}
                url = reverse("org-audit-log-export", args=["acme", fmt])
                tracemalloc.start()
                started = time.perf_counter()
                size, rows = export(url, data, fmt)
                if rows is None:
                    rows = counted[name]
                counted.setdefault(name, rows)
                elapsed = time.perf_counter() - started
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()

                tracemalloc.start()
                held = list(events.order_by("-created_at", "-seq")[:rows])
                _, list_peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                del held
                label = f"{name} {fmt} {how}"
                print(
                    f"{label:<30} {rows:>9,} {size / 1e6:>8.1f} {elapsed:>6.1f} "
                    f"{peak / 2**20:>9.1f} {list_peak / 2**20:>19.1f}"
                )


if __name__ == "__main__":
    main()
