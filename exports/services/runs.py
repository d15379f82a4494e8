"""Runs: deliver a location's new events exactly once.

A run's walk, each room once and back only to commit:

1. **Lease** (``exports.services.leases``): take the location's
   ``ExportState``; a dead holder's hold ends at once and its ``running``
   runs are closed as failed with the reason.
2. **Plan** (``exports.services.plans``): the next ``Step``: a planned
   range left by a crash (re-cut with its recorded selection), else a
   replayed object, else new events after the cursor, below the commit
   horizon, cut where the UTC day of ``created_at`` changes (one object =
   one day) for an object store; an HTTP destination's ranges are up to
   ``AUDITSITE_EXPORT_OBJECT_EVENTS`` events, whatever their days. A new
   range is recorded as ``planned_to`` before anything is written.
3. **Render** it as the destination sends it: an object store
   (``wants_file``) gets the file in the recorded format (``audit.formats``,
   pure: what a writer needs beyond the rows, such as the CSV description
   templates, is read once per run and recorded with the range); an HTTP
   destination builds its request bodies from the rows itself. The key is a
   pure function of (location, range, day).
4. **Deliver** it to the destination (``exports.destinations``); no retry
   loop of ours: a failed delivery fails the run, the next run re-cuts the
   same range.
5. **Commit** in one transaction: the lease and cursor are still ours, the
   ``ExportObject`` is recorded with what was sent (requests, bytes, sha256
   of the bodies: the destination's ``DeliveryResult``), the cursor moves.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

from auditsite_verify import layout
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit import formats
from exports.destinations import Batch, DeliveryResult, destination_for
from exports.models import ExportLocation, ExportObject, ExportRun, ExportState
from exports.services.leases import Lease, lease_acquire, lease_seconds, worker_id
from exports.services.plans import Step, StepKind, next_step, plan_new

logger = logging.getLogger(__name__)


def object_name(
    location: ExportLocation,
    *,
    position_from: str,
    position_to: str,
    day: date,
    file_format: str,
) -> str:
    """An object's name: a pure function of location, range and UTC day."""
    return layout.object_name(
        location_id=str(location.pk),
        position_from=position_from,
        position_to=position_to,
        day=day,
        extension=formats.EXTENSIONS[file_format],
    )


def idempotency_key(location: ExportLocation, step: Step) -> str:
    """The same for every delivery of one range (HTTP destinations send it)."""
    raw = f"{location.pk}:{step.position_from}:{step.position_to}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


# --- 1. lease: exports.services.leases; 2. plan: exports.services.plans ----------


# --- 3. render ----------------------------------------------------------------------


def _render(location: ExportLocation, step: Step, *, file: bool = True) -> Batch:
    """The range as a ``Batch``; its file rendered only when ``file``."""
    body = formats.render_selection(step.selection, step.rows) if file else b""
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
    sent = {
        "event_count": batch.event_count,
        "request_count": result.requests,
        "size_bytes": result.size_bytes,
        "sha256": result.sha256,
    }
    with transaction.atomic():
        state = ExportState.objects.select_for_update().get(pk=location.pk)
        if state.lease_owner != lease.worker:
            return False
        if step.kind is StepKind.REPLAY:
            if state.replay_from > step.position_from:
                return False
            ExportObject.objects.filter(pk=step.replay_of.pk).update(
                selection=step.selection, **sent
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
                selection=step.selection,
                **sent,
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
            bytes=F("bytes") + result.size_bytes,
            object_count=F("object_count") + 1,
            **run_update,
        )
    lease.state = state
    return True


def export_location_run(*, location_id, worker: str | None = None) -> ExportRun | None:
    """Deliver a location's pending objects (a replay first); None if busy.

    Writes up to ``AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN`` objects. While one
    object is being delivered, the next is rendered and the range after it
    read, so the database, the compression and the destination work at once
    (a range read ahead is recorded as planned in the transaction that
    commits the object before it). A failed delivery
    fails the run (the next run re-cuts the same range); a permission error, or
    ``AUDITSITE_EXPORT_ERROR_AFTER`` failures in a row, marks the location in
    error until a run succeeds. The cursor only moves with a delivered object.
    A location backing off (``ExportState.not_before`` ahead) is not run.
    """
    opened = run_open(location_id=location_id, worker=worker)
    if opened is None:
        return None
    _, failure = run_look(opened)
    return run_close(opened, failure)


@dataclass(frozen=True)
class _Pools:
    """A run's two worker threads: one renders, one delivers."""

    render: ThreadPoolExecutor
    deliver: ThreadPoolExecutor

    def shutdown(self) -> None:
        # Their threads never touch the database (formats are pure,
        # destinations read what they need on the run's thread): nothing to
        # close but the threads.
        self.render.shutdown(wait=True)
        self.deliver.shutdown(wait=True)


@dataclass
class OpenRun:
    """A run holding its location's lease, looked at again until closed.

    ``export_location_run`` opens, looks once and closes. A CONTINUOUS task
    (``exports.services.queueing``) keeps its runs open over its coalescing
    window and looks again as events commit: each look reads a new commit
    horizon and delivers what is below it, without taking the lease or
    recording a run again.
    """

    lease: Lease
    destination: object
    pools: _Pools
    looks: int = 0


def run_open(*, location_id, worker: str | None = None) -> OpenRun | None:
    """Take the location's lease for a run; None if busy, backing off or gone."""
    lease = lease_acquire(location_id, worker or worker_id())
    if lease is None:
        return None
    try:
        destination = destination_for(lease.location)
    except Exception as exc:  # recorded on the run, then raised for the worker log
        _run_finish(lease, DeliveryResult.failed(repr(exc), retryable=True))
        raise
    pools = _Pools(
        render=ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-render"),
        deliver=ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-deliver"),
    )
    return OpenRun(lease=lease, destination=destination, pools=pools)


def run_look(opened: OpenRun) -> tuple[int, DeliveryResult | None]:
    """Deliver what is pending below a commit horizon read now.

    Returns the objects written and the failure, if one failed (the run must
    then be closed with it). An exception closes the run as failed and is
    raised.
    """
    if opened.looks:
        opened.lease.horizon_refresh()
    opened.looks += 1
    try:
        return _walk(opened.lease, opened.destination, opened.pools)
    except Exception as exc:  # recorded on the run, then raised for the worker log
        opened.pools.shutdown()
        _run_finish(opened.lease, DeliveryResult.failed(repr(exc), retryable=True))
        raise


def run_close(opened: OpenRun, failure: DeliveryResult | None) -> ExportRun:
    """Record how the run ended, release the lease, write a completed hour's digest."""
    opened.pools.shutdown()
    run = _run_finish(opened.lease, failure)
    _digests_after(opened.lease)
    return run


def _digests_after(lease: Lease) -> None:
    """A run that completes an hour writes that hour's digest at once."""
    from exports.services.digests import digests_after_run

    digests_after_run(location=lease.location)


def _walk(
    lease: Lease, destination, pools: _Pools
) -> tuple[int, DeliveryResult | None]:
    """Plan, render, deliver and commit objects: (objects written, the failure).

    Three ranges are in hand at once: while one object is delivered (the
    PUT or the POSTs), the next one is rendered on the render thread (for
    a file: its lines, then gzip or pyarrow, which release the GIL) and
    this thread reads the one after it (waiting on the database). Objects
    are still delivered and committed one at a time, in order; a range
    read or rendered ahead of a failed delivery is only dropped (nothing of
    it was written, and it was not recorded as planned).
    """
    wants_file = destination.wants_file
    location = lease.location
    step = next_step(lease, wants_file=wants_file)
    rendering: Future[Batch] | None = None  # of ``step``, when started ahead
    written = 0
    for _ in range(settings.AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN):
        if step is None:
            return written, None
        if not step.rows:
            # Nothing left in a planned range (only if events were purged).
            ExportState.objects.filter(pk=location.pk).update(
                planned_to="", planned_selection={}
            )
            lease.state.planned_to = ""
            step, rendering = next_step(lease, wants_file=wants_file), None
            continue
        if rendering is None:
            rendering = pools.render.submit(_render, location, step, file=wants_file)
        delivery = pools.deliver.submit(_deliver_rendered, destination, step, rendering)
        following, following_rendering = None, None
        if step.kind is StepKind.NEW:
            following = plan_new(lease, after=step.position_to, wants_file=wants_file)
            if following is not None:
                following_rendering = pools.render.submit(
                    _render, location, following, file=wants_file
                )
        batch, result = delivery.result()
        if not result.ok:
            return written, result
        if not _commit(lease, step, result, batch, following):
            logger.info("export %s: another worker moved on", location.pk)
            lease.superseded = True
            return written, None
        written += 1
        if following is not None:
            step, rendering = following, following_rendering
        elif step.kind is StepKind.NEW and not lease.state.replay_from:
            # Nothing new below this look's horizon after the cursor (the
            # read beside the delivery said so, and the horizon is fixed for
            # the look): no second read. The next look reads again.
            return written, None
        else:
            step, rendering = next_step(lease, wants_file=wants_file), None
    return written, None


def _deliver_rendered(
    destination, step: Step, rendering: Future[Batch]
) -> tuple[Batch, DeliveryResult]:
    """Step 4 for one object once it is rendered (delivery thread, no database)."""
    batch = rendering.result()
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
