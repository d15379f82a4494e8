"""Runs: deliver a location's new events exactly once.

A run's walk, each room once and back only to commit:

1. **Lease**: take the location's ``ExportState`` (row lock with SKIP LOCKED
   on PostgreSQL, plus a conditional UPDATE of the lease that works on every
   backend). A hold whose owner is dead (its PostgreSQL backend is gone, or
   its process on this host is) ends at once; ``running`` runs it left are
   closed as failed with the reason.
2. **Plan**: the next ``Step``: a planned range left by a crash (re-cut with
   its recorded selection), else a replayed object, else new events after
   the cursor, below the commit horizon, cut where the UTC day of
   ``created_at`` changes (one object = one day). A new range is recorded as
   ``planned_to`` before anything is written.
3. **Render** it in the recorded format; the key is a pure function of
   (location, range, day).
4. **Deliver** it to the destination (``exports.destinations``); no retry
   loop of ours: a failed delivery fails the run, the next run re-cuts the
   same range.
5. **Commit** in one transaction: the lease and cursor are still ours, the
   ``ExportObject`` is recorded, the cursor moves.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import os
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from exports import formats
from exports.destinations import Batch, DeliveryResult, destination_for
from exports.models import ExportLocation, ExportObject, ExportRun, ExportState
from exports.selectors import (
    ExportRow,
    export_horizon,
    export_rows_between,
    export_rows_of_one_day,
    export_selection,
)

logger = logging.getLogger(__name__)

CONTINUOUS_FLAG = "exports:continuous:queued"


def worker_id() -> str:
    """This process, as recorded on runs and leases: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class StepKind(enum.Enum):
    RECUT = "recut"  # a range planned by a run that did not commit
    REPLAY = "replay"  # a recorded object sent again
    NEW = "new"  # new events after the cursor


@dataclass(frozen=True)
class Step:
    """One object to write: the range ``(position_from, position_to]``."""

    kind: StepKind
    position_from: str
    position_to: str
    rows: list[ExportRow]
    selection: dict
    replay_of: ExportObject | None = None

    @property
    def file_format(self) -> str:
        return self.selection["format"]


@dataclass
class Lease:
    """A run's hold on a location, with the run's (unsaved at first) history row."""

    location: ExportLocation
    state: ExportState
    run: ExportRun
    worker: str

    @cached_property
    def selection(self) -> dict:
        """What the location selects, read once per run: a change of its
        filters or of the audit-log settings applies from the next run on."""
        return export_selection(location=self.location)

    @cached_property
    def horizon(self) -> int:
        """The commit horizon, read once per run: events committed during the
        run are below a later run's horizon (a run is at most
        ``AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN`` objects)."""
        return export_horizon()


def object_name(
    location: ExportLocation,
    *,
    position_from: str,
    position_to: str,
    day: date,
    file_format: str,
) -> str:
    """An object's name: a pure function of location, range and UTC day."""
    return (
        f"year={day:%Y}/month={day:%m}/day={day:%d}/"
        f"{location.pk}_{position_from}_{position_to}.{formats.EXTENSIONS[file_format]}"
    )


def idempotency_key(location: ExportLocation, step: Step) -> str:
    """The same for every delivery of one range (HTTP destinations send it)."""
    raw = f"{location.pk}:{step.position_from}:{step.position_to}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


# --- 1. lease -----------------------------------------------------------------------


def _lease_seconds() -> timedelta:
    return timedelta(seconds=settings.AUDITSITE_EXPORT_LEASE_SECONDS)


def _backend_pid() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _owner_alive(state: ExportState) -> bool:
    """Whether the lease holder still runs (else its hold ends now).

    PostgreSQL: its database backend still exists (a killed worker's
    connection closes at once). Any backend: a holder on this host whose
    process is gone is dead. Otherwise ``lease_until`` decides.
    """
    if state.lease_backend_pid and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)",
                [state.lease_backend_pid],
            )
            if not cursor.fetchone()[0]:
                return False
    host, _, rest = state.lease_owner.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def _lease_acquire(location_id, worker: str) -> Lease | None:
    now = timezone.now()
    with transaction.atomic():
        location = ExportLocation.objects.filter(pk=location_id, enabled=True).first()
        if location is None:
            return None
        ExportState.objects.get_or_create(location=location)
        states = ExportState.objects.filter(pk=location.pk)
        if connection.features.has_select_for_update_skip_locked:
            state = states.select_for_update(skip_locked=True).first()
            if state is None:
                return None
        else:
            state = states.get()
        if state.not_before and state.not_before > now:
            return None  # backing off (a receiver's Retry-After, failed runs)
        held = (
            bool(state.lease_owner) and state.lease_until and state.lease_until >= now
        )
        if held and _owner_alive(state):
            return None
        taken = states.filter(
            lease_owner=state.lease_owner, lease_until=state.lease_until
        ).update(
            lease_owner=worker,
            lease_until=now + _lease_seconds(),
            lease_backend_pid=_backend_pid(),
        )
        if taken != 1:
            return None
        state.refresh_from_db()
        _runs_close_dead(location, worker, now)
    # Not saved yet: a run gets its history row with its first delivered (or
    # replayed) object, or when it fails (see _commit, _run_finish).
    run = ExportRun(
        location=location,
        worker=worker,
        replay=bool(state.replay_from),
        started_at=now,
    )
    return Lease(location=location, state=state, run=run, worker=worker)


def _runs_close_dead(location: ExportLocation, worker: str, now) -> None:
    """Close the ``running`` runs of holders that died (we hold the lease now)."""
    dead = ExportRun.objects.filter(
        location=location, status=ExportRun.Status.RUNNING
    ).exclude(worker=worker)
    for run in dead.only("pk", "worker"):
        ExportRun.objects.filter(pk=run.pk).update(
            status=ExportRun.Status.FAILED,
            finished_at=now,
            error=(
                f"worker {run.worker} stopped before finishing (killed or lost its "
                "database connection); closed by the next run, which re-cut its "
                "range"
            ),
        )


# --- 2. plan ----------------------------------------------------------------------


def _next_step(lease: Lease) -> Step | None:
    """The next object: crash recovery, then replay, then new events."""
    location, state = lease.location, lease.state
    if state.planned_to:
        selection = state.planned_selection or lease.selection
        return Step(
            kind=StepKind.RECUT,
            position_from=state.cursor,
            position_to=state.planned_to,
            rows=export_rows_between(
                selection=selection, after=state.cursor, up_to=state.planned_to
            ),
            selection=selection,
        )
    if state.replay_from:
        obj = (
            ExportObject.objects.filter(
                location=location, position_from__gte=state.replay_from
            )
            .order_by("position_from")
            .first()
        )
        if obj is not None and obj.position_to <= state.cursor:
            selection = obj.selection or lease.selection
            return Step(
                kind=StepKind.REPLAY,
                position_from=obj.position_from,
                position_to=obj.position_to,
                rows=export_rows_between(
                    selection=selection, after=obj.position_from, up_to=obj.position_to
                ),
                selection=selection,
                replay_of=obj,
            )
        ExportState.objects.filter(pk=location.pk).update(replay_from="")
        state.replay_from = ""
    step = _plan_new(lease, after=state.cursor)
    if step is None or not _plan_record(lease, step):
        return None
    return step


def _plan_new(lease: Lease, *, after: str) -> Step | None:
    """New events after ``after`` (not recorded yet): one day, below the horizon."""
    selection = lease.selection
    rows = export_rows_of_one_day(
        selection=selection,
        after=after,
        horizon=lease.horizon,
        limit=settings.AUDITSITE_EXPORT_OBJECT_EVENTS,
    )
    if not rows:
        return None
    return Step(
        kind=StepKind.NEW,
        position_from=after,
        position_to=rows[-1].position,
        rows=rows,
        selection=selection,
    )


def _plan_record(lease: Lease, step: Step) -> bool:
    """Record a new range as planned; False if another worker moved on."""
    recorded = ExportState.objects.filter(
        pk=lease.location.pk,
        cursor=step.position_from,
        lease_owner=lease.worker,
        planned_to="",
    ).update(planned_to=step.position_to, planned_selection=step.selection)
    if recorded != 1:
        return False
    lease.state.planned_to = step.position_to
    lease.state.planned_selection = step.selection
    return True


# --- 3. render ----------------------------------------------------------------------


def _render(location: ExportLocation, step: Step) -> Batch:
    body = formats.render_selection(step.selection, step.rows)
    return Batch(
        name=object_name(
            location,
            position_from=step.position_from,
            position_to=step.position_to,
            day=step.rows[0].day,
            file_format=step.file_format,
        ),
        body=body,
        content_type=formats.CONTENT_TYPES[step.file_format],
        event_count=len(step.rows),
        idempotency_key=idempotency_key(location, step),
        rows=tuple(step.rows),
    )


# --- 4. deliver -----------------------------------------------------------------------


def _deliver(destination, step: Step, batch: Batch) -> DeliveryResult:
    if step.replay_of is not None:
        # A replay rewrites the recorded key, even one named by an older rule.
        return destination.deliver_to_key(step.replay_of.key, batch)
    return destination.deliver(batch)


# --- 5. commit ------------------------------------------------------------------------


def _commit(
    lease: Lease,
    step: Step,
    result: DeliveryResult,
    batch: Batch,
    following: Step | None = None,
) -> bool:
    """Record a delivered object and move the cursor; False if superseded.

    ``following``, the new range read while this one was delivered, is
    recorded as planned in the same transaction (one commit per object, not
    two), still before anything of it is written.
    """
    location, run = lease.location, lease.run
    if run.pk is None:
        run.replay = run.replay or step.kind is StepKind.REPLAY
        run.save()
    sha256 = hashlib.sha256(batch.body).hexdigest()
    with transaction.atomic():
        state = ExportState.objects.select_for_update().get(pk=location.pk)
        if state.lease_owner != lease.worker:
            return False
        if step.kind is StepKind.REPLAY:
            if state.replay_from > step.position_from:
                return False
            ExportObject.objects.filter(pk=step.replay_of.pk).update(
                event_count=batch.event_count, size_bytes=len(batch.body), sha256=sha256
            )
            state.replay_from = (
                step.position_to if step.position_to < state.cursor else ""
            )
            run_update = {"replay": True}
        else:
            if state.cursor != step.position_from:
                return False
            ExportObject.objects.create(
                location=location,
                run=run,
                key=result.key,
                position_from=step.position_from,
                position_to=step.position_to,
                first_seq=step.rows[0].seq,
                last_seq=step.rows[-1].seq,
                event_count=batch.event_count,
                size_bytes=len(batch.body),
                sha256=sha256,
                selection=step.selection,
            )
            state.cursor = step.position_to
            state.planned_to = ""
            state.planned_selection = {}
            if following is not None and following.position_from == state.cursor:
                state.planned_to = following.position_to
                state.planned_selection = following.selection
            run_update = {}
        state.lease_until = timezone.now() + _lease_seconds()
        state.save()
        ExportRun.objects.filter(pk=run.pk).update(
            events=F("events") + batch.event_count,
            bytes=F("bytes") + len(batch.body),
            object_count=F("object_count") + 1,
            **run_update,
        )
    lease.state = state
    return True


def export_location_run(*, location_id, worker: str | None = None) -> ExportRun | None:
    """Deliver a location's pending objects (a replay first); None if busy.

    Writes up to ``AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN`` objects. While one
    object is being delivered, the next range is read and rendered, so the
    database and the destination work at once (it is recorded as planned
    in the transaction that commits the previous one). A failed delivery
    fails the run (the next run re-cuts the same range); a permission error, or
    ``AUDITSITE_EXPORT_ERROR_AFTER`` failures in a row, marks the location in
    error until a run succeeds. The cursor only moves with a delivered object.
    A location backing off (``ExportState.not_before`` ahead) is not run.
    """
    worker = worker or worker_id()
    lease = _lease_acquire(location_id, worker)
    if lease is None:
        return None
    failure: DeliveryResult | None = None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-deliver")
    try:
        failure = _walk(lease, destination_for(lease.location), pool)
    except Exception as exc:  # recorded on the run, then raised for the worker log
        _run_finish(lease, DeliveryResult.failed(repr(exc), retryable=True))
        raise
    finally:
        pool.shutdown(wait=True)
    run = _run_finish(lease, failure)
    _digests_after(lease)
    return run


def _digests_after(lease: Lease) -> None:
    """A run that completes an hour writes that hour's digest at once."""
    from exports.services.digests import digests_after_run

    digests_after_run(location=lease.location)


def _walk(lease: Lease, destination, pool) -> DeliveryResult | None:
    """Plan, render, deliver and commit objects; the failure, if one failed.

    One object is rendered and delivered on the pool's thread while this one
    reads the next new range: the compression, the PUT and the database's
    own work run beside the Python that decodes rows (the read waits on the
    database and the render's gzip/pyarrow work release the GIL).
    """
    step = _next_step(lease)
    for _ in range(settings.AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN):
        if step is None:
            return None
        if not step.rows:
            # Nothing left in a planned range (only if events were purged).
            ExportState.objects.filter(pk=lease.location.pk).update(
                planned_to="", planned_selection={}
            )
            lease.state.planned_to = ""
            step = _next_step(lease)
            continue
        delivery = pool.submit(_render_and_deliver, lease.location, destination, step)
        following = None
        if step.kind is StepKind.NEW:
            following = _plan_new(lease, after=step.position_to)
        batch, result = delivery.result()
        if not result.ok:
            return result
        if not _commit(lease, step, result, batch, following):
            logger.info("export %s: another worker moved on", lease.location.pk)
            return None
        step = following if following is not None else _next_step(lease)
    return None


def _render_and_deliver(
    location: ExportLocation, destination, step: Step
) -> tuple[Batch, DeliveryResult]:
    """Steps 3 and 4 for one object (on the delivery thread)."""
    batch = _render(location, step)
    return batch, _deliver(destination, step, batch)


def _run_finish(lease: Lease, failure: DeliveryResult | None) -> ExportRun:
    """Record how the run ended and release the lease.

    A run that found nothing to do leaves no history row (a CONTINUOUS
    location runs often); ``ExportLocation.last_checked_at`` shows it ran. It
    is returned unsaved, with status ``nothing_to_do``. A transient HTTP
    failure sets ``ExportState.not_before`` (``_backoff_until``); after
    ``AUDITSITE_EXPORT_PAUSE_AFTER`` failed runs in a row the location pauses
    itself (``export_location_pause_failing``, an operator event).
    """
    now = timezone.now()
    run = lease.run
    with transaction.atomic():
        location = ExportLocation.objects.select_for_update().get(pk=lease.location.pk)
        if run.pk is not None:
            run.refresh_from_db()
        run.finished_at = now
        if failure is None:
            run.status = (
                ExportRun.Status.SUCCESS
                if run.object_count
                else ExportRun.Status.NOTHING_TO_DO
            )
            location.last_checked_at = now
            location.in_error = False
            location.last_error = ""
            location.consecutive_failures = 0
            if run.object_count:
                location.connection_status = "SUCCESS"
                location.connection_checked_at = now
        else:
            run.status = ExportRun.Status.FAILED
            run.error = failure.error
            location.consecutive_failures += 1
            location.last_error = failure.error
            if (
                not failure.retryable
                or location.consecutive_failures
                >= settings.AUDITSITE_EXPORT_ERROR_AFTER
            ):
                location.in_error = True
            if not failure.retryable:
                location.connection_status = failure.error
                location.connection_checked_at = now
        location.save(
            update_fields=[
                "last_checked_at",
                "in_error",
                "last_error",
                "consecutive_failures",
                "connection_status",
                "connection_checked_at",
            ]
        )
        ExportState.objects.filter(pk=location.pk, lease_owner=lease.worker).update(
            lease_owner="",
            lease_until=None,
            lease_backend_pid=None,
            not_before=_backoff_until(location, failure, now),
        )
        if (
            failure is not None
            and location.enabled
            and location.consecutive_failures >= settings.AUDITSITE_EXPORT_PAUSE_AFTER
        ):
            from exports.services.locations import export_location_pause_failing

            export_location_pause_failing(location=location, reason=failure.error)
        if run.pk is not None or run.status != ExportRun.Status.NOTHING_TO_DO:
            run.save()
    return run


def _backoff_until(location: ExportLocation, failure: DeliveryResult | None, now):
    """When the next run may start after a transient HTTP failure (else None).

    ``AUDITSITE_EXPORT_BACKOFF_SECONDS`` doubling with each failed run in a
    row, up to ``AUDITSITE_EXPORT_BACKOFF_MAX_SECONDS``, or the receiver's
    ``Retry-After`` when that is longer (capped the same way).
    """
    if failure is None or not failure.retryable or failure.retry_after is None:
        return None
    doubling = min(location.consecutive_failures - 1, 20)
    wait = min(
        settings.AUDITSITE_EXPORT_BACKOFF_MAX_SECONDS,
        max(
            failure.retry_after,
            settings.AUDITSITE_EXPORT_BACKOFF_SECONDS * 2 ** max(doubling, 0),
        ),
    )
    return now + timedelta(seconds=wait) if wait > 0 else None


# --- queueing ------------------------------------------------------------------------


def _enqueue_run(location_id: str) -> None:
    from django_q.tasks import async_task

    async_task("exports.tasks.export_location_run_task", location_id)


def export_location_run_soon(*, actor, location: ExportLocation) -> None:
    """Queue a run now (admin action, API) once the caller's transaction commits."""
    location_id = str(location.pk)
    transaction.on_commit(lambda: _enqueue_run(location_id))


class _ContinuousLookup:
    """Whether an enabled CONTINUOUS location exists, remembered a few seconds.

    Every commit of events asks; one query per process per
    ``AUDITSITE_EXPORT_CONTINUOUS_LOOKUP_SECONDS`` answers, so a site with no
    CONTINUOUS location pays nothing per event.
    """

    def __init__(self) -> None:
        self._value: bool | None = None
        self._until = 0.0

    def exists(self) -> bool:
        now = time.monotonic()
        if self._value is None or now >= self._until:
            self._value = ExportLocation.objects.filter(
                enabled=True, interval=ExportLocation.Interval.CONTINUOUS
            ).exists()
            self._until = now + settings.AUDITSITE_EXPORT_CONTINUOUS_LOOKUP_SECONDS
        return self._value

    def forget(self) -> None:
        self._value = None


continuous_lookup = _ContinuousLookup()


def continuous_notify() -> None:
    """Events committed: queue one run of the CONTINUOUS locations, coalesced.

    Connected to ``audit.hooks`` (``ExportsConfig.ready``), so it runs after
    every commit that recorded events, and only then. Nothing happens unless
    an enabled CONTINUOUS location exists. At most one task is queued per
    ``AUDITSITE_EXPORT_CONTINUOUS_COALESCE_SECONDS`` (a cache flag; shared by
    every process with Redis, per process otherwise), so a burst of 1,000
    batches queues a handful of runs; the task keeps running until that
    window has passed, so events whose notify the flag swallowed are
    delivered by it. The schedule stays the fallback.
    """
    if not continuous_lookup.exists():
        return
    window = settings.AUDITSITE_EXPORT_CONTINUOUS_COALESCE_SECONDS
    if not cache.add(CONTINUOUS_FLAG, 1, timeout=window):
        return
    from django_q.tasks import async_task

    async_task("exports.tasks.export_continuous_task", time.time() + window)


def export_continuous_run(
    *, wait_seconds: float | None = None, covers_until: float | None = None
) -> int:
    """Run every enabled CONTINUOUS location; returns how many objects it wrote.

    A location busy with another run is waited for (up to ``wait_seconds``),
    so events that committed during that run are not left to the schedule.
    With ``covers_until`` (a ``time.time()``), passes repeat until one has
    started after it: the events of a coalesced notify window are all seen.
    """
    wait = (
        settings.AUDITSITE_EXPORT_CONTINUOUS_WAIT_SECONDS
        if wait_seconds is None
        else wait_seconds
    )
    written = 0
    while True:
        started = time.time()
        written += _continuous_pass(wait)
        if covers_until is None or started >= covers_until:
            return written
        time.sleep(min(0.2, max(0.0, covers_until - time.time())))


def _continuous_pass(wait: float) -> int:
    written = 0
    ids = ExportLocation.objects.filter(
        enabled=True, interval=ExportLocation.Interval.CONTINUOUS
    ).values_list("pk", flat=True)
    for location_id in ids:
        deadline = time.monotonic() + wait
        while True:
            run = export_location_run(location_id=location_id)
            if run is not None:
                written += run.object_count
                break
            if time.monotonic() >= deadline:
                break
            time.sleep(0.2)
    return written
