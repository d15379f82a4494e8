"""Streams: events/s to local Datadog, Splunk HEC and webhook receivers, and
CONTINUOUS delay (Datadog).

    .venv/bin/python bench/streams.py [--events 200000] [--trickle 60]
        [--kinds datadog,splunk,webhook]

Uses (and if needed creates and seeds) the PostgreSQL database in
BENCH_DATABASE_URL (default .../h11_bench) and starts bench/receiver.py (this
script with ``--serve``) on a free 127.0.0.1 port: it checks each request as
its vendor documents and counts the records it accepted.

For each of ``--kinds``:

1. Ceiling: a loop posting the destination's own first request (1,000 real
   records, built once) to the receiver over one keep-alive connection:
   what the receiver and HTTP stack can take at most.
2. Throughput: a new location of that kind streams every event (runs one
   after another until nothing is left, as the scheduled task does),
   compared with the ceiling and checked against the receiver's count.

Then (Datadog):

3. Peak memory of a stream run at two sizes (a fifth and half of the
   events, the last ones in export order): each run in a fresh process of
   its own (this script with ``--memory-run``), the peak of the run's
   Python allocations (``tracemalloc``, started just before it) and the
   process's peak resident set (``ru_maxrss``, Django's start-up
   included) printed beside the other's. Skipped with ``--memory 0``.
4. CONTINUOUS delay (skipped with ``--trickle 0``): with a real
   ``qcluster`` running, events are recorded at a steady trickle (each
   commit queues the CONTINUOUS run through ``audit.hooks``, as in
   production); the delay of each is from its ``recorded_at`` to the
   ``created_at`` of the ledger row of the delivered range (written right
   after the receiver answered 2xx).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from bisect import bisect_left
from datetime import timedelta
from pathlib import Path

from isal import igzip

sys.path.insert(0, str(Path(__file__).resolve().parent))
import receiver  # noqa: E402
from common import (  # noqa: E402
    django_on,
    erase_bench_locations,
    free_port,
    http_stream_create,
    percentile,
    run_until_done,
    seed_until,
    start,
    stop,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/h11_bench"


# --- the bench -----------------------------------------------------------------------


def _throughput(kind: str, endpoint: str, http, received) -> None:
    """Ceiling, destination alone and the stream itself for one kind."""
    from audit.services import Actor
    from exports import services
    from exports.destinations import Batch, destination_for
    from exports.models import POSITION_ZERO
    from exports.selectors import events_matching, export_rows_after, export_selection

    location = http_stream_create(kind, endpoint, f"bench-{kind}", "EVERY_DAY")
    total = events_matching(location=location).count()

    # 1. The ceiling: one pre-built request of 1,000 real records (the
    # destination's own body and headers), posted in a loop.
    sample = export_rows_after(
        selection=export_selection(location=location),
        after=POSITION_ZERO,
        horizon=2**62,
        limit=1000,
    )
    batch = Batch(
        name="bench",
        body=b"",
        content_type="application/json",
        event_count=len(sample),
        idempotency_key="bench",
        rows=tuple(sample),
    )
    shaper = destination_for(location)
    [request] = [
        shaper.on_the_wire(r, idempotency_key="bench")
        for r in shaper.requests_for(batch)
    ][:1]
    posts = max(20, total // len(sample) // 4)
    before = received()
    started = time.perf_counter()
    for _ in range(posts):
        http.post(request.url, content=request.body, headers=request.headers)
    ceiling_s = time.perf_counter() - started
    ceiling_entries = received() - before
    ceiling = ceiling_entries / ceiling_s

    # 1b. The destination alone: shape, encode and POST the same rows
    # (no database read, no ledger), what it adds to the receiver's cost.
    before = received()
    started = time.perf_counter()
    for _ in range(posts):
        if not shaper.deliver(batch).ok:
            raise SystemExit("the receiver refused the destination's request")
    shaped_s = time.perf_counter() - started
    shaped_entries = received() - before
    shaped = shaped_entries / shaped_s

    # 2. The stream itself.
    before = received()
    started = time.perf_counter()
    exported, ranges, runs = run_until_done(location.pk)
    stream_s = time.perf_counter() - started
    arrived = received() - before
    rate = exported / stream_s
    services.export_location_delete(actor=Actor.system(), location=location)

    print(f"\nStreams: {kind}-shaped receiver, {total:,} matching events, PostgreSQL")
    print(
        f"  receiver ceiling (pre-built 1,000-record bodies, one connection): "
        f"{ceiling_entries:>9,} in {ceiling_s:6.1f} s = {ceiling:>8,.0f} "
        f"records/s ({len(request.body) / 1e3:.0f} kB per request)"
    )
    print(
        f"  destination alone (shape + encode + POST, no database): "
        f"{shaped_entries:>9,} in {shaped_s:6.1f} s = {shaped:>8,.0f} records/s"
    )
    print(
        f"  stream ({kind}, {ranges} ranges, {runs} runs): {exported:>9,} "
        f"events in {stream_s:6.1f} s = {rate:>8,.0f} events/s; receiver "
        f"counted {arrived:,}"
    )
    print(f"  stream / ceiling: {rate / ceiling:.0%}", flush=True)
    if kind == "datadog":
        _gzip_levels(gzip.decompress(request.body), len(sample))
    if arrived != exported or exported != total:
        raise SystemExit(
            f"mismatch: {total} events, {exported} exported, {arrived} received"
        )


def _gzip_levels(body: bytes, records: int) -> None:
    """What each gzip level costs on one real Datadog body (the level is
    chosen by this: ``exports.destinations.http.gzipped``)."""
    print(
        f"  gzip levels on one body of {records:,} entries ({len(body) / 1e3:.0f} kB):"
    )
    for name, compress, level in (
        *(("zlib", gzip.compress, level) for level in (1, 3, 6, 9)),
        *(("ISA-L", igzip.compress, level) for level in (0, 1, 2, 3)),
    ):
        started = time.perf_counter()
        for _ in range(5):
            packed = compress(body, compresslevel=level, mtime=0)
        packing = (time.perf_counter() - started) / 5
        started = time.perf_counter()
        for _ in range(5):
            gzip.decompress(packed)
        unpacking = (time.perf_counter() - started) / 5
        print(
            f"    {name} level {level}: {len(packed) / len(body):5.1%} of the size, "
            f"{packing * 1e6 / records:5.1f} us/entry to compress, "
            f"{unpacking * 1e6 / records:4.1f} us/entry to decompress"
        )


def _memory_run(endpoint: str, events: int) -> None:
    """A Datadog stream of the last ``events`` events (in a fresh process):
    print how many it sent and its peak resident set."""
    import resource
    import tracemalloc

    from audit.services import Actor
    from exports import services
    from exports.models import ExportState, position_encode
    from exports.selectors import events_matching

    location = http_stream_create(
        "datadog", endpoint, f"bench-memory-{events}", "EVERY_DAY"
    )
    newest_first = events_matching(location=location).order_by("-txid", "-seq")
    txid, seq = newest_first.values_list("txid", "seq")[events]
    ExportState.objects.filter(location=location).update(
        cursor=position_encode(txid, seq)
    )
    tracemalloc.start()
    exported, _, _ = run_until_done(location.pk)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    services.export_location_delete(actor=Actor.system(), location=location)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"events": exported, "peak_kib": peak_kib, "traced": traced_peak}))


def _memory(endpoint: str, url: str, total: int) -> None:
    """Peak memory of a stream run at a fifth and at half of the events."""
    import subprocess

    print("\nPeak memory of a Datadog stream run (a fresh process each):")
    env = {**os.environ, "BENCH_DATABASE_URL": url}
    for events in (total // 5, total // 2):
        out = subprocess.run(
            [sys.executable, __file__, "--memory-run", str(events), endpoint],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        measured = json.loads(out.strip().splitlines()[-1])
        print(
            f"  {measured['events']:>9,} events: peak of the run's Python "
            f"allocations (tracemalloc) {measured['traced'] / 2**20:6.1f} MiB; "
            f"peak resident set of the process {measured['peak_kib'] / 1024:6.1f} MiB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--trickle", type=int, default=60, help="seconds")
    parser.add_argument("--rate", type=float, default=5.0, help="events/s")
    parser.add_argument(
        "--kinds", default="datadog,splunk,webhook", help="empty: memory only"
    )
    parser.add_argument("--memory", type=int, default=1, help="0: skip step 3")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--memory-run", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        receiver.serve(args.serve)
        return
    if args.memory_run:
        os.environ["AUDITSITE_ALLOW_PRIVATE_DESTINATIONS"] = "1"
        django_on(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
        _memory_run(args.memory_run[1], int(args.memory_run[0]))
        return

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    # The receivers listen on 127.0.0.1: the outbound guard still checks
    # every connection, with private addresses allowed (on-premises mode).
    os.environ["AUDITSITE_ALLOW_PRIVATE_DESTINATIONS"] = "1"
    django_on(url)
    import httpx
    from django.utils import timezone
    from django_q.models import Schedule

    from audit.models import AuditEvent, Organization, User
    from audit.services import Actor, event_record
    from exports import services
    from exports.models import (
        ExportObject,
        ExportState,
        position_encode,
    )

    seed_until(args.events)
    erase_bench_locations()
    Schedule.objects.filter(name__startswith="export-location-").delete()

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    intake = start([sys.executable, __file__, "--serve", str(port)])
    cluster = None
    paused = {s.pk: s.next_run for s in Schedule.objects.all()}
    Schedule.objects.update(next_run=timezone.now() + timedelta(days=1))
    http = httpx.Client(timeout=30)
    try:
        for _ in range(100):
            try:
                http.get(endpoint)
                break
            except httpx.TransportError:
                time.sleep(0.1)

        def received() -> int:
            return http.get(endpoint).json()["entries"]

        for kind in filter(None, args.kinds.split(",")):
            _throughput(kind, endpoint, http, received)

        if args.memory:
            from exports.selectors import events_matching

            location = http_stream_create(
                "datadog", endpoint, "bench-count", "EVERY_DAY"
            )
            _memory(endpoint, url, events_matching(location=location).count())
            services.export_location_delete(actor=Actor.system(), location=location)
        if args.trickle <= 0:
            return
        # 4. CONTINUOUS: ingest-to-delivery delay with a real qcluster.
        location = http_stream_create(
            "datadog", endpoint, "bench-continuous", "CONTINUOUS"
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
            f"  {len(recorded)} events, {len(delays)} delivered in {len(objs)} "
            "requests' ranges"
        )
        if delays:
            print(
                f"  ingest-to-delivery delay: p50 {percentile(delays, 50):.1f} s, "
                f"p99 {percentile(delays, 99):.1f} s, max {max(delays):.1f} s"
            )
    finally:
        http.close()
        if cluster is not None:
            stop(cluster)
        stop(intake)
        for pk, next_run in paused.items():
            Schedule.objects.filter(pk=pk).update(next_run=next_run)


if __name__ == "__main__":
    main()
