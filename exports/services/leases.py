"""Leases: a run's hold on a location.

One run at a time delivers a location: it takes the location's
``ExportState`` (a row lock with SKIP LOCKED on PostgreSQL, plus a
conditional UPDATE of the lease that works on every backend). A hold whose
owner is dead (its PostgreSQL backend is gone, or its process on this host
is) ends at once, and the ``running`` runs it left are closed as failed with
the reason.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.selectors import event_type_templates
from exports.models import ExportLocation, ExportRun, ExportState
from exports.selectors import export_horizon, export_selection


def worker_id() -> str:
    """This process, as recorded on runs and leases: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Lease:
    """A run's hold on a location, with the run's (unsaved at first) history row."""

    location: ExportLocation
    state: ExportState
    run: ExportRun
    worker: str
    superseded: bool = False  # another worker moved on: nothing more to do

    @cached_property
    def selection(self) -> dict:
        """What the location selects, read once per run: a change of its
        filters or of the audit-log settings applies from the next run on."""
        return export_selection(location=self.location)

    @cached_property
    def templates(self) -> dict[str, str]:
        """The catalog's description templates, read once per run (and only
        by a run that writes a format that describes events)."""
        return event_type_templates()

    @cached_property
    def horizon(self) -> int:
        """The commit horizon, read once per run (once per look of a run
        that looks again): events committed during it are below a later
        one's horizon (a look is at most
        ``AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN`` objects)."""
        return export_horizon()

    def horizon_refresh(self) -> None:
        """Read the horizon again at its next use (a run that looks again:
        ``exports.services.runs.run_look``)."""
        self.__dict__.pop("horizon", None)


def lease_seconds() -> timedelta:
    """How long a live run's hold lasts (renewed with each object it commits)."""
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


def lease_acquire(location_id, worker: str) -> Lease | None:
    """Take an enabled location for ``worker``; None if held, backing off or gone.

    A dead holder's hold is taken over and its ``running`` runs are closed.
    """
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
            lease_until=now + lease_seconds(),
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
