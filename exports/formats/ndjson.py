"""``ndjson.gz``: newline-delimited JSON, gzip (mtime 0, so deterministic)."""

import gzip
import io
import json
from collections.abc import Iterable
from typing import Any

from exports.formats.json import dumps

EXTENSION = "ndjson.gz"
CONTENT_TYPE = "application/gzip"


def render(events: Iterable[dict[str, Any]]) -> bytes:
    """One JSON line per event, gzip'd."""
    body = "".join(dumps(e) + "\n" for e in events).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6
    ) as stream:
        stream.write(body)
    return buffer.getvalue()


def parse(data: bytes) -> list[dict[str, Any]]:
    """The events of a rendered object."""
    text = gzip.decompress(data).decode()
    return [json.loads(line) for line in text.splitlines() if line]
