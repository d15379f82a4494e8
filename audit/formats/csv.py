"""``csv``: RFC 4180 (CRLF line ends, header first), formulas neutralised.

The one CSV writer: the org page streams it, export locations store it.
From writer version 2 a file holds the SPEC fields, then ``category`` and
``description`` (``audit.spec.CSV_COLUMNS``), with ``created_at`` in Unix
seconds. The description comes from the catalog's templates, which the
caller reads once and passes in (an export location records them with the
range, so a replay after a template edit writes the same bytes). Version 1
(ranges recorded with no version) had the SPEC fields only; a replay of
such a range writes it again with the version 1 writer, byte for byte.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from audit.formats.base import Format, Templates, csv_cell
from audit.spec import CSV_COLUMNS, SPEC_FIELDS, event_describe


class _Echo:
    """A file-like object whose ``write`` hands the line back (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def csv_row(spec: dict[str, Any], *, category: str, description: str) -> list[str]:
    """The cells of one event in ``CSV_COLUMNS`` order, from its SPEC dict."""
    values = [spec[field] for field in SPEC_FIELDS] + [category, description]
    return [csv_cell(value) for value in values]


def _write_v1(rows: Iterable[Any]) -> Iterator[str]:
    """Version 1: a header of the SPEC fields, then one row per event."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(SPEC_FIELDS)
    for row in rows:
        spec = row.spec()
        yield writer.writerow([csv_cell(spec[f]) for f in SPEC_FIELDS])


def write(
    rows: Iterable[Any], *, version: int, templates: Templates | None = None
) -> Iterator[str]:
    """The CSV of ``rows`` as the writer of ``version`` wrote it, a row a chunk.

    ``templates`` (event type -> description template, ``None`` for an
    unknown type) is required from version 2 on.
    """
    if version < 2:
        return _write_v1(rows)
    if templates is None:
        raise ValueError("the csv writer needs the description templates")
    return _write_v2(rows, templates)


def _write_v2(rows: Iterable[Any], templates: Templates) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for row in rows:
        description = event_describe(row, templates.get(row.event_type))
        yield writer.writerow(
            csv_row(row.spec(), category=row.category, description=description)
        )


def read(data: bytes) -> list[dict[str, Any]]:
    """The rows of a rendered file (cells come back as strings)."""
    return list(csv.DictReader(io.StringIO(data.decode())))


FORMAT = Format(
    name="csv",
    label="CSV",
    extension="csv",
    content_type="text/csv; charset=utf-8",
    write=write,
    read=read,
    org_page="CSV",
    templates_from=2,
)
