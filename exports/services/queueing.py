"""Queueing runs: now (admin action, API, replay), and CONTINUOUS ones when
events commit.

Nothing here writes delivery state: a queued django-q2 task calls
``exports.services.runs`` (``export_location_run``, or a CONTINUOUS task's
``run_open``/``run_look``/``run_close``), which does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from exports.models import ExportLocation
from exports.services.leases import worker_id
from exports.services.runs import OpenRun, run_close, run_look, run_open

CONTINUOUS_FLAG = "exports:continuous:queued"


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

    Each location's run stays open (its lease held, one history row) while
    the task lasts, and looks again as events commit (``runs.run_look``: a
    new commit horizon, no new lease): a pass that delivered is followed by
    the next at once (events committed meanwhile are waiting), one that found
    nothing after ``AUDITSITE_EXPORT_CONTINUOUS_POLL_SECONDS``. With
    ``covers_until`` (a ``time.time()``), a location's run is closed after a
    look that started after it, so the events of a coalesced notify window
    are all seen; without it, after one look. A location busy with another
    run is tried again at that pace, up to ``wait_seconds``, so events that
    committed during that run are not left to the schedule. A failed look
    closes its run with the failure (the next run re-cuts the range).
    """
    wait = (
        settings.AUDITSITE_EXPORT_CONTINUOUS_WAIT_SECONDS
        if wait_seconds is None
        else wait_seconds
    )
    task = _ContinuousTask(
        until=covers_until or 0.0, waiting_until=time.monotonic() + wait
    )
    task.pending = list(
        ExportLocation.objects.filter(
            enabled=True, interval=ExportLocation.Interval.CONTINUOUS
        ).values_list("pk", flat=True)
    )
    poll = settings.AUDITSITE_EXPORT_CONTINUOUS_POLL_SECONDS
    written = 0
    try:
        while task.pending:
            delivered = _continuous_pass(task)
            written += delivered
            if task.pending and not delivered:
                time.sleep(poll)
    finally:
        for opened in task.open_runs.values():
            run_close(opened, None)
    return written


@dataclass
class _ContinuousTask:
    """What one ``export_continuous_run`` holds between its passes."""

    until: float
    waiting_until: float
    worker: str = field(default_factory=worker_id)
    pending: list = field(default_factory=list)  # locations not covered yet
    open_runs: dict[object, OpenRun] = field(default_factory=dict)


def _continuous_pass(task: _ContinuousTask) -> int:
    """One look at each location still pending; how many objects it wrote."""
    written = 0
    for location_id in list(task.pending):
        started = time.time()
        opened = task.open_runs.get(location_id)
        if opened is None:
            opened = run_open(location_id=location_id, worker=task.worker)
            if opened is None:  # busy, backing off, disabled or gone
                if time.monotonic() >= task.waiting_until:
                    task.pending.remove(location_id)
                continue
            task.open_runs[location_id] = opened
        try:
            count, failure = run_look(opened)
        except Exception:  # run_look closed the run as failed
            del task.open_runs[location_id]
            raise
        written += count
        if failure is not None or started >= task.until or opened.lease.superseded:
            run_close(task.open_runs.pop(location_id), failure)
            task.pending.remove(location_id)
    return written
