"""CONTINUOUS delivery: commit to delivered, every destination, both brokers.

    python bench/continuous.py [--kinds s3,datadog,splunk,webhook]
        [--brokers redis,orm] [--seconds 30] [--rate 50] [--ports 19200-19299]

Uses (and if needed creates, migrates and seeds a little) the PostgreSQL
database in BENCH_DATABASE_URL (default .../h24c_bench); Redis for the Redis
broker and cache in BENCH_REDIS_URL (default database 4). Starts moto's S3
server (for ``s3``) and ``bench/receiver.py`` (Datadog, Splunk HEC and
webhook shapes checked; here with Nagle's algorithm off, see its ``serve``)
as subprocesses.

For each broker (the site's settings: ``REDIS_URL`` set or not), gunicorn
(2 gthread workers, ``AUDITSITE_INSECURE_HTTP=1``) serves the API and a real
``manage.py qcluster`` (2 workers) runs. Then:

1. Baseline, same run: the broker's own round trip. A probe process with
   the same settings queues ``time.time`` as a django-q2 task 20 times, 4 a
   second, and reads back when the worker ran it: enqueue to task start,
   what any queued work waits at least.
2. For each destination kind: a new CONTINUOUS location (the only enabled
   one, its cursor at the newest event, its fallback schedules pushed a day
   ahead so only commits queue its runs); ``--rate`` events a second are
   POSTed to ``/api/v1/events/`` for ``--seconds``, one event a request,
   each from its own thread. An event's delay is from its ``recorded_at``
   (set before the insert, so before the commit: an upper bound) to the
   ``created_at`` of the ledger row (``ExportObject``) of the range carrying
   it, written right after the PUT or the receiver's 2xx; the same from the
   moment the API's answer arrived (after the commit: a lower bound).
   Printed as p50/p95/p99/max, beside a second baseline: the destination
   alone, a typical range of the trickle sent again 20 times through the
   location's own destination (no database, no queue).

Target (issue 24): p99 <= 1 s with the Redis broker, <= 2 s with the ORM one.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from bisect import bisect_left
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import receiver  # noqa: E402
from common import (  # noqa: E402
    ROOT,
    api_event_post,
    django_on,
    erase_bench_locations,
    gunicorn_start,
    http_stream_create,
    percentile,
    s3_stream_create,
    seed_until,
    site_env,
    start,
    stop,
    wait_for_http,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/h24c_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/4"
BUCKET = "bench-continuous"
BIN = Path(sys.executable).parent
TARGET = {"redis": 1.0, "orm": 2.0}


class Ports:
    """Free ports taken in turn from ``--ports`` (a range kept for this bench)."""

    def __init__(self, spec: str) -> None:
        low, high = (int(p) for p in spec.split("-"))
        self._candidates = iter(range(low, high + 1))

    def take(self) -> int:
        for port in self._candidates:
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise SystemExit("no free port left in --ports")


# --- 1. the broker's own round trip (a probe process with the broker's settings) ----


def probe(count: int) -> None:
    """Queue ``time.time`` ``count`` times; print each enqueue-to-start delay."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditsite.settings")
    import django

    django.setup()
    from django_q.tasks import async_task, result

    delays = []
    for _ in range(count):
        queued = time.time()
        task_id = async_task("time.time")
        ran = result(task_id, wait=10_000)
        if ran is not None:
            delays.append(ran - queued)
        time.sleep(0.25)
    print(json.dumps(delays))


def broker_round_trip(env: dict) -> list[float]:
    out = subprocess.run(
        [sys.executable, __file__, "--probe", "20"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- 2. one destination kind ----------------------------------------------------------


def _location(kind: str, *, receiver: str, moto: str, broker: str):
    """A new CONTINUOUS location of ``kind`` on the bench's moto or receiver."""
    name = f"bench-continuous-{broker}-{kind}"
    if kind == "s3":
        return s3_stream_create(moto, BUCKET, name, name, "CONTINUOUS")
    return http_stream_create(kind, receiver, name, "CONTINUOUS")


def events_trickle(api: str, raw_key: str, user_id: str, rate: float, seconds: int):
    """POST one event about ``user_id`` a request, each in its own thread,
    at ``rate``/s for ``seconds`` (``api_event_post``).

    Returns (the ids sent, when each response arrived, the errors).
    """
    sent: list[str] = []
    answered: dict[str, float] = {}
    errors: list[str] = []

    def post(ident: str) -> None:
        try:
            api_event_post(api, raw_key, ident, user_id)
            answered[ident] = time.time()
        except OSError as exc:
            errors.append(str(exc))

    threads = []
    started = time.monotonic()
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
    return sent, answered, errors


def measure_kind(kind: str, *, broker: str, api: str, raw_key: str, args, where):
    """Trickle events to a new CONTINUOUS location of ``kind``; its delays."""
    from django.conf import settings
    from django_q.models import Schedule

    from audit.models import AuditEvent, User
    from audit.services import Actor
    from exports import services
    from exports.models import ExportObject, ExportRun, ExportState, position_encode

    location = _location(kind, broker=broker, **where)
    Schedule.objects.filter(name__startswith=f"export-location-{location.pk}").update(
        next_run=time_now() + timedelta(days=1)
    )
    newest = AuditEvent.objects.order_by("-txid", "-seq").values_list("txid", "seq")
    ExportState.objects.filter(location=location).update(
        cursor=position_encode(*newest[0]), planned_to=""
    )
    # The API processes see the new location (they trust their last answer
    # to "does a CONTINUOUS location exist?" this long).
    time.sleep(settings.AUDITSITE_EXPORT_CONTINUOUS_LOOKUP_SECONDS + 1)
    user = User.objects.order_by("date_joined").first()
    sent, answered, errors = events_trickle(
        api, raw_key, str(user.pk), args.rate, args.warmup + args.seconds
    )
    if errors:
        print(f"  {len(errors)} requests failed, e.g. {errors[0]}")
    stored = list(
        AuditEvent.objects.filter(uuid__in=sent).values_list(
            "txid", "seq", "recorded_at", "uuid"
        )
    )
    last_event = max(position_encode(t, s) for t, s, _, _ in stored)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ExportState.objects.get(location=location).cursor >= last_event:
            break
        time.sleep(0.5)
    objs = list(ExportObject.objects.filter(location=location).order_by("position_to"))
    runs = ExportRun.objects.filter(location=location).count()
    ends = [o.position_to for o in objs]
    # The first --warmup seconds are not counted: the qcluster's workers
    # import and connect on their first tasks (reported apart).
    warm = {str(i) for i in sent[: round(args.rate * args.warmup)]}
    delays, after_response, warming = [], [], []
    for txid, seq, at, ident in stored:
        i = bisect_left(ends, position_encode(txid, seq))
        if i == len(objs):
            continue
        obj = objs[i]
        if str(ident) in warm:
            warming.append((obj.created_at - at).total_seconds())
            continue
        delays.append((obj.created_at - at).total_seconds())
        if str(ident) in answered:
            after_response.append(obj.created_at.timestamp() - answered[str(ident)])
    floor = _delivery_floor(location, objs[len(objs) // 2]) if objs else []
    services.export_location_delete(actor=Actor.system(), location=location)
    return {
        "floor": floor,
        "sent": len(sent),
        "stored": len(stored),
        "objects": len(objs),
        "runs": runs,
        "delays": delays,
        "warming": warming,
        "after_response": after_response,
    }


def _delivery_floor(location, obj, times: int = 20) -> list[float]:
    """The destination alone: one delivered range sent again, no database.

    The range of ``obj`` (a typical object of the trickle) is read once,
    rendered as the run renders it and sent ``times`` times through the
    location's own destination (a warm client, after one untimed send):
    what each object costs at least, on the wire and in the receiver.
    """
    from audit import formats
    from exports.destinations import Batch, destination_for
    from exports.selectors import export_rows_between

    rows = export_rows_between(
        selection=obj.selection, after=obj.position_from, up_to=obj.position_to
    )
    destination = destination_for(location)
    body = (
        formats.render_selection(obj.selection, rows) if destination.wants_file else b""
    )
    batch = Batch(
        name=f"bench-floor-{obj.pk}",
        body=body,
        content_type=formats.CONTENT_TYPES[obj.selection["format"]],
        event_count=len(rows),
        idempotency_key=f"bench-floor-{obj.pk}",
        rows=tuple(rows),
    )
    seconds = []
    for n in range(times + 1):
        started = time.perf_counter()
        if not destination.deliver(batch).ok:
            raise SystemExit(f"{location.destination}: the floor's delivery failed")
        if n:
            seconds.append(time.perf_counter() - started)
    return seconds


def time_now():
    from django.utils import timezone

    return timezone.now()


def _figures(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s, "
        f"p99 {percentile(values, 99):.2f} s, max {max(values):.2f} s"
    )


def measure_broker(
    broker: str, kinds: list[str], *, url: str, ports: Ports, args, where
):
    from audit.apikeys import api_key_create, api_key_revoke

    env = site_env(url, redis_url=DEFAULT_REDIS if broker == "redis" else None)
    port = ports.take()
    api = f"http://127.0.0.1:{port}"
    gunicorn = gunicorn_start(port, env, workers=2, worker_class="gthread", threads=8)
    log = open(f"/tmp/bench-continuous-qcluster-{broker}.log", "w")  # noqa: SIM115
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    key, raw_key = api_key_create(name=f"bench-continuous-{broker}")
    results = {}
    try:
        time.sleep(3)  # the cluster's workers start
        trips = broker_round_trip(env)
        print(
            f"\n{broker} broker: baseline, enqueue to start of a no-op task "
            f"({len(trips)} tasks): {_figures(trips)}",
            flush=True,
        )
        for kind in kinds:
            r = measure_kind(
                kind, broker=broker, api=api, raw_key=raw_key, args=args, where=where
            )
            results[kind] = r
            if not r["delays"]:
                print(f"  {kind}: nothing delivered ({r['sent']} sent)", flush=True)
                continue
            met = percentile(r["delays"], 99) <= TARGET[broker]
            print(
                f"  {kind:8} {r['sent']} sent, {r['stored']} stored, "
                f"{len(r['delays'])} counted after the first {args.warmup} s "
                f"(max there {max(r['warming'], default=0):.2f} s), delivered in "
                f"{r['objects']} objects, {r['runs']} runs\n"
                f"    commit to delivered: {_figures(r['delays'])} "
                f"(target p99 <= {TARGET[broker]:g} s: {'met' if met else 'NOT met'})\n"
                f"    from the API's answer (after the commit, a lower bound): "
                f"{_figures(r['after_response'])}\n"
                f"    baseline, the destination alone (one such range sent "
                f"again, no database): {_figures(r['floor'])}",
                flush=True,
            )
    finally:
        stop(cluster)
        stop(gunicorn)
        log.close()
        api_key_revoke(api_key=key)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kinds", default="s3,datadog,splunk,webhook")
    parser.add_argument("--brokers", default="redis,orm")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rate", type=float, default=50.0, help="events/s")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds posted first, not counted"
    )
    parser.add_argument("--ports", default="19200-19299")
    parser.add_argument("--probe", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.probe)
        return
    if args.serve:
        receiver.serve(args.serve, no_delay=True)
        return

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    # The receivers listen on 127.0.0.1: the outbound guard still checks
    # every connection, with private addresses allowed (on-premises mode).
    os.environ["AUDITSITE_ALLOW_PRIVATE_DESTINATIONS"] = "1"
    os.environ.pop("REDIS_URL", None)
    django_on(url)
    from django_q.models import Schedule

    from exports.destinations import s3

    seed_until(1000)
    erase_bench_locations()
    Schedule.objects.filter(name__startswith="export-location-").delete()
    kinds = args.kinds.split(",")
    ports = Ports(args.ports)
    processes = []
    where = {"receiver": "", "moto": ""}
    # Other schedules (digests, retention purge) must not run during the bench.
    paused = {s.pk: s.next_run for s in Schedule.objects.all()}
    Schedule.objects.update(next_run=time_now() + timedelta(days=1))
    try:
        if "s3" in kinds:
            port = ports.take()
            where["moto"] = f"http://127.0.0.1:{port}"
            processes.append(
                start([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
            )
            wait_for_http(where["moto"])
            s3.bucket_create(endpoint_url=where["moto"], bucket=BUCKET)
        if set(kinds) - {"s3"}:
            port = ports.take()
            where["receiver"] = f"http://127.0.0.1:{port}"
            processes.append(start([sys.executable, __file__, "--serve", str(port)]))
            wait_for_http(where["receiver"])
        print(
            f"CONTINUOUS: {args.rate:g} events/s for {args.seconds} s through the "
            f"API, kinds {','.join(kinds)}, load average "
            f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}",
            flush=True,
        )
        for broker in args.brokers.split(","):
            measure_broker(broker, kinds, url=url, ports=ports, args=args, where=where)
        print(
            f"\nload average at the end: "
            f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
    finally:
        for process in processes:
            stop(process)
        for pk, next_run in paused.items():
            Schedule.objects.filter(pk=pk).update(next_run=next_run)


if __name__ == "__main__":
    main()
