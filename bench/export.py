"""Export to S3: throughput at 1,000,000 events, and the CONTINUOUS delay.

    .venv/bin/python bench/export.py [--events 1000000] [--trickle 150]

Uses (and if needed creates and seeds) the PostgreSQL database in
BENCH_DATABASE_URL (default .../auditsite_bench_export) and starts moto's S3
server as a subprocess on a free 127.0.0.1 port.

1. Throughput: a new ``ndjson.gz`` location exports every event (runs one
   after another until nothing is left, as the scheduled task does). Printed
   beside the ceiling measured in the same run: the raw keyset ``SELECT`` of
   the same rows in the same batches, turned into SPEC dicts and gzip'd
   NDJSON, with no S3 and no bookkeeping.
2. CONTINUOUS delay: with a real ``qcluster`` running, events are recorded
   at a steady trickle; the delay of each is from its ``recorded_at`` to the
   ``created_at`` of the ExportObject that delivered it (recorded right after
   the PUT succeeded). Prints p50/p99/max.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from bisect import bisect_left
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, django_on, seed_until  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_export"
BUCKET = "bench-export"


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


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--trickle", type=int, default=150, help="seconds")
    parser.add_argument("--rate", type=float, default=5.0, help="events/s")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    django_on(url)
    from django.db import connection
    from django.utils import timezone
    from django_q.models import Schedule

    from audit.models import AuditEvent, Organization, User
    from audit.services import Actor, event_record
    from exports import formats, services
    from exports.destinations import s3
    from exports.models import (
        ExportLocation,
        ExportObject,
        ExportState,
        position_encode,
    )
    from exports.selectors import EXPORT_COLUMNS, ExportRow

    seed_until(args.events)
    ExportLocation.objects.filter(name__startswith="bench-").delete()
    Schedule.objects.filter(name__startswith="export-location-").delete()
    total = AuditEvent.objects.count()

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = start(
        [str(ROOT / ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    )
    cluster = None
    # Other schedules (digests, retention purge) must not run during the bench.
    paused = {s.pk: s.next_run for s in Schedule.objects.all()}
    Schedule.objects.update(next_run=timezone.now() + timedelta(days=1))
    try:
        for _ in range(50):
            try:
                s3.bucket_create(endpoint_url=endpoint, bucket=BUCKET)
                break
            except s3.DestinationError:
                time.sleep(0.2)
        else:
            s3.bucket_create(endpoint_url=endpoint, bucket=BUCKET)

        # 1. The export itself, to moto over HTTP.
        location = services.export_location_create(
            actor=Actor.system(),
            name="bench-throughput",
            bucket=BUCKET,
            path_prefix="throughput",
            endpoint_url=endpoint,
            access_key_id="bench",
            secret_access_key="bench",
            interval="EVERY_DAY",
            file_format="ndjson.gz",
        )
        started = time.perf_counter()
        exported = objects = runs = 0
        while True:
            run = services.export_location_run(location_id=location.pk)
            runs += 1
            if run.status == run.Status.FAILED:
                raise SystemExit(f"export failed: {run.error}")
            if not run.object_count:
                break
            exported += run.events
            objects += run.object_count
        export_s = time.perf_counter() - started
        rate = exported / export_s
        services.export_location_delete(actor=Actor.system(), location=location)

        # 1. The ceiling, after the export (so with a cache at least as warm):
        # raw SELECT + SPEC dicts + gzip'd NDJSON of the same rows, no S3.
        columns = ", ".join(EXPORT_COLUMNS)
        batch = 10_000
        started = time.perf_counter()
        last, rows_seen, gz_bytes = (-1, -1), 0, 0
        with connection.cursor() as cursor:
            while True:
                cursor.execute(
                    f"SELECT {columns} FROM audit_auditevent "
                    "WHERE (txid, seq) > (%s, %s) ORDER BY txid, seq LIMIT %s",
                    [last[0], last[1], batch],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                body = formats.render("ndjson.gz", (ExportRow._make(r) for r in rows))
                gz_bytes += len(body)
                rows_seen += len(rows)
                last = (rows[-1][-2], rows[-1][-1])
        ceiling_s = time.perf_counter() - started
        ceiling = rows_seen / ceiling_s

        print(f"\nExport to S3, {total:,} events, PostgreSQL, moto server over HTTP")
        print(
            f"  ceiling (SELECT + serialize + gzip, no S3): {rows_seen:>9,} events "
            f"in {ceiling_s:6.1f} s = {ceiling:>8,.0f} events/s "
            f"({gz_bytes / 1e6:.0f} MB gzip)"
        )
        print(
            f"  export (ndjson.gz, {objects} objects, {runs} runs):   "
            f"{exported:>9,} events in {export_s:6.1f} s = {rate:>8,.0f} events/s"
        )
        print(f"  export / ceiling: {rate / ceiling:.0%} (target >= 50%)", flush=True)

        # 2. CONTINUOUS: ingest-to-object delay with a real qcluster.
        location = services.export_location_create(
            actor=Actor.system(),
            name="bench-continuous",
            bucket=BUCKET,
            path_prefix="continuous",
            endpoint_url=endpoint,
            access_key_id="bench",
            secret_access_key="bench",
            interval="CONTINUOUS",
            file_format="ndjson.gz",
        )
        newest = AuditEvent.objects.order_by("-txid", "-seq").values_list(
            "txid", "seq"
        )[0]
        ExportState.objects.filter(location=location).update(
            cursor=position_encode(*newest)
        )
        env = {**os.environ, "Q_WORKERS": "2"}
        env.pop("REDIS_URL", None)
        cluster = start([sys.executable, "manage.py", "qcluster"], env=env)
        org = Organization.objects.order_by("created_at").first()
        user = User.objects.order_by("date_joined").first()
        print(
            f"\nCONTINUOUS: recording {args.rate:g} events/s for {args.trickle} s "
            "with qcluster running ...",
            flush=True,
        )
        recorded = {}
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < args.trickle:
            event = event_record(
                event_type="UserMetadataChanged",
                actor=Actor.system(),
                user=user,
                org=org,
                details={"n": n},
            )
            # What audit/services/events.py and audit/ingest.py call once wired.
            services.continuous_notify()
            recorded[(event.txid, event.seq)] = event.recorded_at
            n += 1
            time.sleep(max(0.0, started + n / args.rate - time.monotonic()))
        last_event = max(recorded)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            cursor = ExportState.objects.get(location=location).cursor
            if cursor >= position_encode(*last_event):
                break
            time.sleep(1)
        stop(cluster)
        cluster = None
        objs = list(
            ExportObject.objects.filter(location=location).order_by("position_to")
        )
        ends = [o.position_to for o in objs]
        delays = []
        for pair, at in recorded.items():
            i = bisect_left(ends, position_encode(*pair))
            if i < len(objs):
                delays.append((objs[i].created_at - at).total_seconds())
        services.export_location_delete(actor=Actor.system(), location=location)
        print(
            f"  {len(recorded)} events, {len(delays)} delivered in {len(objs)} objects"
        )
        print(
            f"  ingest-to-object delay: p50 {percentile(delays, 50):.1f} s, "
            f"p99 {percentile(delays, 99):.1f} s, max {max(delays):.1f} s "
            "(target p99 < 60 s)"
        )
    finally:
        if cluster is not None:
            stop(cluster)
        stop(moto)
        for pk, next_run in paused.items():
            Schedule.objects.filter(pk=pk).update(next_run=next_run)


if __name__ == "__main__":
    main()
