"""Runs: deliver a location's new events exactly once.

A run's walk, each room once and back only to commit:

1. **Lease** (``exports.services.leases``): take the location's
   ``ExportState``; a dead holder's hold ends at once and its ``running``
   runs are closed as failed with the reason.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from exports import formats
from exports.destinations import Batch, DeliveryResult, destination_for
from exports.models import ExportLocation, ExportObject, ExportRun, ExportState
from exports.selectors import ExportRow, export_rows_between, export_rows_of_one_day
from exports.services.leases import Lease, lease_acquire, lease_seconds, worker_id

logger = logging.getLogger(__name__)


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


# --- 1. lease: exports.services.leases -------------------------------------------


# --- 2. plan ----------------------------------------------------------------------


def _recorded_range(
    kind: StepKind, after: str, up_to: str, selection: dict, replay_of=None
) -> Step:
    """A range cut before (a crash's plan, the ``ExportObject`` replayed), cut
    again with the selection recorded with it: same rows, same bytes."""
    rows = export_rows_between(selection=selection, after=after, up_to=up_to)
    return Step(kind, after, up_to, rows, selection, replay_of=replay_of)


def _next_step(lease: Lease) -> Step | None:
    """The next object: crash recovery, then replay, then new events."""
    location, state = lease.location, lease.state
    if state.planned_to:
        return _recorded_range(
            StepKind.RECUT,
            after=state.cursor,
            up_to=state.planned_to,
            selection=state.planned_selection or lease.selection,
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
            return _recorded_range(
                StepKind.REPLAY,
                after=obj.position_from,
                up_to=obj.position_to,
                selection=obj.selection or lease.selection,
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
        state.lease_until = timezone.now() + lease_seconds()
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
    lease = lease_acquire(location_id, worker)
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
        # A format may read the catalog on the delivery thread (CSV
        # descriptions): that thread's database connection ends with it.
        pool.submit(connections.close_all)
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
