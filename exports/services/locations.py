"""Export locations: the one validated way to create, change, verify, delete.

Every change records its ``operator`` event (SPEC section 7) in the same
transaction, with the old and new values and never a secret. The admin form,
the serializer and ``manage.py exports`` only translate
``ValidationError`` s raised here.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from audit.models import Category, EventType, Organization
from audit.services import Actor, event_record
from exports.crypto import secret_encrypt
from exports.destinations import destination_for
from exports.models import ExportLocation, ExportState

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
# Changing one of these is a credentials change: its values are not logged.
CREDENTIAL_FIELDS = {"access_key_id", "role_arn", "auth_type"}
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


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


# --- validation ------------------------------------------------------------------


def _clean_prefix(value: str) -> str:
    return (value or "").strip().strip("/")


def _normalise(field: str, value: Any) -> Any:
    if field == "path_prefix":
        return _clean_prefix(value)
    if field in ("categories", "event_types", "orgs"):
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list | tuple) else value
    if field in ("bucket", "endpoint_url", "access_key_id", "role_arn", "name"):
        return (value or "").strip()
    if field == "region":
        return (value or "").strip() or "us-east-1"
    return value


def _errors(
    location: ExportLocation, *, has_secret: bool, stored: ExportLocation | None
) -> dict[str, list[str]]:
    """Every problem of an (unsaved) location, by field name.

    An event type or org already stored that no longer exists (a deleted
    custom type or org) is kept: an unrelated edit must not fail on it.
    """
    errors: dict[str, list[str]] = {}
    try:
        location.full_clean(exclude=["secret_access_key_encrypted"])
    except ValidationError as exc:
        errors.update(exc.message_dict)

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if location.destination == ExportLocation.Destination.S3 and not location.bucket:
        add("bucket", "This field cannot be blank.")
    if location.bucket and (
        not BUCKET_NAME.match(location.bucket) or ".." in location.bucket
    ):
        add(
            "bucket",
            "Not a valid S3 bucket name: 3 to 63 lowercase letters, digits, dots "
            "and hyphens, starting and ending with a letter or digit.",
        )
    if location.endpoint_url:
        try:
            URLValidator(schemes=["http", "https"])(location.endpoint_url)
        except ValidationError:
            add("endpoint_url", "Must be an http:// or https:// URL.")
    for field in ("categories", "event_types", "orgs"):
        if not isinstance(getattr(location, field), list):
            add(field, "Must be a list.")
            setattr(location, field, [])
    if location.categories:
        unknown = sorted(set(location.categories) - set(Category.values))
        if unknown:
            add("categories", f"Unknown category {', '.join(unknown)}.")
    if location.event_types:
        known = set(
            EventType.objects.filter(event_type__in=location.event_types).values_list(
                "event_type", flat=True
            )
        )
        kept = set(stored.event_types or []) if stored is not None else set()
        unknown = sorted(set(location.event_types) - known - kept)
        if unknown:
            add("event_types", f"Unknown event type {', '.join(unknown)}.")
    if location.orgs:
        bad = []
        ids = []
        for value in location.orgs:
            try:
                ids.append(uuid.UUID(str(value)))
            except ValueError:
                bad.append(str(value))
        known = {
            str(pk)
            for pk in Organization.objects.filter(pk__in=ids).values_list(
                "pk", flat=True
            )
        }
        kept = {str(o) for o in stored.orgs or []} if stored is not None else set()
        bad += [str(i) for i in ids if str(i) not in known | kept]
        if bad:
            add("orgs", f"Unknown organization {', '.join(sorted(bad))}.")
    if location.auth_type == ExportLocation.AuthType.ASSUMED_ROLE:
        if not location.role_arn:
            add("role_arn", "Required for an assumed IAM role.")
    elif location.auth_type == ExportLocation.AuthType.ACCESS_KEY:
        if not location.access_key_id:
            add("access_key_id", "Required for an access key.")
        if not has_secret:
            add("secret_access_key", "Required for an access key.")
    return errors


def export_location_check(
    *,
    location: ExportLocation | None = None,
    secret_access_key: str | None = None,
    **fields: Any,
) -> ExportLocation:
    """The location with ``fields`` applied (unsaved), or ``ValidationError``.

    The one validation of a location; forms, serializers and the command
    call it (through create/update) and only translate its errors.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({f: "Not an editable field." for f in sorted(unknown)})
    candidate = ExportLocation() if location is None else _copy(location)
    for field, value in fields.items():
        setattr(candidate, field, _normalise(field, value))
    name_defaulted = not candidate.name
    if name_defaulted:
        candidate.name = candidate.bucket
    has_secret = bool(secret_access_key) or bool(
        location is not None and location.secret_access_key_encrypted
    )
    errors = _errors(candidate, has_secret=has_secret, stored=location)
    if name_defaulted and "bucket" in errors:
        errors.pop("name", None)  # the name was to be the missing bucket's
    if errors:
        raise ValidationError(errors)
    return candidate


def _copy(location: ExportLocation) -> ExportLocation:
    copy = ExportLocation.objects.get(pk=location.pk)
    return copy


def validation_message(exc: ValidationError) -> str:
    """One line naming each field: ``interval: "X" is not a valid choice.``"""
    if hasattr(exc, "error_dict"):
        parts = [
            f"{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in exc.message_dict.items()
        ]
        return "; ".join(parts)
    return " ".join(exc.messages)


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
            "destination": "s3",
            **details,
        },
    )


# --- create, change, delete --------------------------------------------------------


def export_location_create(
    *,
    actor: Actor,
    secret_access_key: str = "",
    verify: bool = True,
    **fields: Any,
) -> ExportLocation:
    """Validate and create a location with its state and schedule, then verify it.

    Records ``ExportLocationCreated`` (settings, never the secret).
    """
    location = export_location_check(secret_access_key=secret_access_key, **fields)
    location.secret_access_key_encrypted = secret_encrypt(secret_access_key or "")
    with transaction.atomic():
        location.save()
        ExportState.objects.create(location=location)
        export_schedule_sync(location=location)
        _record(
            "ExportLocationCreated",
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
    **changes: Any,
) -> ExportLocation:
    """Validate and apply changes (the secret only when a new one is given).

    Records ``ExportLocationChanged`` with old and new values of the changed
    settings, ``ExportLocationCredentialsChanged`` when the key, secret, role
    or auth type changed, and ``ExportLocationPaused``/``Resumed`` for the
    enabled flag, all in the transaction of the change.
    """
    with transaction.atomic():
        current = ExportLocation.objects.select_for_update().get(pk=location.pk)
        updated = export_location_check(
            location=current, secret_access_key=secret_access_key, **changes
        )
        changed = [f for f in changes if getattr(updated, f) != getattr(current, f)]
        fields = [*changed, "updated_at"]
        if secret_access_key:
            updated.secret_access_key_encrypted = secret_encrypt(secret_access_key)
            fields.append("secret_access_key_encrypted")
        updated.save(update_fields=fields)
        export_schedule_sync(location=updated)
        settings_changed = [
            f for f in changed if f not in CREDENTIAL_FIELDS and f != "enabled"
        ]
        if settings_changed:
            _record(
                "ExportLocationChanged",
                actor,
                updated,
                old={f: getattr(current, f) for f in settings_changed},
                new={f: getattr(updated, f) for f in settings_changed},
            )
        credentials = sorted(set(changed) & CREDENTIAL_FIELDS)
        if secret_access_key:
            credentials.append("secret_access_key")
        if credentials:
            _record(
                "ExportLocationCredentialsChanged", actor, updated, fields=credentials
            )
        if "enabled" in changed:
            _record(
                "ExportLocationResumed" if updated.enabled else "ExportLocationPaused",
                actor,
                updated,
            )
    for field in EDITABLE_FIELDS | {"secret_access_key_encrypted", "updated_at"}:
        setattr(location, field, getattr(updated, field))
    return location


def export_location_delete(*, actor: Actor, location: ExportLocation) -> None:
    """Delete a location with its schedules (its records go with it).

    Records ``ExportLocationDeleted``.
    """
    with transaction.atomic():
        _record("ExportLocationDeleted", actor, location, old=_public(location))
        _schedules_delete(location.pk)
        location.delete()


# --- schedules ---------------------------------------------------------------------


def export_schedule_sync(*, location: ExportLocation) -> None:
    """Make the django-q2 schedules match the location's interval and flag.

    ``CONTINUOUS`` is run from ``runs.continuous_notify`` when events commit;
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
    """Write ``verify-test-<timestamp>`` and record the connection status.

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
        _record("ExportLocationVerified", actor, location, status=status)
    location.connection_status = status
    location.connection_checked_at = now
    return status
