"""Event formats: the SPEC section 3 JSON shape and the CSV column set.

``event_as_spec`` is the one place that knows the SPEC field list; the JSON
and CSV writers here stream any number of events in constant memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from audit.models import AuditEvent

# A spreadsheet evaluates a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# The model columns behind the SPEC section 3 fields, in the SPEC's order.
SPEC_COLUMNS = (
    "uuid",
    "user_id",
    "user_email",
    "org_id",
    "org_name",
    "event_type",
    "event_data",
    "created_at",
    "caused_by_type",
    "caused_by_id",
    "caused_by_metadata",
    "caused_by_source_ip",
    "caused_by_user_agent",
    "impersonator_id",
    "impersonator_metadata",
)


# The SPEC section 3 field names, in order.
SPEC_FIELDS = (
    "id",
    *SPEC_COLUMNS[1:],
)

# Every CSV auditsite writes: the SPEC fields in the SPEC's order (created_at
# in Unix seconds, as SPEC section 9 states for CSV), then the event's
# category and its human description.
CSV_COLUMNS = (*SPEC_FIELDS, "category", "description")


def unix_seconds(value: datetime, *, precise: bool = False) -> int | float:
    """Unix seconds: whole seconds, or with ``precise`` microseconds when present."""
    if not precise:
        return int(value.timestamp())
    seconds = round(value.timestamp(), 6)
    return int(seconds) if seconds.is_integer() else seconds


def spec_from_row(row: Sequence[Any], *, precise_time: bool = False) -> dict[str, Any]:
    """The SPEC section 3 dict from a row of ``SPEC_COLUMNS`` values.

    The one place that knows the SPEC format: the API, the customer exports
    and the S3 exports all go through it. ``created_at`` is whole Unix
    seconds as in the SPEC's example; the API asks for ``precise_time`` so an
    event read back can be posted again unchanged.
    """
    (
        uuid,
        user_id,
        user_email,
        org_id,
        org_name,
        event_type,
        event_data,
        created_at,
        caused_by_type,
        caused_by_id,
        caused_by_metadata,
        source_ip,
        user_agent,
        impersonator_id,
        impersonator_metadata,
    ) = row
    return {
        "id": str(uuid),
        "user_id": str(user_id) if user_id else None,
        "user_email": user_email or None,
        "org_id": str(org_id) if org_id else None,
        "org_name": org_name or None,
        "event_type": event_type,
        "event_data": event_data,
        "created_at": unix_seconds(created_at, precise=precise_time),
        "caused_by_type": caused_by_type,
        "caused_by_id": caused_by_id or None,
        "caused_by_metadata": caused_by_metadata,
        "caused_by_source_ip": source_ip or None,
        "caused_by_user_agent": user_agent or None,
        "impersonator_id": impersonator_id or None,
        "impersonator_metadata": impersonator_metadata,
    }


def event_as_spec(event: AuditEvent, *, precise_time: bool = False) -> dict[str, Any]:
    """One event in the SPEC section 3 format."""
    return spec_from_row(
        [getattr(event, column) for column in SPEC_COLUMNS], precise_time=precise_time
    )


def json_array_chunks(events: Iterable[AuditEvent]) -> Iterator[str]:
    """A JSON array of SPEC events, one event per chunk (for streaming)."""
    yield "["
    separator = "\n"
    for event in events:
        yield separator + json.dumps(event_as_spec(event), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def csv_safe(value: Any) -> str:
    """A cell value a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_cell(value: Any) -> str:
    """One CSV cell: JSON for objects, empty for null, formula-neutralised."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return csv_safe(value)


def csv_row(spec: dict[str, Any], *, category: str, description: str) -> list[str]:
    """The cells of one event in ``CSV_COLUMNS`` order, from its SPEC dict."""
    values = [spec[field] for field in SPEC_FIELDS] + [category, description]
    return [csv_cell(value) for value in values]


class _Echo:
    """A file-like object whose ``write`` hands the line back (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(
    events: Iterable[AuditEvent], templates: dict[str, str]
) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, header first), one event per chunk."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events:
        description = event.description(templates.get(event.event_type))
        yield writer.writerow(
            csv_row(
                event_as_spec(event), category=event.category, description=description
            )
        )
