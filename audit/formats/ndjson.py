"""``ndjson.gz``: newline-delimited JSON, gzip (mtime 0, so deterministic)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from audit.formats.base import (
    Format,
    Templates,
    gunzip_text,
    gzip_text,
    json_lines,
    read_json_lines,
)


def write(
    rows: Iterable[Any], *, version: int, templates: Templates | None = None
) -> Iterator[bytes]:
    """One JSON line per row's SPEC dict, gzip'd in one piece (``version``,
    ``templates``: unused)."""
    yield gzip_text(json_lines(row.spec() for row in rows))


def read(data: bytes) -> list[dict[str, Any]]:
    """The events of a rendered file."""
    return read_json_lines(gunzip_text(data))


FORMAT = Format(
    name="ndjson.gz",
    label="Newline-delimited JSON, gzip",
    extension="ndjson.gz",
    content_type="application/gzip",
    write=write,
    read=read,
)
