"""``ndjson.gz``: newline-delimited JSON, gzip (mtime 0, so deterministic)."""

from __future__ import annotations

from audit.formats.base import json_lines_gzip_format

# One JSON line per row's SPEC dict.
FORMAT = json_lines_gzip_format(
    name="ndjson.gz",
    label="Newline-delimited JSON, gzip",
    extension="ndjson.gz",
    record=lambda row: row.spec(),
)
