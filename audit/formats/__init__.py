"""Event writers shared by the org page's export and the S3 exports.

The SPEC field list lives in ``audit.spec``; the JSON and CSV writers here
stream any number of events in constant memory, ``audit.formats.parquet``
writes typed columns. An event is a model instance or a typed row
(``audit.spec.SpecRow``, ``exports.selectors.ExportRow``): both offer the
SPEC columns and ``category`` as attributes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from audit.spec import CSV_COLUMNS, SPEC_FIELDS, event_describe, spec_from_event

# A spreadsheet evaluates a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def json_text(value: Any) -> str:
    """Compact, deterministic JSON text (a JSON field in CSV, Parquet, NDJSON)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def event_as_spec(event: Any, *, precise_time: bool = False) -> dict[str, Any]:
    """One event in the SPEC section 3 format."""
    return spec_from_event(event, precise_time=precise_time)


def json_array_chunks(events: Iterable[Any]) -> Iterator[str]:
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
        value = json_text(value)
    return csv_safe(value)


def csv_row(spec: dict[str, Any], *, category: str, description: str) -> list[str]:
    """The cells of one event in ``CSV_COLUMNS`` order, from its SPEC dict."""
    values = [spec[field] for field in SPEC_FIELDS] + [category, description]
    return [csv_cell(value) for value in values]


class _Echo:
    """A file-like object whose ``write`` hands the line back (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(events: Iterable[Any], templates: dict[str, str]) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, header first), one event per chunk.

    The one CSV writer: the org page streams it, the S3 ``csv`` format (from
    format version 2) joins it. ``templates`` maps event types to their
    description templates (``audit.selectors.event_type_templates``).
    """
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events:
        description = event_describe(event, templates.get(event.event_type))
        yield writer.writerow(
            csv_row(
                event_as_spec(event), category=event.category, description=description
            )
        )
