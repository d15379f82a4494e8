"""An org's own log streams (SPEC section 11): export locations with ``org`` set.

The same services and the one validation as the operator's locations
(``exports.services.locations``, ``location_checks``), with the org fixed:
a stream's visibility (that org's events its pages show) is applied by the
engine's selection (``exports.selectors.export_selection``), so the fields
offered here can only narrow it. Each change also records its org event
(`OrgLogStreamCreated`, `Changed`, `Deleted`; `Paused` for an automatic
pause), about the org, never with a secret, in the change's transaction.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.catalog import ORG, USER, T
from audit.models import Organization
from audit.services import Actor, event_record
from exports.models import ExportLocation
from exports.services.locations import (
    EDITABLE_FIELDS,
    export_location_create,
    export_location_delete,
    export_location_update,
    export_location_verify,
)

# What a member may set: what the operator may, but ``orgs`` and ``enabled``.
ORG_STREAM_FIELDS = EDITABLE_FIELDS - {"orgs", "enabled"}
ORG_STREAM_CATEGORIES = {USER, ORG}
# Shown in the org's events: settings only (no credential, no secret).
PUBLIC_FIELDS = ("interval", "categories", "event_types", "file_format", "enabled")
# A change shows these values; any other changed field (a credential, a secret,
# an endpoint URL that may carry a token) is named with HIDDEN for its values.
SHOWN_FIELDS = {*PUBLIC_FIELDS, "name", "bucket", "region", "path_prefix"}
HIDDEN = "(not shown)"


def org_stream_record(
    event_type: str, actor: Actor, location: ExportLocation, **details: Any
) -> None:
    """Record an `OrgLogStream*` event about the stream's org."""
    event_record(
        event_type=event_type,
        actor=actor,
        org=Organization.objects.get(pk=location.org_id),
        details={
            "stream": location.name,
            "stream_id": str(location.pk),
            "destination": location.destination,
            **details,
        },
    )


def _public(location: ExportLocation) -> dict[str, Any]:
    """The stream's settings its org's events may show (``PUBLIC_FIELDS``)."""
    return {f: getattr(location, f) for f in PUBLIC_FIELDS}


def _member_fields_check(fields: dict) -> None:
    """Refuse a setting a member may not set, or a category beyond user and org."""
    unknown = set(fields) - ORG_STREAM_FIELDS
    if unknown:
        raise ValidationError({f: "Not a log stream setting." for f in sorted(unknown)})
    wider = sorted(set(fields.get("categories") or []) - ORG_STREAM_CATEGORIES)
    if wider:
        raise ValidationError(
            {"categories": f"A log stream carries user and org events, not {wider}."}
        )


def org_streams_for(*, org: Organization):
    """The org's log streams, by name."""
    return ExportLocation.objects.filter(org=org).order_by("name", "id")


def org_stream_create(
    *,
    actor: Actor,
    org: Organization,
    secret_access_key: str = "",
    destination_secret: str = "",
    **fields: Any,
) -> ExportLocation:
    """Create a log stream for ``org``, then verify it (its status is recorded).

    ``ValidationError`` (nothing saved, no event) for a field a member may
    not set, a category beyond user and org, the location's own rules, or
    more than ``AUDITSITE_ORG_STREAMS_MAX`` streams. Records
    `ExportLocationCreated` (the operator's log) and `OrgLogStreamCreated`.
    """
    _member_fields_check(fields)
    with transaction.atomic():
        # One at a time per org, so two requests cannot both pass the limit.
        Organization.objects.select_for_update().filter(pk=org.pk).first()
        limit = settings.AUDITSITE_ORG_STREAMS_MAX
        if org_streams_for(org=org).count() >= limit:
            raise ValidationError(
                f"{org.name} already has {limit} log streams, the most allowed: "
                "delete one first."
            )
        location = export_location_create(
            actor=actor,
            org=org,
            verify=False,
            secret_access_key=secret_access_key,
            destination_secret=destination_secret,
            orgs=[],
            **fields,
        )
        org_stream_record(T.OrgLogStreamCreated, actor, location, new=_public(location))
    export_location_verify(actor=actor, location=location)
    return location


def org_stream_update(
    *,
    actor: Actor,
    location: ExportLocation,
    secret_access_key: str = "",
    destination_secret: str = "",
    **fields: Any,
) -> list[str]:
    """Change a stream's settings; returns the names of what changed.

    The same checks as creating (``export_location_update``, the one
    validation with the outbound guard; no field that widens what it
    carries). A blank secret keeps the stored one. Records the operator's
    events and `OrgLogStreamChanged` with the changed fields' names, values
    only for the settings in ``SHOWN_FIELDS`` (never a secret or a
    credential), in one transaction; nothing when nothing changed.
    """
    _member_fields_check(fields)
    with transaction.atomic():
        before = {f: getattr(location, f) for f in fields}
        export_location_update(
            actor=actor,
            location=location,
            secret_access_key=secret_access_key or None,
            destination_secret=destination_secret or None,
            **fields,
        )
        changed = [f for f in fields if getattr(location, f) != before[f]]
        changed += [
            name
            for name, value in (
                ("secret_access_key", secret_access_key),
                ("destination_secret", destination_secret),
            )
            if value
        ]
        if changed:
            org_stream_record(
                T.OrgLogStreamChanged,
                actor,
                location,
                fields=changed,
                old={
                    f: before.get(f) if f in SHOWN_FIELDS else HIDDEN for f in changed
                },
                new={
                    f: getattr(location, f) if f in SHOWN_FIELDS else HIDDEN
                    for f in changed
                },
            )
    return changed


def org_stream_set_enabled(
    *, actor: Actor, location: ExportLocation, enabled: bool
) -> ExportLocation:
    """Pause or resume a stream; records `OrgLogStreamChanged` when it changes.

    Resuming catches up from the cursor with no gap (as for any location).
    """
    with transaction.atomic():
        was = location.enabled
        export_location_update(actor=actor, location=location, enabled=enabled)
        if was != enabled:
            org_stream_record(
                T.OrgLogStreamChanged,
                actor,
                location,
                old={"enabled": was},
                new={"enabled": enabled},
            )
    return location


def org_stream_delete(
    *, actor: Actor, location: ExportLocation, **details: Any
) -> None:
    """Delete a stream; records `OrgLogStreamDeleted` (and the operator event).

    Deleting archives it (``export_location_delete``): it never runs again,
    its secrets are wiped, what it delivered stays on record and verifies.
    """
    with transaction.atomic():
        org_stream_record(
            T.OrgLogStreamDeleted,
            actor,
            location,
            old=_public(location),
            **details,
        )
        export_location_delete(actor=actor, location=location)


def org_streams_archive(*, actor: Actor, org: Organization) -> None:
    """Archive the streams of an org that is being deleted, then detach them.

    ``audit.services.org_delete`` calls it in its transaction (through
    ``audit.hooks.org_deleting``; connected in ``ExportsConfig.ready``). Each
    live stream is deleted as a member would delete it (archived, secrets
    wiped, `OrgLogStreamDeleted` in the org's log and `ExportLocationDeleted`
    in the operator's); then every stream of the org, archived before or now,
    loses its ``org``, so the org's row can go while their ledger (runs,
    objects, digests) stays and still verifies. An archived location never
    runs (``leases.lease_acquire`` takes live, enabled ones only), so an
    org-less archived stream is never an operator stream.
    """
    with transaction.atomic():
        # No stream is created for the org while it is being deleted.
        Organization.objects.select_for_update().filter(pk=org.pk).first()
        for location in org_streams_for(org=org):
            org_stream_delete(
                actor=actor, location=location, reason="The organization was deleted."
            )
        ExportLocation.all_objects.filter(org=org).update(org=None)


def org_stream_verify(*, actor: Actor, location: ExportLocation) -> str:
    """Send the destination's test delivery; returns ``SUCCESS`` or the error."""
    return export_location_verify(actor=actor, location=location)
