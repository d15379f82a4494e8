"""Writes for exports: locations, schedules, verification, runs, replays.

A run delivers a location's new events exactly once:

1. Take a lease on the location (row lock with SKIP LOCKED on PostgreSQL,
   plus a conditional UPDATE of ``lease_until`` that works on every backend),
   so two workers never run one location at once and no DB transaction stays
   open during S3 writes.
2. Cut the next range ``(cursor, planned_to]`` (at most 10,000 events, only
   below the commit horizon, see selectors) and record ``planned_to``.
3. PUT the object under a key that is a pure function of location and range.
4. In ONE transaction: check the cursor still is the range start, insert the
   ``ExportObject``, move the cursor, update the run.

A worker killed between 3 and 4 leaves ``planned_to``: the next run re-cuts
exactly that range, so it writes the same key with the same bytes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.services import Actor
from exports import formats, s3
from exports.crypto import secret_encrypt
from exports.models import (
    ExportLocation,
    ExportObject,
    ExportRun,
    position_encode,
)
from exports.selectors import (
    events_selected,
    export_horizon,
    export_rows_after,
    export_rows_between,
    export_selection,
)

logger = logging.getLogger(__name__)

SCHEDULE_MINUTES = {
    ExportLocation.Interval.EVERY_5_MINUTES: 5,
    ExportLocation.Interval.EVERY_HOUR: 60,
    ExportLocation.Interval.EVERY_12_HOURS: 720,
    ExportLocation.Interval.EVERY_DAY: 1440,
    ExportLocation.Interval.CONTINUOUS: 1,
}
EDITABLE_FIELDS = {
    "name",
    "bucket",
    "region",
    "path_prefix",
    "endpoint_url",
    "auth_type",
    "access_key_id",
    "role_arn",
    "interval",
    "categories",
    "event_types",
    "orgs",
    "file_format",
    "enabled",
}


def _setting(name: str, default: Any) -> Any:
    return type(default)(getattr(settings, name, default))


def worker_id() -> str:
    """This process, as recorded on runs and leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# --- policies shown to the user ------------------------------------------------


def bucket_policy_for(location: ExportLocation) -> dict:
    """The minimal bucket permission: s3:PutObject on the bucket's objects."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{location.bucket}/*",
            }
        ],
    }


def trust_policy_for(location: ExportLocation) -> dict:
    """The role trust policy to paste: auditsite may assume it with ExternalId."""
    principal = getattr(settings, "AUDITSITE_AWS_PRINCIPAL_ARN", "") or (
        "arn:aws:iam::<auditsite-account-id>:root"
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": str(location.id)}},
            }
        ],
    }


# --- locations -------------------------------------------------------------------


def _clean_prefix(value: str) -> str:
    return (value or "").strip().strip("/")


def export_location_create(
    *,
    actor: Actor,
    name: str,
    bucket: str,
    region: str = "us-east-1",
    path_prefix: str = "",
    endpoint_url: str = "",
    auth_type: str = ExportLocation.AuthType.ACCESS_KEY,
    access_key_id: str = "",
    secret_access_key: str = "",
    role_arn: str = "",
    interval: str = ExportLocation.Interval.EVERY_HOUR,
    categories: list[str] | None = None,
    event_types: list[str] | None = None,
    orgs: list[str] | None = None,
    file_format: str = ExportLocation.FileFormat.JSON,
    enabled: bool = True,
    verify: bool = True,
) -> ExportLocation:
    """Create a location and its schedule, then verify it (writes a test object).

    ``actor`` is who asked; auditsite's catalog has no event type for export
    configuration, so no audit event is recorded (see README).
    """
    with transaction.atomic():
        location = ExportLocation.objects.create(
            name=name or bucket,
            bucket=bucket,
            region=region or "us-east-1",
            path_prefix=_clean_prefix(path_prefix),
            endpoint_url=endpoint_url or "",
            auth_type=auth_type,
            access_key_id=access_key_id or "",
            secret_access_key_encrypted=secret_encrypt(secret_access_key or ""),
            role_arn=role_arn or "",
            interval=interval,
            categories=list(categories or []),
            event_types=list(event_types or []),
            orgs=[str(o) for o in orgs or []],
            file_format=file_format,
            enabled=enabled,
        )
        export_schedule_sync(location=location)
    if verify:
        export_location_verify(actor=actor, location=location)
    return location


def export_location_update(
    *,
    actor: Actor,
    location: ExportLocation,
    secret_access_key: str | None = None,
    **changes: Any,
) -> ExportLocation:
    """Change a location's settings (the secret only when a new one is given)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        for field, value in changes.items():
            if field == "path_prefix":
                value = _clean_prefix(value)
            if field == "orgs":
                value = [str(o) for o in value or []]
            setattr(location, field, value)
        fields = [*changes, "updated_at"]
        if secret_access_key:
            location.secret_access_key_encrypted = secret_encrypt(secret_access_key)
            fields.append("secret_access_key_encrypted")
        # Only the changed fields: a run may move the cursor meanwhile.
        location.save(update_fields=fields)
        export_schedule_sync(location=location)
    return location


def export_location_delete(*, actor: Actor, location: ExportLocation) -> None:
    """Delete a location with its schedules, runs and object records."""
    with transaction.atomic():
        _schedules_delete(location.pk)
        location.delete()


def export_schedule_sync(*, location: ExportLocation) -> None:
    """Make the django-q2 schedules match the location's interval and flag.

    django-q2's scheduler wakes every 30 s, so ``CONTINUOUS`` gets two
    one-minute schedules half a minute apart: a run every ~30 s.
    """
    from django_q.models import Schedule

    if not location.enabled:
        _schedules_delete(location.pk)
        return
    minutes = SCHEDULE_MINUTES[location.interval]
    now = timezone.now()
    names = [f"export-location-{location.pk}", f"export-location-{location.pk}-b"]
    wanted = 2 if location.interval == ExportLocation.Interval.CONTINUOUS else 1
    for index, name in enumerate(names[:wanted]):
        schedule = Schedule.objects.filter(name=name).first()
        if schedule and schedule.minutes == minutes:
            continue
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": "exports.tasks.export_location_run_task",
                "args": repr(str(location.pk)),
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
                "next_run": now + timedelta(seconds=30 * index),
            },
        )
    Schedule.objects.filter(name__in=names[wanted:]).delete()


def _schedules_delete(location_id) -> None:
    from django_q.models import Schedule

    Schedule.objects.filter(name__startswith=f"export-location-{location_id}").delete()


# --- verify ----------------------------------------------------------------------


def _key(location: ExportLocation, name: str) -> str:
    prefix = _clean_prefix(location.path_prefix)
    return f"{prefix}/{name}" if prefix else name


def export_location_verify(*, actor: Actor, location: ExportLocation) -> str:
    """Write ``verify-test-<timestamp>`` and record the connection status.

    Returns ``SUCCESS`` or AWS's error text.
    """
    now = timezone.now()
    key = _key(location, f"verify-test-{now:%Y%m%dT%H%M%SZ}")
    try:
        client = s3.client_for(location)
        s3.object_put(
            client,
            bucket=location.bucket,
            key=key,
            body=b"auditsite export location verification\n",
            content_type="text/plain",
        )
        status = "SUCCESS"
    except s3.DestinationError as exc:
        status = str(exc)
    ExportLocation.objects.filter(pk=location.pk).update(
        connection_status=status, connection_checked_at=now
    )
    location.connection_status = status
    location.connection_checked_at = now
    return status


# --- runs ------------------------------------------------------------------------


class _Superseded(Exception):
    """Another worker moved the cursor: this run stops without writing more."""


def object_key(
    location: ExportLocation,
    *,
    position_from: str,
    position_to: str,
    first_created_at: datetime,
    file_format: str | None = None,
) -> str:
    """The object's key: a pure function of the location and the range."""
    day = first_created_at.astimezone(UTC)
    ext = formats.EXTENSIONS[file_format or location.file_format]
    name = (
        f"year={day:%Y}/month={day:%m}/day={day:%d}/"
        f"{location.pk}_{position_from}_{position_to}.{ext}"
    )
    return _key(location, name)


def _lease_acquire(location_id, worker: str) -> tuple[ExportLocation, ExportRun] | None:
    now = timezone.now()
    until = now + timedelta(seconds=_setting("AUDITSITE_EXPORT_LEASE_SECONDS", 300))
    with transaction.atomic():
        qs = ExportLocation.objects.filter(pk=location_id, enabled=True)
        if connection.features.has_select_for_update_skip_locked:
            if qs.select_for_update(skip_locked=True).first() is None:
                return None
        taken = qs.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(
            lease_until=until, lease_owner=worker
        )
        if taken != 1:
            return None
        location = qs.get()
    # Not saved yet: a run gets its history row with its first delivered (or
    # replayed) object, or when it fails (see _run_save, _run_finish).
    run = ExportRun(
        location=location,
        worker=worker,
        replay=bool(location.replay_from),
        started_at=now,
    )
    return location, run


def _lease_renew(location: ExportLocation, worker: str) -> None:
    until = timezone.now() + timedelta(
        seconds=_setting("AUDITSITE_EXPORT_LEASE_SECONDS", 300)
    )
    ExportLocation.objects.filter(pk=location.pk, lease_owner=worker).update(
        lease_until=until
    )


def _next_step(location: ExportLocation, worker: str) -> dict | None:
    """The next object to write: crash recovery, then replay, then new events.

    A range is always re-cut with the selection it was first cut with.
    """
    if location.planned_to:
        selection = location.planned_selection or export_selection(location=location)
        rows = export_rows_between(
            selection=selection, after=location.cursor, up_to=location.planned_to
        )
        return {
            "from": location.cursor,
            "to": location.planned_to,
            "rows": rows,
            "selection": selection,
        }
    if location.replay_from:
        obj = (
            ExportObject.objects.filter(
                location=location, position_from__gte=location.replay_from
            )
            .order_by("position_from")
            .first()
        )
        if obj is not None and obj.position_to <= location.cursor:
            selection = obj.selection or export_selection(location=location)
            rows = export_rows_between(
                selection=selection, after=obj.position_from, up_to=obj.position_to
            )
            return {
                "from": obj.position_from,
                "to": obj.position_to,
                "rows": rows,
                "selection": selection,
                "replay_of": obj,
            }
        ExportLocation.objects.filter(pk=location.pk).update(replay_from="")
        location.replay_from = ""
    selection = export_selection(location=location)
    rows = export_rows_after(
        selection=selection,
        after=location.cursor,
        horizon=export_horizon(),
        limit=_setting("AUDITSITE_EXPORT_OBJECT_EVENTS", 10_000),
    )
    if not rows:
        return None
    last = rows[-1]
    planned_to = position_encode(last[-2], last[-1])
    recorded = ExportLocation.objects.filter(
        pk=location.pk, cursor=location.cursor, lease_owner=worker, planned_to=""
    ).update(planned_to=planned_to, planned_selection=selection)
    if recorded != 1:
        raise _Superseded()
    location.planned_to = planned_to
    location.planned_selection = selection
    return {
        "from": location.cursor,
        "to": planned_to,
        "rows": rows,
        "selection": selection,
    }


def _put_with_backoff(client, **kwargs) -> None:
    """PUT, retrying transient failures (beyond botocore's own) with backoff."""
    retries = _setting("AUDITSITE_EXPORT_PUT_RETRIES", 2)
    base = _setting("AUDITSITE_EXPORT_RETRY_BACKOFF", 2.0)
    for attempt in range(retries + 1):
        try:
            s3.object_put(client, **kwargs)
            return
        except s3.DestinationError as exc:
            if not exc.retryable or attempt == retries:
                raise
            time.sleep(min(60.0, base * 2**attempt))


def _run_save(run: ExportRun) -> None:
    """Give a run its history row (once it delivers something or fails)."""
    if run.pk is None:
        run.save()


def _commit(location, run, worker, step, key, body, sha256) -> None:
    unsaved = run.pk is None
    try:
        _commit_once(location, run, worker, step, key, body, sha256)
    except BaseException:
        if unsaved:  # the run's row was rolled back with the transaction
            run.pk = None
            run._state.adding = True
        raise


def _commit_once(location, run, worker, step, key, body, sha256) -> None:
    rows = step["rows"]
    with transaction.atomic():
        current = ExportLocation.objects.select_for_update().get(pk=location.pk)
        replay_of = step.get("replay_of")
        if replay_of is not None:
            if current.replay_from > step["from"]:
                raise _Superseded()
            _run_save(run)
            ExportObject.objects.filter(pk=replay_of.pk).update(
                event_count=len(rows), size_bytes=len(body), sha256=sha256, key=key
            )
            current.replay_from = step["to"] if step["to"] < current.cursor else ""
            fields = ["replay_from"]
        else:
            if current.cursor != step["from"]:
                raise _Superseded()
            _run_save(run)
            ExportObject.objects.create(
                location=current,
                run=run,
                key=key,
                position_from=step["from"],
                position_to=step["to"],
                first_seq=rows[0][-1],
                last_seq=rows[-1][-1],
                event_count=len(rows),
                size_bytes=len(body),
                sha256=sha256,
                selection=step["selection"],
            )
            current.cursor = step["to"]
            current.planned_to = ""
            current.planned_selection = {}
            fields = ["cursor", "planned_to", "planned_selection"]
        current.lease_until = timezone.now() + timedelta(
            seconds=_setting("AUDITSITE_EXPORT_LEASE_SECONDS", 300)
        )
        current.save(update_fields=[*fields, "lease_until", "updated_at"])
        ExportRun.objects.filter(pk=run.pk).update(
            events=F("events") + len(rows),
            bytes=F("bytes") + len(body),
            object_count=F("object_count") + 1,
        )
        if replay_of is not None:
            ExportRun.objects.filter(pk=run.pk).update(replay=True)
    location.cursor = current.cursor
    location.planned_to = current.planned_to
    location.planned_selection = current.planned_selection
    location.replay_from = current.replay_from


def export_location_run(*, location_id, worker: str | None = None) -> ExportRun | None:
    """Deliver a location's pending objects (a replay first); None if busy.

    Writes up to ``AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN`` objects. A transient
    S3 fault fails the run (the next one retries); a permission error, or
    ``AUDITSITE_EXPORT_ERROR_AFTER`` failures in a row, marks the location in
    error until a run succeeds. The cursor only moves with a delivered object.
    """
    worker = worker or worker_id()
    acquired = _lease_acquire(location_id, worker)
    if acquired is None:
        return None
    location, run = acquired
    client = None
    error: s3.DestinationError | None = None
    try:
        for _ in range(_setting("AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN", 50)):
            step = _next_step(location, worker)
            if step is None:
                break
            rows = step["rows"]
            if not rows:
                # Nothing left in a planned range (only if events were purged).
                ExportLocation.objects.filter(pk=location.pk).update(
                    planned_to="", planned_selection={}
                )
                location.planned_to = ""
                continue
            file_format = step["selection"]["format"]
            body = formats.render(file_format, (formats.spec_from_row(r) for r in rows))
            key = object_key(
                location,
                position_from=step["from"],
                position_to=step["to"],
                first_created_at=rows[0][7],
                file_format=file_format,
            )
            if client is None:
                client = s3.client_for(location)
            _put_with_backoff(
                client,
                bucket=location.bucket,
                key=key,
                body=body,
                content_type=formats.CONTENT_TYPES[file_format],
            )
            _commit(
                location, run, worker, step, key, body, hashlib.sha256(body).hexdigest()
            )
            _lease_renew(location, worker)
    except _Superseded:
        logger.info("export %s: another worker delivered first", location.pk)
    except s3.DestinationError as exc:
        error = exc
    except Exception as exc:  # recorded on the run, then raised for the worker log
        _run_finish(
            location, run, worker, s3.DestinationError(repr(exc), retryable=True)
        )
        raise
    return _run_finish(location, run, worker, error)


def _run_finish(location, run, worker, error: s3.DestinationError | None) -> ExportRun:
    """Record how the run ended and release the lease.

    A run that found nothing to do leaves no history row (a CONTINUOUS
    location checks every 30 s); ``ExportLocation.last_checked_at`` shows it
    ran. It is returned unsaved, with status ``nothing_to_do``.
    """
    now = timezone.now()
    with transaction.atomic():
        current = ExportLocation.objects.select_for_update().get(pk=location.pk)
        if run.pk is not None:
            run.refresh_from_db()
        run.finished_at = now
        if error is None:
            run.status = (
                ExportRun.Status.SUCCESS
                if run.object_count
                else ExportRun.Status.NOTHING_TO_DO
            )
            current.last_checked_at = now
            current.in_error = False
            current.last_error = ""
            current.consecutive_failures = 0
            if run.object_count:
                current.connection_status = "SUCCESS"
                current.connection_checked_at = now
        else:
            run.status = ExportRun.Status.FAILED
            run.error = str(error)
            current.consecutive_failures += 1
            current.last_error = str(error)
            if not error.retryable or current.consecutive_failures >= _setting(
                "AUDITSITE_EXPORT_ERROR_AFTER", 3
            ):
                current.in_error = True
            if not error.retryable:
                current.connection_status = str(error)
                current.connection_checked_at = now
        if current.lease_owner == worker:
            current.lease_until = None
            current.lease_owner = ""
        current.save()
        if run.pk is not None or run.status != ExportRun.Status.NOTHING_TO_DO:
            run.save()
    return run


# --- replay ----------------------------------------------------------------------


def export_location_replay(
    *, actor: Actor, location: ExportLocation, since: date
) -> int:
    """Re-send a location's delivered objects from a date; the count to re-send.

    Replay re-cuts exactly the recorded ranges, so the objects land on the same
    keys with the same bytes (deterministic formats), and then runs go on from
    the cursor. Runs while replaying are flagged ``replay`` in the history.
    """
    start = datetime.combine(since, dtime.min, tzinfo=UTC)
    with transaction.atomic():
        current = ExportLocation.objects.select_for_update().get(pk=location.pk)
        first = (
            # Every event, not only those matching now: the objects were cut
            # with the selection of their time (a superset is harmless).
            events_selected(selection={})
            .filter(created_at__gte=start)
            .order_by("txid", "seq")
            .values_list("txid", "seq")
            .first()
        )
        obj = None
        if first is not None:
            obj = (
                ExportObject.objects.filter(
                    location=current, position_to__gte=position_encode(*first)
                )
                .order_by("position_to")
                .first()
            )
        if obj is None:
            return 0
        current.replay_from = obj.position_from
        current.save(update_fields=["replay_from", "updated_at"])
        count = ExportObject.objects.filter(
            location=current, position_from__gte=obj.position_from
        ).count()
        location.replay_from = current.replay_from
        location_id = str(current.pk)
        transaction.on_commit(lambda: _enqueue_run(location_id))
    return count


def _enqueue_run(location_id: str) -> None:
    from django_q.tasks import async_task

    async_task("exports.tasks.export_location_run_task", location_id)


def export_location_run_soon(*, actor: Actor, location: ExportLocation) -> None:
    """Queue a run now (admin action, API) once the caller's transaction commits."""
    location_id = str(location.pk)
    transaction.on_commit(lambda: _enqueue_run(location_id))
