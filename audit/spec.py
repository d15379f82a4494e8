"""The SPEC section 3 event fields, stated once.

Every place that writes events out or reads them in derives its columns from
``SPEC``: the JSON, CSV, ndjson, Parquet and OCSF writers, the API
serializers, ingestion, the export rows and the demo seed. A field is named
once here with its model column and its kind (how it is typed in a typed
format, how it is rendered in the JSON one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, NamedTuple
from uuid import UUID

from audit.catalog import format_value, render_description


class Kind(StrEnum):
    """How a SPEC field is typed."""

    ID = "id"  # a UUID: a string in every format
    TEXT = "text"  # a string, null when empty
    JSON = "json"  # an object (JSON text in CSV and Parquet)
    TIME = "time"  # Unix seconds in JSON and CSV, a timestamp in Parquet
    IP = "ip"  # an IP address as text


class SpecField(NamedTuple):
    """One SPEC section 3 field: its name, its model column and its kind."""

    name: str
    column: str
    kind: Kind


SPEC: tuple[SpecField, ...] = (
    SpecField("id", "uuid", Kind.ID),
    SpecField("user_id", "user_id", Kind.ID),
    SpecField("user_email", "user_email", Kind.TEXT),
    SpecField("org_id", "org_id", Kind.ID),
    SpecField("org_name", "org_name", Kind.TEXT),
    SpecField("event_type", "event_type", Kind.TEXT),
    SpecField("event_data", "event_data", Kind.JSON),
    SpecField("created_at", "created_at", Kind.TIME),
    SpecField("caused_by_type", "caused_by_type", Kind.TEXT),
    SpecField("caused_by_id", "caused_by_id", Kind.TEXT),
    SpecField("caused_by_metadata", "caused_by_metadata", Kind.JSON),
    SpecField("caused_by_source_ip", "caused_by_source_ip", Kind.IP),
    SpecField("caused_by_user_agent", "caused_by_user_agent", Kind.TEXT),
    SpecField("impersonator_id", "impersonator_id", Kind.TEXT),
    SpecField("impersonator_metadata", "impersonator_metadata", Kind.JSON),
)

# The SPEC field names, in the SPEC's order.
SPEC_FIELDS: tuple[str, ...] = tuple(f.name for f in SPEC)
# The model columns behind them, in the same order.
SPEC_COLUMNS: tuple[str, ...] = tuple(f.column for f in SPEC)
# The fields that hold JSON objects.
JSON_FIELDS: tuple[str, ...] = tuple(f.name for f in SPEC if f.kind is Kind.JSON)
JSON_COLUMNS: tuple[str, ...] = tuple(f.column for f in SPEC if f.kind is Kind.JSON)
# What a writer of new rows (ingestion, the seed) fills in: the SPEC columns,
# the event's category (part of its type) and when it was recorded.
STORED_COLUMNS: tuple[str, ...] = (*SPEC_COLUMNS, "category", "recorded_at")
# The Python type of a stored column of each kind (the typed rows below).
_COLUMN_TYPES: dict[Kind, Any] = {
    Kind.ID: UUID | str | None,
    Kind.TEXT: str,
    Kind.JSON: Any,
    Kind.TIME: datetime,
    Kind.IP: str | None,
}
# (column, type) of a typed row: the SPEC columns, then the category.
ROW_FIELDS: tuple[tuple[str, Any], ...] = (
    *((f.column, _COLUMN_TYPES[f.kind]) for f in SPEC),
    ("category", str),
)
ROW_COLUMNS: tuple[str, ...] = tuple(name for name, _ in ROW_FIELDS)
# Every CSV auditsite writes: the SPEC fields in the SPEC's order, then the
# event's category and its human description.
CSV_COLUMNS: tuple[str, ...] = (*SPEC_FIELDS, "category", "description")


def unix_seconds(value: datetime, *, precise: bool = False) -> int | float:
    """Unix seconds: whole seconds, or with ``precise`` microseconds when present."""
    if not precise:
        return int(value.timestamp())
    seconds = round(value.timestamp(), 6)
    return int(seconds) if seconds.is_integer() else seconds


# How each kind turns a stored value into its SPEC value, as an expression
# of ``{v}``. ``spec_from_row`` is compiled from these once, at import (as
# ``dataclasses`` compiles ``__init__``): every export row goes through it,
# and this is the same code as the hand-written function it replaces (one
# unpacking, one dict display), so stating the fields once costs nothing.
_SPEC_EXPRESSIONS = {
    Kind.ID: "str({v}) if {v} else None",
    Kind.TEXT: "{v} or None",
    Kind.IP: "{v} or None",
    Kind.JSON: "{v}",
    # unix_seconds(v) itself when not precise, without the call.
    Kind.TIME: (
        "unix_seconds({v}, precise=True) if precise_time else int({v}.timestamp())"
    ),
}


def _compile_spec_from_row() -> Callable[..., dict[str, Any]]:
    names = [f"v{i}" for i in range(len(SPEC))]
    items = ", ".join(
        f"{f.name!r}: {_SPEC_EXPRESSIONS[f.kind].format(v=name)}"
        for f, name in zip(SPEC, names, strict=True)
    )
    source = (
        "def spec_from_row(row, *, precise_time=False):\n"
        f"    {', '.join(names)}, = row[:{len(SPEC)}]\n"
        f"    return {{{items}}}\n"
    )
    namespace: dict[str, Any] = {"unix_seconds": unix_seconds}
    exec(source, namespace)  # noqa: S102 - source built from the constants above
    return namespace["spec_from_row"]


_spec_from_row = _compile_spec_from_row()


def spec_from_row(row: Sequence[Any], *, precise_time: bool = False) -> dict[str, Any]:
    """The SPEC section 3 dict from a row of ``SPEC_COLUMNS`` values.

    The one place that knows the SPEC format: the API, the customer exports
    and the S3 exports all go through it. ``created_at`` is whole Unix
    seconds as in the SPEC's example; the API asks for ``precise_time`` so an
    event read back can be posted again unchanged.
    """
    return _spec_from_row(row, precise_time=precise_time)


def spec_from_event(event: Any, *, precise_time: bool = False) -> dict[str, Any]:
    """One event (an ``AuditEvent``) in the SPEC section 3 format."""
    return spec_from_row(
        [getattr(event, column) for column in SPEC_COLUMNS], precise_time=precise_time
    )


# The cause columns, filled from an ``audit.actors.Actor`` (same order).
CAUSE_COLUMNS: tuple[str, ...] = tuple(c for c in SPEC_COLUMNS if c.startswith(
    ("caused_by_", "impersonator_")))  # fmt: skip
_ACTOR_ATTRIBUTES = ("type", "id", "metadata", "source_ip", "user_agent",
                     "impersonator_id", "impersonator_metadata")  # fmt: skip


def actor_columns(actor: Any) -> dict[str, Any]:
    """The ``caused_by_*`` and ``impersonator_*`` column values of an actor."""
    return {
        column: getattr(actor, attribute)
        for column, attribute in zip(CAUSE_COLUMNS, _ACTOR_ATTRIBUTES, strict=True)
    }


def event_actor_label(event: Any) -> str:
    """Who caused an event, for humans: an email or name, else the cause type."""
    metadata = event.caused_by_metadata or {}
    return metadata.get("email") or metadata.get("name") or event.caused_by_type


def event_describe(event: Any, template: str | None) -> str:
    """The human sentence of an event (a model instance or a typed row).

    ``template`` is its type's template (``None`` for an unknown type, which
    reads as the type and its details).
    """
    details = (event.event_data or {}).get(event.event_type)
    details = details if isinstance(details, dict) else {}
    if template is None:
        return f"{event.event_type} {format_value(details)}"
    context = {
        "user": event.user_email
        or (str(event.user_id) if event.user_id else "(no user)"),
        "org": event.org_name or (str(event.org_id) if event.org_id else "(no org)"),
        "actor": event_actor_label(event),
        "impersonator": (event.impersonator_metadata or {}).get("email")
        or event.impersonator_id
        or "(nobody)",
    }
    return render_description(template, context, details)


class RowMethods:
    """What every typed event row offers (``SpecRow``, the export rows)."""

    __slots__ = ()

    def spec(self, *, precise_time: bool = False) -> dict[str, Any]:
        """The SPEC section 3 dict of this event."""
        # The compiled function takes the SPEC columns off the row's front.
        return _spec_from_row(self, precise_time=precise_time)

    def description(self, template: str | None) -> str:
        """The human sentence of this event, from its type's template."""
        return event_describe(self, template)

    @property
    def day(self) -> date:
        """The UTC day of ``created_at`` (the ``year=/month=/day=`` partition)."""
        return self.created_at.astimezone(UTC).date()  # type: ignore[attr-defined]


class SpecRow(NamedTuple("SpecRowFields", ROW_FIELDS), RowMethods):  # type: ignore[misc]
    """One event as the writers read it: the SPEC columns, then the category.

    Read with ``queryset.values_list(*ROW_COLUMNS)`` (tuples straight from the
    cursor, no model instances) and ``SpecRow._make``.
    """

    __slots__ = ()
