"""Export to S3: throughput beside the minimum work for the same events.

    python bench/export.py [--events 300000] [--rounds 3]

Uses (and if needed creates and seeds) the PostgreSQL database in
BENCH_DATABASE_URL (default .../auditsite_bench_export) and starts moto's S3
server as a subprocess on a free 127.0.0.1 port.

A new ``ndjson.gz`` location exports every event (runs one after another
until nothing is left, as the scheduled task does). Printed beside the
ceiling measured in the same run: the raw keyset ``SELECT`` of the same rows
in batches of 10,000 (``created_at`` as epoch seconds and the ids as text in
SQL), ``orjson`` per row (the JSON columns as the database's text), gzip
level 6 and a PUT of each batch to the same moto server: the minimum work,
with no ledger, cursor or day partitions. The two alternate ``--rounds``
times and their medians are compared. Target: >= 80% of the ceiling.

CONTINUOUS delivery (commit to delivered, both brokers, every destination)
is bench/continuous.py's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    django_on,
    erase_bench_locations,
    free_port,
    run_until_done,
    s3_stream_create,
    seed_until,
    start,
    stop,
    wait_for_http,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_export"
BUCKET = "bench-export"
BIN = Path(sys.executable).parent


def throughput(*, endpoint: str, total: int, rounds: int) -> None:
    """Export every event once per round; print it beside this run's ceiling.

    The export and the ceiling alternate, ``rounds`` times each (every round
    exports with a new location), and the medians are compared: on a shared
    2-core machine a single pair is at the mercy of whatever else ran
    during one of its halves.
    """
    import statistics

    export_times, ceiling_times = [], []
    for number in range(1, rounds + 1):
        exported, objects, runs, seconds = _export_once(endpoint, number)
        export_times.append(seconds)
        rows_seen, gz_bytes, ceiling_s = _ceiling_once(endpoint, number)
        ceiling_times.append(ceiling_s)
        print(
            f"  round {number}: export {exported:,} events in {seconds:5.1f} s "
            f"({objects} objects, {runs} runs), ceiling {rows_seen:,} in "
            f"{ceiling_s:5.1f} s: {(exported / seconds) / (rows_seen / ceiling_s):.0%}",
            flush=True,
        )
    export_s = statistics.median(export_times)
    ceiling_s = statistics.median(ceiling_times)
    rate, ceiling = exported / export_s, rows_seen / ceiling_s

    print(f"\nExport to S3, {total:,} events, PostgreSQL, moto server over HTTP")
    print(f"  median of {rounds} rounds, export and ceiling alternating")
    print(
        f"  ceiling (keyset SELECT + orjson + gzip 6 + PUT): {rows_seen:>9,} events "
        f"in {ceiling_s:6.1f} s = {ceiling:>8,.0f} events/s "
        f"({gz_bytes / 1e6:.0f} MB gzip)"
    )
    print(
        f"  export (ndjson.gz, {objects} objects, {runs} runs):   "
        f"{exported:>9,} events in {export_s:6.1f} s = {rate:>8,.0f} events/s"
    )
    print(f"  export / ceiling: {rate / ceiling:.0%} (target >= 80%)", flush=True)


def _bench_location(endpoint: str, name: str, prefix: str, interval: str):
    """A new ``ndjson.gz`` S3 location on the bench's moto bucket."""
    return s3_stream_create(endpoint, BUCKET, name, prefix, interval)


def _export_once(endpoint: str, number: int) -> tuple[int, int, int, float]:
    """A new ``ndjson.gz`` location exports every event: (events, objects,
    runs, seconds)."""
    from audit.services import Actor
    from exports import services

    location = _bench_location(
        endpoint, f"bench-throughput-{number}", f"throughput-{number}", "EVERY_DAY"
    )
    started = time.perf_counter()
    exported, objects, runs = run_until_done(location.pk)
    seconds = time.perf_counter() - started
    services.export_location_delete(actor=Actor.system(), location=location)
    return exported, objects, runs, seconds


def _ceiling_once(endpoint: str, number: int) -> tuple[int, int, float]:
    """The minimum work of the same export: (events, gzip bytes, seconds).

    A keyset ``SELECT`` of the rows the export selects, in batches of
    10,000, with ``created_at`` as epoch seconds and the ids as text in SQL,
    one ``orjson.dumps`` per row (the JSON columns embedded as the
    database's text), gzip level 6, and a PUT of each batch to the same moto
    server. No ledger, no cursor, no day partitions.
    """
    import gzip

    import orjson
    from django.db import connection

    from audit.models import AuditEvent
    from audit.services import Actor
    from audit.spec import SPEC, SPEC_FIELDS, Kind
    from exports import services
    from exports.destinations import s3
    from exports.selectors import events_selected, export_selection

    # In SQL where SQL can do it (audit.spec's rules): ids and JSON as
    # text, created_at as whole Unix seconds, empty text as null.
    to_sql = {
        Kind.ID: "{c}::text",
        Kind.TEXT: "NULLIF({c}, '')",
        Kind.IP: "host({c})",
        Kind.JSON: "{c}::text",
        Kind.TIME: "floor(EXTRACT(EPOCH FROM {c}))::bigint",
    }

    location = _bench_location(
        endpoint, f"bench-ceiling-{number}", f"ceiling-{number}", "EVERY_DAY"
    )
    selected = events_selected(selection=export_selection(location=location))
    query = selected.query
    where, where_params = query.where.as_sql(
        query.get_compiler(connection=connection), connection
    )
    client = s3.client_for(location)
    columns = ", ".join(to_sql[f.kind].format(c=f'"{f.column}"') for f in SPEC)
    table = AuditEvent._meta.db_table
    sql = (
        f"SELECT {columns}, txid, seq FROM {table} "
        f"WHERE ({where}) AND (txid, seq) > (%s, %s) ORDER BY txid, seq LIMIT %s"
    )
    fields = SPEC_FIELDS
    json_indexes = [i for i, f in enumerate(SPEC) if f.kind is Kind.JSON]
    fragment, dumps, newline = orjson.Fragment, orjson.dumps, orjson.OPT_APPEND_NEWLINE
    batch = 10_000
    started = time.perf_counter()
    last, rows_seen, gz_bytes, objects = (-1, -1), 0, 0, 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [*where_params, last[0], last[1], batch])
            rows = cursor.fetchall()
            if not rows:
                break
            lines = []
            for row in rows:
                values = list(row[: len(fields)])
                for i in json_indexes:
                    if values[i] is not None:
                        values[i] = fragment(values[i])
                lines.append(
                    dumps(dict(zip(fields, values, strict=True)), option=newline)
                )
            body = gzip.compress(b"".join(lines), compresslevel=6, mtime=0)
            s3.object_put(
                client,
                bucket=BUCKET,
                key=f"ceiling-{number}/{objects}.ndjson.gz",
                body=body,
                content_type="application/gzip",
            )
            objects += 1
            gz_bytes += len(body)
            rows_seen += len(rows)
            last = (rows[-1][-2], rows[-1][-1])
    seconds = time.perf_counter() - started
    services.export_location_delete(actor=Actor.system(), location=location)
    return rows_seen, gz_bytes, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="export/ceiling pairs (median)"
    )
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    # moto listens on 127.0.0.1: the outbound guard still checks every
    # connection, with private addresses allowed (on-premises mode).
    os.environ["AUDITSITE_ALLOW_PRIVATE_DESTINATIONS"] = "1"
    django_on(url)
    from django.utils import timezone
    from django_q.models import Schedule

    from audit.models import AuditEvent
    from exports.destinations import s3

    seed_until(args.events)
    erase_bench_locations()
    Schedule.objects.filter(name__startswith="export-location-").delete()
    total = AuditEvent.objects.count()

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = start([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
    # Other schedules (digests, retention purge) must not run during the bench.
    paused = {s.pk: s.next_run for s in Schedule.objects.all()}
    Schedule.objects.update(next_run=timezone.now() + timedelta(days=1))
    try:
        wait_for_http(endpoint)
        s3.bucket_create(endpoint_url=endpoint, bucket=BUCKET)
        throughput(endpoint=endpoint, total=total, rounds=args.rounds)
    finally:
        stop(moto)
        for pk, next_run in paused.items():
            Schedule.objects.filter(pk=pk).update(next_run=next_run)


if __name__ == "__main__":
    main()
