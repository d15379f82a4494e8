"""Queueing runs: now (admin action, API, replay), and CONTINUOUS ones when
events commit.

Nothing here writes delivery state: a queued django-q2 task calls
``exports.services.runs.export_location_run``, which does.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from exports.models import ExportLocation
from exports.services.runs import export_location_run

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

    A location busy with another run is waited for (up to ``wait_seconds``),
    so events that committed during that run are not left to the schedule.
    With ``covers_until`` (a ``time.time()``), passes repeat until one has
    started after it: the events of a coalesced notify window are all seen.
    A pass that delivered something is followed by the next one at once
    (events committed while it delivered are waiting); one that found
    nothing, after ``AUDITSITE_EXPORT_CONTINUOUS_POLL_SECONDS``.
    """
    wait = (
        settings.AUDITSITE_EXPORT_CONTINUOUS_WAIT_SECONDS
        if wait_seconds is None
        else wait_seconds
    )
    poll = settings.AUDITSITE_EXPORT_CONTINUOUS_POLL_SECONDS
    written = 0
    while True:
        started = time.time()
        delivered = _continuous_pass(wait)
        written += delivered
        if covers_until is None or started >= covers_until:
            return written
        if not delivered:
            time.sleep(min(poll, max(0.0, covers_until - time.time())))


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
            time.sleep(settings.AUDITSITE_EXPORT_CONTINUOUS_POLL_SECONDS)
    return written
