"""The one validation of an export location (``export_location_check``).

Common rules (filters that name existing categories, types and orgs, a valid
bucket name and URL), then each destination's own: S3 needs a bucket and
credentials; Datadog an API key; Splunk an endpoint URL and a token; a
webhook an ``https://`` endpoint URL and a secret. Each HTTP destination
takes only its own ``destination_options`` and none of the S3 fields; its
events go out as SPEC JSON whatever a file format would be, so the format
must stay ``json``. A location's destination cannot change. An endpoint URL
must pass the outbound guard (``exports.destinations.guard``): its host may
not resolve to a loopback, private, link-local or otherwise non-public
address unless ``AUDITSITE_ALLOW_PRIVATE_DESTINATIONS`` is on.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from audit.models import Category, EventType, Organization
from exports.destinations import datadog, guard, splunk, webhook
from exports.models import ExportLocation

# Where an S3 location writes and how it signs in (its secret is write-only).
S3_FIELDS = (
    "bucket",
    "region",
    "path_prefix",
    "endpoint_url",
    "auth_type",
    "access_key_id",
)
# When a location runs, what it selects and writes, and whether it runs.
SCHEDULE_FIELDS = (
    "interval",
    "categories",
    "event_types",
    "orgs",
    "file_format",
    "enabled",
)
EDITABLE_FIELDS = {
    "name",
    "destination",
    "destination_options",
    *S3_FIELDS,
    "role_arn",
    *SCHEDULE_FIELDS,
}
# What runs and checks write: read-only in the admin and the API.
STATUS_FIELDS = (
    "connection_status",
    "connection_checked_at",
    "in_error",
    "last_error",
    "consecutive_failures",
)
# Changing one of these is a credentials change: its values are not logged.
CREDENTIAL_FIELDS = {"access_key_id", "role_arn", "auth_type"}
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
D = ExportLocation.Destination
OPTIONS = {
    D.S3: set(),
    D.DATADOG: datadog.OPTIONS,
    D.SPLUNK: splunk.OPTIONS,
    D.WEBHOOK: webhook.OPTIONS,
}
SECRET_NAMES = {
    D.DATADOG: "API key",
    D.SPLUNK: "HEC token",
    D.WEBHOOK: "signing secret",
}
S3_ONLY_FIELDS = ("bucket", "path_prefix", "access_key_id", "role_arn")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
TEXT_OPTION_MAX = 200


def _option_errors(destination: str, options: Any) -> list[str]:
    if not isinstance(options, dict):
        return ["Must be a JSON object."]
    allowed = OPTIONS.get(destination, set())
    errors = []
    unknown = sorted(set(options) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        errors.append(
            f"Unknown option {', '.join(unknown)} for {destination} (allowed: {known})."
        )
    for name, value in options.items():
        if name not in allowed:
            continue
        if name == "tags":
            if not isinstance(value, list) or not all(
                isinstance(t, str) and t and "," not in t for t in value
            ):
                errors.append('tags: must be a list of tags such as "env:prod".')
        elif name == "site":
            if value not in datadog.SITES:
                errors.append(
                    f"site: must be one of {', '.join(datadog.SITES)} "
                    "(or set the endpoint URL)."
                )
        elif not isinstance(value, str) or len(value) > TEXT_OPTION_MAX:
            errors.append(f"{name}: must be a text of at most {TEXT_OPTION_MAX}.")
    return errors


def destination_errors(
    location: ExportLocation, *, has_secret: bool, has_s3_secret: bool
) -> dict[str, list[str]]:
    """The destination-specific problems of a location, by field name."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    kind = location.destination
    for message in _option_errors(kind, location.destination_options):
        add("destination_options", message)
    if kind == D.S3:
        if not location.bucket:
            add("bucket", "This field cannot be blank.")
        if location.auth_type == ExportLocation.AuthType.ASSUMED_ROLE:
            if not location.role_arn:
                add("role_arn", "Required for an assumed IAM role.")
        elif location.auth_type == ExportLocation.AuthType.ACCESS_KEY:
            if not location.access_key_id:
                add("access_key_id", "Required for an access key.")
            if not has_s3_secret:
                add("secret_access_key", "Required for an access key.")
        return errors
    if kind not in SECRET_NAMES:
        return errors  # not a valid choice: full_clean said so
    for field in S3_ONLY_FIELDS:
        if getattr(location, field):
            add(field, f"Only for S3 locations, not {kind}.")
    if has_s3_secret:
        add("secret_access_key", f"Only for S3 locations, not {kind}.")
    if location.file_format != ExportLocation.FileFormat.JSON:
        add(
            "file_format",
            f"{kind} receives SPEC JSON events; the file format must be json.",
        )
    if not has_secret:
        add("destination_secret", f"Required: the {SECRET_NAMES[kind]}.")
    if kind in (D.SPLUNK, D.WEBHOOK) and not location.endpoint_url:
        add("endpoint_url", f"Required for {kind}.")
    if kind == D.WEBHOOK and location.endpoint_url:
        parts = urlsplit(location.endpoint_url)
        if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
            add(
                "endpoint_url",
                "Must be an https:// URL (http:// only for localhost).",
            )
    return errors


def default_name(location: ExportLocation) -> str:
    """A name for a location created without one: its bucket, or destination+host."""
    if location.destination == D.S3:
        return location.bucket
    host = urlsplit(location.endpoint_url).hostname if location.endpoint_url else ""
    if not host and location.destination == D.DATADOG:
        host = (location.destination_options or {}).get("site") or "US1"
    return f"{location.destination} {host}".strip()


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
    if field == "destination":
        return (value or ExportLocation.Destination.S3).strip()
    if field == "destination_options":
        return {} if value is None else value
    if field == "region":
        return (value or "").strip() or "us-east-1"
    return value


def _errors(
    location: ExportLocation,
    *,
    has_secret: bool,
    has_destination_secret: bool,
    stored: ExportLocation | None,
) -> dict[str, list[str]]:
    """Every problem of an (unsaved) location, by field name.

    An event type or org already stored that no longer exists (a deleted
    custom type or org) is kept: an unrelated edit must not fail on it. The
    destination's own rules are ``destination_errors``.
    """
    errors: dict[str, list[str]] = {}
    try:
        location.full_clean(exclude=["secret_access_key_encrypted"])
    except ValidationError as exc:
        errors.update(exc.message_dict)

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if stored is not None and location.destination != stored.destination:
        add(
            "destination",
            f"Cannot change from {stored.destination}: create a new location.",
        )
    for field, messages in destination_errors(
        location, has_secret=has_destination_secret, has_s3_secret=has_secret
    ).items():
        for message in messages:
            add(field, message)
    if location.bucket and (
        not BUCKET_NAME.match(location.bucket) or ".." in location.bucket
    ):
        add(
            "bucket",
            "Not a valid S3 bucket name: 3 to 63 lowercase letters, digits, dots "
            "and hyphens, starting and ending with a letter or digit.",
        )
    if location.endpoint_url:
        # The guard first: an address spelled oddly (http://2130706433/) is
        # refused for where it leads, not only for its syntax.
        refused = guard.url_problem(location.endpoint_url)
        if refused:
            add("endpoint_url", refused)
        else:
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
    return errors


def export_location_check(
    *,
    location: ExportLocation | None = None,
    secret_access_key: str | None = None,
    destination_secret: str | None = None,
    **fields: Any,
) -> ExportLocation:
    """The location with ``fields`` applied (unsaved), or ``ValidationError``.

    The one validation of a location; forms, serializers and the command
    call it (through create/update) and only translate its errors.
    ``destination_secret`` is the Datadog API key, Splunk token or webhook
    secret (kept when not given on a change).
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({f: "Not an editable field." for f in sorted(unknown)})
    candidate = ExportLocation() if location is None else _copy(location)
    for field, value in fields.items():
        setattr(candidate, field, _normalise(field, value))
    name_defaulted = not candidate.name
    if name_defaulted:
        candidate.name = default_name(candidate)
    has_secret = bool(secret_access_key) or bool(
        location is not None and location.secret_access_key_encrypted
    )
    has_destination_secret = bool(destination_secret) or bool(
        location is not None and location.destination_secret_encrypted
    )
    errors = _errors(
        candidate,
        has_secret=has_secret,
        has_destination_secret=has_destination_secret,
        stored=location,
    )
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
