"""The retention purge at scale: one day's expiry, beside a single DELETE.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench10m_purge \
        .venv/bin/python bench/purge.py --events 10000000

Uses (and if it is empty, seeds once) the database in
BENCH_DATABASE_URL (default .../auditsite_bench_purge). The purge deletes,
so point it at a copy of a seeded database
(``createdb -T bench10m bench10m_purge``), never at one other benchmarks
read. Each run:

1. Catches up (untimed, printed): the seed spreads every org over 90 days,
   so the first run removes everything past each plan's window.
2. Times the purge of the next day of expiry (``now`` one day past the
   point the data stands at): about 1/90 of the table. Meanwhile one client
   ingests batches of 100 events through the API (Django's test client, the
   real view and its COPY) and the longest batch is printed: the purge must
   never hold a lock that makes ingestion wait (target: no batch over 1 s).
3. Baseline in the same run: the next day after that removed with one
   ``DELETE`` statement (as the table's owner, rolled back so the data
   stays), with the same ingestion beside it.

Target: step 2 under 30 s at 10,000,000 events.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import django_on, seed_until  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_purge"
TARGET_SECONDS = 30
INGEST_BATCH = 100


class Ingester(threading.Thread):
    """Posts event batches to the API until stopped; records each batch's time."""

    def __init__(self, raw_key: str, org, user):
        super().__init__(daemon=True)
        self.raw_key, self.org, self.user = raw_key, org, user
        self.stop = threading.Event()
        self.seconds: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        from django.db import connection
        from django.test import Client

        client = Client()
        try:
            while not self.stop.is_set():
                body = [
                    {
                        "id": str(uuid.uuid4()),
                        "user_id": str(self.user.pk),
                        "user_email": self.user.email,
                        "org_id": str(self.org.pk),
                        "event_type": "OrgUserAdded",
                        "event_data": {"OrgUserAdded": {"role": "Member"}},
                    }
                    for _ in range(INGEST_BATCH)
                ]
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/events/",
                    data=body,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {self.raw_key}",
                )
                self.seconds.append(time.perf_counter() - started)
                if response.status_code != 201:
                    self.failures.append(f"{response.status_code} {response.content!r}")
                time.sleep(0.05)
        finally:
            connection.close()

    def summary(self) -> str:
        if not self.seconds:
            return "no batch"
        ms = sorted(s * 1000 for s in self.seconds)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        return (
            f"{len(ms)} batches of {INGEST_BATCH}, median {statistics.median(ms):.0f}"
            f" ms, p99 {p99:.0f} ms, longest {ms[-1]:.0f} ms"
            + (f", {len(self.failures)} FAILED" if self.failures else "")
        )


def with_ingestion(raw_key, org, user, work):
    """Run ``work()`` while an ``Ingester`` posts batches; (result, ingester)."""
    ingester = Ingester(raw_key, org, user)
    ingester.start()
    time.sleep(0.5)
    try:
        result = work()
    finally:
        ingester.stop.set()
        ingester.join()
    return result, ingester


def data_stands_at():
    """The ``now`` at which the data was last purged (or the real now)."""
    from django.db.models import Min
    from django.utils import timezone

    from audit.models import RETENTION_DAYS, AuditEvent, Organization, Plan

    now = timezone.now()
    free = Organization.objects.filter(plan=Plan.FREE).values("id")
    oldest = AuditEvent.objects.filter(org_id__in=free).aggregate(Min("created_at"))
    oldest = oldest["created_at__min"]
    if oldest is None:
        return now
    return max(now, oldest + timedelta(days=RETENTION_DAYS[Plan.FREE]))


def single_delete_seconds(now) -> tuple[float, int]:
    """One DELETE of what a purge at ``now`` removes, rolled back: (s, rows)."""
    from django.db import connection, transaction

    from audit.models import AuditEvent
    from exports.retention import expired_q

    sql, params = (
        AuditEvent.objects.filter(expired_q(now=now))
        .values("seq")
        .query.sql_with_params()
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL auditsite.allow_event_delete = 'on'")
        started = time.perf_counter()
        cursor.execute(f"DELETE FROM audit_auditevent WHERE seq IN ({sql})", params)
        seconds, rows = time.perf_counter() - started, cursor.rowcount
        transaction.set_rollback(True)
    return seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()

    django_on(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    from django.conf import settings

    from audit.apikeys import api_key_create
    from audit.models import AuditEvent, Organization, User
    from audit.selectors import estimated_row_count
    from exports.retention import events_purge

    # Seeded once, when empty: every run purges, so it is never topped up.
    if not AuditEvent.objects.exists():
        seed_until(args.events)

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [],
    }
    settings.ALLOWED_HOSTS = ["*"]
    _, raw_key = api_key_create(name=f"bench-purge-{uuid.uuid4().hex[:6]}")
    org = Organization.objects.get(slug="acme")
    user = User.objects.filter(memberships__org=org).first()
    print(f"~{estimated_row_count(AuditEvent):,} events in the table")

    stands = data_stands_at()
    started = time.perf_counter()
    report = events_purge(now=stands)
    print(
        f"catch-up purge at {stands:%Y-%m-%d %H:%M}: {report.removed:,} events in "
        f"{time.perf_counter() - started:.1f} s (untimed setup)"
    )

    day = stands + timedelta(days=1)
    started = time.perf_counter()
    report, ingester = with_ingestion(raw_key, org, user, lambda: events_purge(now=day))
    purge_seconds = time.perf_counter() - started - 0.5
    print(
        f"\npurge, one day of expiry:  {report.removed:>9,} events in "
        f"{purge_seconds:6.1f} s (target < {TARGET_SECONDS} s)"
    )
    print(f"  ingestion meanwhile: {ingester.summary()}")

    (seconds, rows), ingester = with_ingestion(
        raw_key, org, user, lambda: single_delete_seconds(day + timedelta(days=1))
    )
    print(
        f"single DELETE, next day:   {rows:>9,} events in {seconds:6.1f} s"
        " (rolled back; one transaction holding every row lock)"
    )
    print(f"  ingestion meanwhile: {ingester.summary()}")


if __name__ == "__main__":
    main()
