"""Ingest storage: what a batch names, read once; one COPY or bulk insert.

A batch costs a fixed number of queries (catalog, users, orgs, ids already
stored) whatever its size, then one insert in one transaction; an id another
request stored in between is reported as already stored (the race).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Q, Value
from django.utils import timezone

from audit import hooks
from audit.actors import Actor
from audit.catalog import BUILTIN_BY_TYPE
from audit.ingest.validate import (
    BatchValidator,
    IngestError,
    Names,
    References,
)
from audit.models import AuditEvent, EventType, Organization, User
from audit.spec import JSON_COLUMNS, STORED_COLUMNS

# What one stored row holds (a COPY lists these columns).
COLUMNS = STORED_COLUMNS
_JSON_COLUMNS = JSON_COLUMNS


class IngestRejected(Exception):
    """The batch is invalid; nothing was written."""

    def __init__(self, errors: list[IngestError]):
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


@dataclass
class IngestResult:
    """``ids`` of every item in order; which of them were stored before."""

    ids: list[str]
    stored: int
    already_stored: list[str] = field(default_factory=list)


def known_event_types() -> dict[str, str]:
    """``event_type`` -> category for the built-in and custom catalog."""
    types = {key: entry["category"] for key, entry in BUILTIN_BY_TYPE.items()}
    types.update(EventType.objects.values_list("event_type", "category"))
    return types


def max_future_skew() -> timedelta:
    return timedelta(seconds=settings.AUDITSITE_INGEST_MAX_FUTURE_SECONDS)


def references_load(*, names: Names) -> References:
    """One query for the catalog and one for every user and org named."""
    refs = References(types=known_event_types())
    kind = CharField()
    queries = []
    if names.user_ids or names.emails:
        queries.append(
            User.objects.filter(Q(pk__in=names.user_ids) | Q(email__in=names.emails))
            .order_by()
            .values_list("pk", "email", Value("user", output_field=kind))
        )
    if names.org_ids or names.org_names:
        queries.append(
            Organization.objects.filter(
                Q(pk__in=names.org_ids) | Q(name__in=names.org_names)
            )
            .order_by()
            .values_list("pk", "name", Value("org", output_field=kind))
        )
    if not queries:
        return refs
    rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    for pk, text, what in rows:
        if what == "user":
            refs.users_by_id[pk] = text
            refs.users_by_email[text.lower()] = pk
        else:
            refs.orgs_by_id[pk] = text
            refs.orgs_by_name.setdefault(text, []).append(pk)
    return refs


def stored_ids(ids: Collection[str]) -> set[str]:
    """Which of ``ids`` (UUID text) are stored already, in one query.

    On PostgreSQL the ids go as one array parameter: Django's ``uuid__in``
    writes a placeholder per id, and building and parsing a query of 1,000
    placeholders cost more than running it.
    """
    if not ids:
        return set()
    if connection.vendor != "postgresql":
        stored = AuditEvent.objects.filter(uuid__in=ids).values_list("uuid", flat=True)
        return {str(ident) for ident in stored}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT uuid::text FROM {AuditEvent._meta.db_table}"
            " WHERE uuid = ANY(%s::uuid[])",
            [list(ids)],
        )
        return {row[0] for row in cursor.fetchall()}


def _checked(
    *, actor: Actor, items: list[Any]
) -> tuple[list[IngestError], list[str], set[str], list[dict]]:
    """Errors, every item's id, the ids already stored, and the rows to insert."""
    validator = BatchValidator(
        actor=actor, items=items, now=timezone.now(), max_future_skew=max_future_skew()
    )
    ids = validator.parse_ids()
    existing = stored_ids(validator.given_ids)
    todo = [
        (index, item)
        for index, item in enumerate(items)
        if isinstance(item, dict) and ids[index] not in existing
    ]
    refs = references_load(names=validator.names(todo))
    rows = validator.rows(todo, ids, refs)
    return validator.errors, ids, existing, rows


def events_copy(*, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert event rows with PostgreSQL COPY, in the caller's transaction.

    COPY is several times faster than a multi-row INSERT; ingestion and the
    demo seed both use it. Each row holds the ``columns`` values in order,
    JSON columns as JSON text. Returns the number of rows written.
    """
    sql = f"COPY {AuditEvent._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    written = 0
    # The raw psycopg cursor bypasses Django's error translation; the
    # wrapper turns a unique violation into django.db.IntegrityError.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
    return written


def _insert(rows: list[dict]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        # The JSON columns are already JSON text, which COPY accepts.
        events_copy(columns=COLUMNS, rows=([row[n] for n in COLUMNS] for row in rows))
        return
    events = []
    for row in rows:
        values = dict(row)
        for name in _JSON_COLUMNS:
            if values[name] is not None:
                values[name] = orjson.loads(values[name])
        events.append(AuditEvent(**values))
    AuditEvent.objects.bulk_create(events)


def events_ingest(*, actor: Actor, items: list[Any]) -> IngestResult:
    """Validate and store a batch of SPEC section 3 events, all or nothing.

    ``actor`` is the default cause (the API key, or the staff user of the
    browsable API) for items that name no ``caused_by_type``. Raises
    :class:`IngestRejected` listing every invalid item; otherwise stores the
    items whose ids are new in one transaction and reports the others as
    already stored.
    """
    errors, ids, existing, rows = _checked(actor=actor, items=items)
    if errors:
        raise IngestRejected(errors)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                _insert(rows)
                if rows:
                    hooks.events_recorded()
            break
        except IntegrityError:
            # A concurrent request stored some of these ids between our
            # check and our insert: drop those and try once more.
            if attempt == 2:
                raise
            racing = stored_ids([row["uuid"] for row in rows])
            existing |= racing
            rows = [row for row in rows if row["uuid"] not in racing]
    already = [ident for ident in ids if ident in existing]
    return IngestResult(ids=ids, stored=len(rows), already_stored=already)
