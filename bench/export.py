"""Export to S3: throughput beside its ceiling, and CONTINUOUS delivery delay.

    python bench/export.py [--events 300000] [--rate 50] [--trickle 60]
        [--brokers redis,orm] [--rounds 3] [--skip-throughput]
        [--skip-continuous]

Uses (and if needed creates and seeds) the PostgreSQL database in
BENCH_DATABASE_URL (default .../auditsite_bench_export) and starts moto's S3
server as a subprocess on a free 127.0.0.1 port.

1. Throughput: a new ``ndjson.gz`` location exports every event (runs one
   after another until nothing is left, as the scheduled task does). Printed
   beside the ceiling measured in the same run: the raw keyset ``SELECT`` of
   the same rows in batches of 10,000 (``created_at`` as epoch seconds and
   the ids as text in SQL), ``orjson`` per row (the JSON columns as the
   database's text), gzip level 6 and a PUT of each batch to the same moto
   server: the minimum work, with no ledger, cursor or day partitions. The
   two alternate ``--rounds`` times and their medians are compared. Target:
   >= 80% of the ceiling.
2. CONTINUOUS delay, once per django-q2 broker (Redis, then the ORM): with
   gunicorn serving the API and a real ``qcluster`` running, events are
   POSTed to ``/api/v1/events/`` at ``--rate`` per second, one per request;
   the delay of each is from its ``recorded_at`` (set before the insert, so
   before the commit) to the ``created_at`` of the ExportObject that
   delivered it (recorded right after the PUT succeeded). Prints
   p50/p99/max. Target: p99 <= 5 s at 50 events/s. Redis runs on
   127.0.0.1:6379 database 10 (``BENCH_REDIS_URL``), apart from other users.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from bisect import bisect_left
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    api_event_post,
    django_on,
    erase_bench_locations,
    free_port,
    percentile,
    run_until_done,
    seed_until,
    start,
    stop,
    wait_for_http,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_export"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
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
    from audit.services import Actor
    from exports import services

    return services.export_location_create(
        actor=Actor.system(),
        name=name,
        bucket=BUCKET,
        path_prefix=prefix,
        endpoint_url=endpoint,
        access_key_id="bench",
        secret_access_key="bench",
        interval=interval,
        file_format="ndjson.gz",
    )


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


def continuous(*, endpoint: str, url: str, broker: str, rate: float, seconds: int):
    """POST events through the API at ``rate``/s; print the delivery delays."""
    import threading
    import uuid

    from audit.apikeys import api_key_create, api_key_revoke
    from audit.models import AuditEvent, User
    from audit.services import Actor
    from exports import services
    from exports.models import ExportObject, ExportState, position_encode

    location = _bench_location(
        endpoint, "bench-continuous", f"continuous-{broker}", "CONTINUOUS"
    )
    newest = AuditEvent.objects.order_by("-txid", "-seq").values_list("txid", "seq")
    ExportState.objects.filter(location=location).update(
        cursor=position_encode(*newest[0])
    )
    key, raw_key = api_key_create(name=f"bench-continuous-{broker}")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AUDITSITE_API_THROTTLE_RATE": "",
        "Q_WORKERS": "2",
        "DEBUG": "0",
    }
    env.pop("REDIS_URL", None)
    if broker == "redis":
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    port = free_port()
    api = start(
        [
            str(BIN / "gunicorn"),
            "auditsite.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    cluster = start([sys.executable, "manage.py", "qcluster"], env=env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        time.sleep(5)  # the cluster's workers start
        user = User.objects.order_by("date_joined").first()
        print(
            f"\nCONTINUOUS ({broker} broker): POSTing {rate:g} events/s for "
            f"{seconds} s through gunicorn, qcluster running ...",
            flush=True,
        )
        sent: list[str] = []
        errors: list[str] = []

        def post(ident: str) -> None:
            try:
                api_event_post(f"http://127.0.0.1:{port}", raw_key, ident, str(user.pk))
            except OSError as exc:
                errors.append(str(exc))

        started = time.monotonic()
        threads = []
        n = 0
        while time.monotonic() - started < seconds:
            ident = str(uuid.uuid4())
            sent.append(ident)
            thread = threading.Thread(target=post, args=(ident,))
            thread.start()
            threads.append(thread)
            n += 1
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
        for thread in threads:
            thread.join()
        if errors:
            print(f"  {len(errors)} requests failed, e.g. {errors[0]}")
        stored = list(
            AuditEvent.objects.filter(uuid__in=sent).values_list(
                "txid", "seq", "recorded_at"
            )
        )
        last_event = max(position_encode(t, s) for t, s, _ in stored)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if ExportState.objects.get(location=location).cursor >= last_event:
                break
            time.sleep(0.5)
    finally:
        stop(cluster)
        stop(api)
    objs = list(ExportObject.objects.filter(location=location).order_by("position_to"))
    ends = [o.position_to for o in objs]
    delays = []
    for txid, seq, at in stored:
        i = bisect_left(ends, position_encode(txid, seq))
        if i < len(objs):
            delays.append((objs[i].created_at - at).total_seconds())
    services.export_location_delete(actor=Actor.system(), location=location)
    api_key_revoke(api_key=key)
    print(
        f"  {len(sent)} events sent, {len(stored)} stored, {len(delays)} "
        f"delivered in {len(objs)} objects"
    )
    if not delays:
        raise SystemExit("nothing was delivered")
    print(
        f"  ingest-commit to delivered object ({broker} broker): "
        f"p50 {percentile(delays, 50):.2f} s, p99 {percentile(delays, 99):.2f} s, "
        f"max {max(delays):.2f} s (target p99 <= 5 s)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--trickle", type=int, default=60, help="seconds")
    parser.add_argument("--rate", type=float, default=50.0, help="events/s")
    parser.add_argument("--brokers", default="redis,orm")
    parser.add_argument(
        "--rounds", type=int, default=3, help="export/ceiling pairs (median)"
    )
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-continuous", action="store_true")
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
        if not args.skip_throughput:
            throughput(endpoint=endpoint, total=total, rounds=args.rounds)
        if not args.skip_continuous:
            for broker in args.brokers.split(","):
                continuous(
                    endpoint=endpoint,
                    url=url,
                    broker=broker,
                    rate=args.rate,
                    seconds=args.trickle,
                )
    finally:
        stop(moto)
        for pk, next_run in paused.items():
            Schedule.objects.filter(pk=pk).update(next_run=next_run)


if __name__ == "__main__":
    main()
