"""``ndjson.gz``: newline-delimited JSON, gzip (mtime 0, so deterministic).

One line per row's SPEC dict. Up to writer version 2 each line is the
standard library's compact JSON of the decoded row. From version 3 it is
orjson's: the JSON columns may come as the database's own JSON text
(``orjson.Fragment``, ``exports.rows.export_row_wire``) and are embedded as
they are, so an export decodes and re-encodes nothing it does not change.
The lines are the same JSON values; only the spacing inside those columns
(PostgreSQL's ``jsonb`` text puts a space after ``:`` and ``,``) and the
spelling of some floats (``1e-05`` against ``1e-5``) may differ, hence the
version: a range cut with version 2 replays with version 2's bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from audit.formats.base import (
    Templates,
    gzip_bytes,
    json_lines,
    json_lines_gzip_format,
    json_text,
)

# The first writer version that writes with orjson and takes JSON text.
ORJSON_FROM = 3


def _line(row: Any) -> bytes:
    record = row.spec()
    try:
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:  # a decoded integer over 64 bits
        return (json_text(record) + "\n").encode()


def write(
    rows: Iterable[Any], *, version: int, templates: Templates | None = None
) -> Iterator[bytes]:
    """The gzip'd lines of the rows' SPEC dicts, as of writer ``version``."""
    if version < ORJSON_FROM:
        yield gzip_bytes(json_lines(row.spec() for row in rows).encode())
        return
    yield gzip_bytes(b"".join(map(_line, rows)))


FORMAT = json_lines_gzip_format(
    name="ndjson.gz",
    label="Newline-delimited JSON, gzip",
    extension="ndjson.gz",
    record=lambda row: row.spec(),
    write=write,
    json_text_from=ORJSON_FROM,
)
