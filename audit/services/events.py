"""Writes: every change auditsite makes records its audit event here.

Each service is keyword-only, takes the ``actor`` that caused the change and
records the matching catalog event in the same ``transaction.atomic()`` as
the change, so a change without its event (or the reverse) cannot commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from audit import hooks
from audit.actors import Actor
from audit.catalog import BUILTIN_BY_TYPE, T
from audit.models import (
    AuditEvent,
    EventType,
    Organization,
    User,
)
from audit.spec import JSON_COLUMNS, STORED_COLUMNS, actor_columns

if TYPE_CHECKING:  # only for types: updates.py imports this module
    from audit.services.updates import FieldChanges


def _category_of(event_type: str) -> str:
    builtin = BUILTIN_BY_TYPE.get(event_type)
    if builtin:
        return builtin["category"]
    return EventType.objects.values_list("category", flat=True).get(
        event_type=event_type
    )


def event_record(
    *,
    event_type: str,
    actor: Actor,
    user: User | None = None,
    org: Organization | None = None,
    details: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> AuditEvent:
    """Record one catalog event about ``user`` and/or ``org`` caused by ``actor``.

    Call it inside the transaction of the change it describes. Once that
    transaction commits, the ``audit.hooks`` callbacks run (a ``CONTINUOUS``
    export is queued).
    """
    now = timezone.now()
    event = AuditEvent.objects.create(
        uuid=uuid.uuid4(),
        user_id=user.pk if user else None,
        user_email=user.email if user else "",
        org_id=org.pk if org else None,
        org_name=org.name if org else "",
        event_type=event_type,
        category=_category_of(event_type),
        event_data={event_type: details or {}},
        created_at=created_at or now,
        recorded_at=now,
        **actor_columns(actor),
    )
    hooks.events_recorded()
    return event


def event_record_changes(
    changes: FieldChanges,
    names: Iterable[str],
    *,
    event_type: str,
    actor: Actor,
    labels: dict[str, str] | None = None,
    **about: Any,
) -> None:
    """Record one ``event_type`` with the old and new values of those of
    ``names`` that ``changes`` holds (in that order, under their ``labels``
    names); nothing if it holds none. ``about``: the ``user`` and/or ``org``.
    """
    changed = [name for name in names if name in changes.new]
    if changed:
        event_record(
            event_type=event_type,
            actor=actor,
            details=changes.as_details(changed, labels=labels),
            **about,
        )


def event_record_many(
    *,
    actor: Actor,
    events: list[tuple[str, User | None, Organization | None, dict[str, Any]]],
) -> int:
    """Record many catalog events caused by ``actor`` in one statement.

    Each entry is ``(event_type, user, org, details)``, as ``event_record``
    takes them; a bulk write of the directory (1,000 users) records its
    1,000 events at once instead of one INSERT each: on PostgreSQL with
    ingestion's ``COPY`` (an ORM multi-row INSERT of 1,000 events costs
    several times more), elsewhere ``bulk_create``. Call it inside the
    transaction of the change. Returns the number of events recorded.
    """
    if not events:
        return 0
    now = timezone.now()
    cause = actor_columns(actor)
    categories: dict[str, str] = {}
    rows = []
    for event_type, user, org, details in events:
        if event_type not in categories:
            categories[event_type] = _category_of(event_type)
        rows.append(
            {
                "uuid": uuid.uuid4(),
                "user_id": user.pk if user else None,
                "user_email": user.email if user else "",
                "org_id": org.pk if org else None,
                "org_name": org.name if org else "",
                "event_type": event_type,
                "category": categories[event_type],
                "event_data": {event_type: details or {}},
                "created_at": now,
                "recorded_at": now,
                **cause,
            }
        )
    if connection.vendor == "postgresql":
        # Imported here: ingestion imports the services.
        from audit.ingest import events_copy

        events_copy(
            columns=STORED_COLUMNS,
            rows=(
                [_copy_value(name, row[name]) for name in STORED_COLUMNS]
                for row in rows
            ),
        )
    else:
        AuditEvent.objects.bulk_create(AuditEvent(**row) for row in rows)
    hooks.events_recorded()
    return len(rows)


def _copy_value(name: str, value: Any) -> Any:
    """A column value as COPY takes it: JSON columns as JSON text."""
    if name in JSON_COLUMNS and value is not None:
        return orjson.dumps(value).decode()
    return value


# --- retention ---------------------------------------------------------------


PURGE_BATCH_MAX = 10000  # audit_events_purge refuses more per call


@transaction.atomic
def events_delete_for_retention(*, seqs: list[int]) -> int:
    """Delete the events with these ``seq``: the retention purge's narrow way through.

    Only the retention purge may call this, with rows it has already cut
    down to what may go (old enough, delivered by every export location).
    On PostgreSQL events are immutable to the app (a trigger refuses UPDATE,
    DELETE and TRUNCATE; the app role may only SELECT and INSERT them), so
    the rows go through the ``SECURITY DEFINER`` function
    ``audit_events_purge`` (migration 0007), at most ``PURGE_BATCH_MAX`` per
    call; elsewhere a plain delete. Returns the number of rows removed.
    """
    removed = 0
    for start in range(0, len(seqs), PURGE_BATCH_MAX):
        batch = list(seqs[start : start + PURGE_BATCH_MAX])
        if connection.vendor != "postgresql":
            removed += AuditEvent.objects.filter(seq__in=batch).delete()[0]
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT audit_events_purge(%s::bigint[])", [batch])
            removed += cursor.fetchone()[0]
    return removed


# --- customer audit log ------------------------------------------------------


@transaction.atomic
def audit_log_export_start(
    *,
    actor: Actor,
    user: User,
    org: Organization,
    format: str,
    filters: dict[str, Any],
) -> AuditEvent:
    """Record that ``user`` exported ``org``'s audit log; records `UserExportInitiated`.

    Called before the first byte of the export is sent. The returned event
    marks where the export stops: it holds the events recorded before it.
    """
    return event_record(
        event_type=T.UserExportInitiated,
        actor=actor,
        user=user,
        org=org,
        details={"format": format, "filters": filters},
    )
