"""``ndjson.gz``: newline-delimited JSON, gzip (mtime 0, so deterministic)."""

import gzip
import io
import json
from collections.abc import Iterable
from typing import Any

from audit.formats import json_text

EXTENSION = "ndjson.gz"
CONTENT_TYPE = "application/gzip"


def gzip_text(text: str) -> bytes:
    """UTF-8 ``text`` gzip'd with no name and mtime 0: the same text, the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6
    ) as stream:
        stream.write(text.encode())
    return buffer.getvalue()


def gunzip_text(data: bytes) -> str:
    """The text of a gzip'd object."""
    return gzip.decompress(data).decode()


def render(rows: Iterable[Any], *, version: int) -> bytes:
    """One JSON line per row's SPEC dict, gzip'd (``version``: unused so far)."""
    return gzip_text("".join(json_text(row.spec()) + "\n" for row in rows))


def parse(data: bytes) -> list[dict[str, Any]]:
    """The events of a rendered object."""
    return [json.loads(line) for line in gunzip_text(data).splitlines() if line]
