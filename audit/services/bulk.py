"""What the directory's bulk writes share: per-item errors and creating rows.

A batch (users, orgs or members, up to ``MAX_ITEMS``) is all or nothing:
every problem found is an :class:`ItemError` shaped like the ingestion
API's (``index``, ``field``, ``message``), and :class:`ItemsRejected` carries
them all; nothing is written. Checks that need the database (an email in
use, an id already stored) take one query per batch, not one per item, so a
batch of 1,000 costs a fixed number of queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models

from audit.actors import Actor
from audit.services.events import event_record_many

MAX_ITEMS = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class ItemError:
    """One problem with one item; ``conflict`` marks a clash with stored rows."""

    index: int
    field: str | None
    message: str
    conflict: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class ItemsRejected(Exception):
    """The batch is invalid or clashes with stored rows; nothing was written."""

    def __init__(self, errors: list[ItemError]):
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = sorted(errors, key=lambda e: (e.index, e.field or ""))

    @property
    def conflict(self) -> bool:
        """Every error is a clash (an id stored with other fields, a member twice)."""
        return all(error.conflict for error in self.errors)


@dataclass(frozen=True)
class Created:
    """One item of a batch: its row, and whether this call created it."""

    row: Any
    created: bool


def clean_fields(
    instance: models.Model, given: set[str], index: int, errors: list[ItemError]
) -> None:
    """Validate the ``given`` fields of ``instance`` (the model's own validators).

    Only the fields the item sets are checked (the others hold their
    defaults), and uniqueness is left to one query per batch.
    """
    exclude = [f.name for f in instance._meta.fields if f.name not in given]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                errors.append(ItemError(index, name, message))


def duplicates(values: list[tuple[int, Any]]) -> dict[int, int]:
    """index -> the earlier index holding the same value (None values skipped)."""
    seen: dict[Any, int] = {}
    repeated: dict[int, int] = {}
    for index, value in values:
        if value is None:
            continue
        if value in seen:
            repeated[index] = seen[value]
        else:
            seen[value] = index
    return repeated


def differing_fields(row: models.Model, fields: dict[str, Any]) -> list[str]:
    """The fields whose stored value differs from the one asked for."""
    return sorted(name for name, value in fields.items() if getattr(row, name) != value)


def rows_new_or_stored(
    model: type[models.Model],
    wanted: list[tuple[Any, dict[str, Any]]],
    *,
    noun: str,
    errors: list[ItemError],
) -> tuple[list[tuple[int, models.Model]], list[Created | None]]:
    """Sort a batch's ``(id or None, fields)`` items into rows to insert and
    rows already stored.

    An id stored with the same fields is a retry (``Created(row, False)``),
    with other fields a conflict; an id repeated in the batch is an error.
    New rows (their own id, or a new one) are validated field by field.
    Returns the new ``(index, row)`` pairs and each item's result so far
    (``None`` where a row is still to be inserted); problems go to ``errors``.
    """
    given_ids = [ident for ident, _ in wanted if ident is not None]
    stored = model.objects.in_bulk(given_ids) if given_ids else {}
    ids = [(index, ident) for index, (ident, _) in enumerate(wanted)]
    for index, earlier in duplicates(ids).items():
        errors.append(ItemError(index, "id", f"repeats the id of item {earlier}"))
    new_rows: list[tuple[int, models.Model]] = []
    results: list[Created | None] = []
    for index, (ident, fields) in enumerate(wanted):
        existing = stored.get(ident) if ident is not None else None
        if existing is not None:
            different = differing_fields(existing, fields)
            if different:
                errors.append(
                    ItemError(
                        index,
                        "id",
                        f"{noun} with this id exists with other values of "
                        + ", ".join(different),
                        conflict=True,
                    )
                )
            results.append(Created(existing, False))
            continue
        row = model(id=ident or uuid.uuid4(), **fields)
        clean_fields(row, set(fields), index, errors)
        new_rows.append((index, row))
        results.append(None)
    return new_rows, results


def unique_values_check(
    model: type[models.Model],
    new_rows: list[tuple[int, models.Model]],
    names: tuple[str, ...],
    errors: list[ItemError],
) -> None:
    """Each of the unique fields ``names`` of the new rows: a value repeated in
    the batch, or already stored, is an error on that field (one query each)."""
    for name in names:
        values = [(index, getattr(row, name)) for index, row in new_rows]
        for index, earlier in duplicates(values).items():
            errors.append(
                ItemError(index, name, f"repeats the {name} of item {earlier}")
            )
        wanted = {value for _, value in values if value is not None}
        if not wanted:
            continue
        taken = set(
            model.objects.filter(**{f"{name}__in": wanted}).values_list(name, flat=True)
        )
        for index, value in values:
            if value in taken:
                errors.append(ItemError(index, name, f"is in use: {value}"))


def with_one_retry(attempt: Callable[[], T]) -> T:
    """Run a batch; if a concurrent request stored a clashing row first, run
    it once more (it then sees that row: a repeat or a clash, not a 500)."""
    try:
        return attempt()
    except IntegrityError:
        return attempt()


def rows_insert(model: type[models.Model], rows: list[models.Model]) -> None:
    """Insert new ``rows`` of ``model`` at once, in the caller's transaction.

    On PostgreSQL with ``COPY`` (as ingestion stores events): an ORM
    multi-row INSERT prepares every value of every field in Python and
    costs several times more for 1,000 users. Columns with a database
    default and auto-numbered keys are left to the database. Elsewhere
    ``bulk_create``. A clash with a stored row raises ``IntegrityError``.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows)
        return
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
        and not isinstance(field, models.BigAutoField)
        and not field.has_db_default()
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    attnames = [field.attname for field in fields]
    # The raw psycopg cursor bypasses Django's error translation; the
    # wrapper turns a unique violation into django.db.IntegrityError.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                values = [getattr(row, name) for name in attnames]
                for i in json_at:
                    if values[i] is not None:
                        values[i] = orjson.dumps(values[i]).decode()
                copy.write_row(values)


def rows_create(
    model: type[models.Model],
    wanted: list[tuple[Any, dict[str, Any]]],
    errors: list[ItemError],
    *,
    noun: str,
    unique: tuple[str, ...],
    actor: Actor,
    event: Callable[[models.Model], tuple[str, Any, Any, dict[str, Any]]],
    defaults: dict[str, Any] | None = None,
) -> list[Created]:
    """Create a batch's rows from its ``(id or None, fields)`` items, all or
    nothing, and record one event per row created, in the caller's transaction.

    Stored ids are retries or conflicts (``rows_new_or_stored``) and the
    ``unique`` fields are checked in the batch and the table; any problem
    (those already in ``errors`` too) raises :class:`ItemsRejected` and
    nothing is written. New rows then get ``defaults`` (values a retry does
    not compare), go in at once (``rows_insert``), and ``event(row)`` gives
    each one's ``(event_type, user, org, details)`` for ``event_record_many``.
    Returns every item's result, in order.
    """
    new_rows, results = rows_new_or_stored(model, wanted, noun=noun, errors=errors)
    unique_values_check(model, new_rows, unique, errors)
    if errors:
        raise ItemsRejected(errors)
    for _, row in new_rows:
        for name, value in (defaults or {}).items():
            setattr(row, name, value)
    rows_insert(model, [row for _, row in new_rows])
    event_record_many(actor=actor, events=[event(row) for _, row in new_rows])
    for index, row in new_rows:
        results[index] = Created(row, True)
    return results  # type: ignore[return-value]
