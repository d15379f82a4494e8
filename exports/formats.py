"""Export file formats: SPEC JSON array, gzip'd NDJSON, CSV.

Every writer is deterministic (same events, same bytes; gzip with mtime 0)
so that a retried or replayed object overwrites its key with identical
content.
"""

import csv
import gzip
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from audit import formats as audit_formats
from audit.formats import SPEC_COLUMNS, SPEC_FIELDS

# The columns an export reads: the SPEC's, plus what keys and ranges need.
EXPORT_COLUMNS = (*SPEC_COLUMNS, "txid", "seq")
EXTENSIONS = {"json": "json", "ndjson.gz": "ndjson.gz", "csv": "csv"}
CONTENT_TYPES = {
    "json": "application/json",
    "ndjson.gz": "application/gzip",
    "csv": "text/csv; charset=utf-8",
}


def spec_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """The SPEC section 3 dict of one ``EXPORT_COLUMNS`` row."""
    return audit_formats.spec_from_row(row[: len(SPEC_COLUMNS)])


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = _dumps(value)
    return audit_formats.csv_safe(value)


def render(file_format: str, events: Iterable[dict[str, Any]]) -> bytes:
    """The bytes of one object holding ``events`` (SPEC dicts) in a format."""
    if file_format == "json":
        return ("[" + ",".join(_dumps(e) for e in events) + "]").encode()
    if file_format == "ndjson.gz":
        body = "".join(_dumps(e) + "\n" for e in events).encode()
        buffer = io.BytesIO()
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6
        ) as stream:
            stream.write(body)
        return buffer.getvalue()
    if file_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(SPEC_FIELDS)
        for event in events:
            writer.writerow([_csv_cell(event[f]) for f in SPEC_FIELDS])
        return out.getvalue().encode()
    raise ValueError(f"unknown export format {file_format!r}")


def parse(file_format: str, data: bytes) -> list[dict[str, Any]]:
    """Read an object back (tests, verification): a list of SPEC dicts.

    CSV cells come back as strings.
    """
    if file_format == "json":
        return json.loads(data)
    if file_format == "ndjson.gz":
        text = gzip.decompress(data).decode()
        return [json.loads(line) for line in text.splitlines() if line]
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(data.decode())))
    raise ValueError(f"unknown export format {file_format!r}")
