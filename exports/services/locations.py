"""Export locations: the one validated way to create, change, verify, delete.

Every change records its ``operator`` event (SPEC section 7) in the same
transaction, with the old and new values and never a secret. The validation
is ``location_checks.export_location_check``, which create and update call;
the admin form, the serializer and ``manage.py exports`` only translate the
``ValidationError`` s raised there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.catalog import T
from audit.services import Actor, event_record
from exports.crypto import secret_encrypt
from exports.destinations import destination_for
from exports.models import ExportLocation, ExportState
from exports.services.location_checks import (
    CREDENTIAL_FIELDS,
    EDITABLE_FIELDS,
    export_location_check,
    validation_message,
)

__all__ = ["EDITABLE_FIELDS", "export_location_check", "validation_message"]

SCHEDULE_MINUTES = {
    ExportLocation.Interval.CONTINUOUS: 1,
    ExportLocation.Interval.EVERY_5_MINUTES: 5,
    ExportLocation.Interval.EVERY_HOUR: 60,
    ExportLocation.Interval.EVERY_2_HOURS: 120,
    ExportLocation.Interval.EVERY_4_HOURS: 240,
    ExportLocation.Interval.EVERY_6_HOURS: 360,
    ExportLocation.Interval.EVERY_12_HOURS: 720,
    ExportLocation.Interval.EVERY_24_HOURS: 1440,
    ExportLocation.Interval.EVERY_DAY: 1440,
}


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
    principal = settings.AUDITSITE_AWS_PRINCIPAL_ARN or (
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


# --- operator events -------------------------------------------------------------


def _public(location: ExportLocation) -> dict[str, Any]:
    """The location's settings as an operator event shows them (no secret)."""
    return {
        f: getattr(location, f) for f in sorted(EDITABLE_FIELDS - CREDENTIAL_FIELDS)
    }


def _record(event_type: str, actor: Actor, location: ExportLocation, **details):
    event_record(
        event_type=event_type,
        actor=actor,
        details={
            "location": location.name,
            "location_id": str(location.pk),
            "destination": location.destination,
            **details,
        },
    )


# --- create, change, delete --------------------------------------------------------


def export_location_create(
    *,
    actor: Actor,
    secret_access_key: str = "",
    destination_secret: str = "",
    verify: bool = True,
    org=None,
    **fields: Any,
) -> ExportLocation:
    """Validate and create a location with its state and schedule, then verify it.

    Records ``ExportLocationCreated`` (settings, never a secret). ``org``
    makes it that org's log stream (``exports.services.org_streams``).
    """
    location = export_location_check(
        secret_access_key=secret_access_key,
        destination_secret=destination_secret,
        **fields,
    )
    location.org = org
    location.secret_access_key_encrypted = secret_encrypt(secret_access_key or "")
    location.destination_secret_encrypted = (
        secret_encrypt(destination_secret) if destination_secret else ""
    )
    with transaction.atomic():
        location.save()
        ExportState.objects.create(location=location)
        export_schedule_sync(location=location)
        _record(
            T.ExportLocationCreated,
            actor,
            location,
            new={**_public(location), "auth_type": location.auth_type},
        )
    if verify:
        export_location_verify(actor=actor, location=location)
    return location


def export_location_update(
    *,
    actor: Actor,
    location: ExportLocation,
    secret_access_key: str | None = None,
    destination_secret: str | None = None,
    **changes: Any,
) -> ExportLocation:
    """Validate and apply changes (a secret only when a new one is given).

    Records ``ExportLocationChanged`` with old and new values of the changed
    settings, ``ExportLocationCredentialsChanged`` when the key, secret, role
    or auth type changed, and ``ExportLocationPaused``/``Resumed`` for the
    enabled flag, all in the transaction of the change. Resuming starts
    afresh: no backoff, no count of failed runs (the cursor is kept, so the
    location catches up with no gap).
    """
    with transaction.atomic():
        current = ExportLocation.objects.select_for_update().get(pk=location.pk)
        updated = export_location_check(
            location=current,
            secret_access_key=secret_access_key,
            destination_secret=destination_secret,
            **changes,
        )
        changed = [f for f in changes if getattr(updated, f) != getattr(current, f)]
        fields = [*changed, "updated_at"]
        if secret_access_key:
            updated.secret_access_key_encrypted = secret_encrypt(secret_access_key)
            fields.append("secret_access_key_encrypted")
        if destination_secret:
            updated.destination_secret_encrypted = secret_encrypt(destination_secret)
            fields.append("destination_secret_encrypted")
        if "enabled" in changed and updated.enabled:
            updated.consecutive_failures = 0
            fields.append("consecutive_failures")
            ExportState.objects.filter(pk=updated.pk).update(not_before=None)
        updated.save(update_fields=fields)
        export_schedule_sync(location=updated)
        settings_changed = [
            f for f in changed if f not in CREDENTIAL_FIELDS and f != "enabled"
        ]
        if settings_changed:
            _record(
                T.ExportLocationChanged,
                actor,
                updated,
                old={f: getattr(current, f) for f in settings_changed},
                new={f: getattr(updated, f) for f in settings_changed},
            )
        credentials = sorted(set(changed) & CREDENTIAL_FIELDS)
        if secret_access_key:
            credentials.append("secret_access_key")
        if destination_secret:
            credentials.append("destination_secret")
        if credentials:
            _record(
                T.ExportLocationCredentialsChanged, actor, updated, fields=credentials
            )
        if "enabled" in changed:
            _record(
                T.ExportLocationResumed if updated.enabled else T.ExportLocationPaused,
                actor,
                updated,
            )
    kept = {
        "secret_access_key_encrypted",
        "destination_secret_encrypted",
        "consecutive_failures",
        "updated_at",
    }
    for field in EDITABLE_FIELDS | kept:
        setattr(location, field, getattr(updated, field))
    return location


def export_location_delete(*, actor: Actor, location: ExportLocation) -> None:
    """Delete a location: archive it, never erase it.

    The location is hidden from every list and lookup (``archived_at``), its
    secrets are wiped, it is disabled and its schedules removed; its ledger
    (runs, objects, digests) stays, so what it delivered still verifies.
    Records ``ExportLocationDeleted``, in the same transaction.
    """
    with transaction.atomic():
        current = ExportLocation.objects.select_for_update().get(pk=location.pk)
        _record(T.ExportLocationDeleted, actor, current, old=_public(current))
        _schedules_delete(current.pk)
        archived = {
            "archived_at": timezone.now(),
            "updated_at": timezone.now(),
            "enabled": False,
            "secret_access_key_encrypted": "",
            "destination_secret_encrypted": "",
        }
        ExportLocation.objects.filter(pk=current.pk).update(**archived)
    for field, value in archived.items():
        setattr(location, field, value)


def export_location_pause_failing(*, location: ExportLocation, reason: str) -> None:
    """Pause a location whose runs keep failing (``AUDITSITE_EXPORT_PAUSE_AFTER``).

    Called by the run engine inside its finishing transaction: the location
    is disabled, its schedules removed, and ``ExportLocationPaused`` is
    recorded with the reason and actor System. Resuming it (enabled again)
    catches up from the cursor.
    """
    ExportLocation.objects.filter(pk=location.pk).update(enabled=False)
    location.enabled = False
    _schedules_delete(location.pk)
    failures = location.consecutive_failures
    details = {
        "reason": f"{failures} failed runs in a row; last error: {reason}",
        "consecutive_failures": failures,
    }
    _record(T.ExportLocationPaused, Actor.system(), location, **details)
    if location.org_id is not None:
        # The org's own stream: its members see the pause in their log.
        from exports.services.org_streams import org_stream_record

        org_stream_record(T.OrgLogStreamPaused, Actor.system(), location, **details)


# --- schedules ---------------------------------------------------------------------


def export_schedule_sync(*, location: ExportLocation) -> None:
    """Make the django-q2 schedules match the location's interval and flag.

    ``CONTINUOUS`` is run from ``queueing.continuous_notify`` when events commit;
    its fallback is two one-minute schedules half a minute apart (django-q2's
    scheduler wakes every 30 s): a run every ~30 s even with no notify.
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


# --- verify ------------------------------------------------------------------------


def export_location_verify(*, actor: Actor, location: ExportLocation) -> str:
    """Send the destination's test delivery and record the connection status.

    S3: writes ``verify-test-<timestamp>``; Datadog: one log "auditsite
    verification"; Splunk: one event; webhook: a signed
    ``{"type": "verification"}``.

    Returns ``SUCCESS`` or the destination's error text; records
    ``ExportLocationVerified`` with it.
    """
    now = timezone.now()
    result = destination_for(location).verify()
    status = "SUCCESS" if result.ok else result.error
    with transaction.atomic():
        ExportLocation.objects.filter(pk=location.pk).update(
            connection_status=status, connection_checked_at=now
        )
        _record(T.ExportLocationVerified, actor, location, status=status)
    location.connection_status = status
    location.connection_checked_at = now
    return status
