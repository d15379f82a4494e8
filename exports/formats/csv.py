"""``csv``: RFC 4180, formulas neutralised.

From format version 2 (ranges cut since issue 14's one CSV column set) an
object is exactly what the org page's CSV export writes: the SPEC fields,
then ``category`` and ``description`` (``audit.spec.CSV_COLUMNS``), with
``created_at`` in Unix seconds. Version 1 (ranges recorded with no version)
had the SPEC fields only; a replay of such a range writes it again with the
version 1 writer, byte for byte, so its digest still holds.
"""

import csv
import io
from collections.abc import Iterable
from typing import Any

from audit.formats import csv_cell, csv_chunks
from audit.selectors import event_type_templates
from audit.spec import SPEC_FIELDS

EXTENSION = "csv"
CONTENT_TYPE = "text/csv; charset=utf-8"


def _render_v1(rows: Iterable[Any]) -> bytes:
    """Version 1: a header of the SPEC fields, then one row per event."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SPEC_FIELDS)
    for row in rows:
        spec = row.spec()
        writer.writerow([csv_cell(spec[f]) for f in SPEC_FIELDS])
    return out.getvalue().encode()


def render(rows: Iterable[Any], *, version: int) -> bytes:
    """The CSV of ``rows`` as the writer of format ``version`` wrote it."""
    if version < 2:
        return _render_v1(rows)
    return "".join(csv_chunks(rows, event_type_templates())).encode()


def parse(data: bytes) -> list[dict[str, Any]]:
    """The rows of a rendered object (cells come back as strings)."""
    return list(csv.DictReader(io.StringIO(data.decode())))
