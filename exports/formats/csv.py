"""``csv``: RFC 4180 with a header of the SPEC fields, formulas neutralised."""

import csv
import io
from collections.abc import Iterable
from typing import Any

from audit.formats import SPEC_FIELDS, csv_safe
from exports.formats.json import dumps

EXTENSION = "csv"
CONTENT_TYPE = "text/csv; charset=utf-8"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = dumps(value)
    return csv_safe(value)


def render(events: Iterable[dict[str, Any]]) -> bytes:
    """A header row, then one row per event (JSON fields as JSON text)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SPEC_FIELDS)
    for event in events:
        writer.writerow([_cell(event[f]) for f in SPEC_FIELDS])
    return out.getvalue().encode()


def parse(data: bytes) -> list[dict[str, Any]]:
    """The rows of a rendered object (cells come back as strings)."""
    return list(csv.DictReader(io.StringIO(data.decode())))
