"""``json``: one JSON array of SPEC section 3 events (compact, no spaces).

The one JSON writer: the org page streams it, export locations store it.
Its bytes are those the export ledger recorded (``ExportObject.sha256``)
before the org page used it, so replays and digests of old objects hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from audit.formats.base import Format, Templates, json_text


def write(
    rows: Iterable[Any], *, version: int, templates: Templates | None = None
) -> Iterator[str]:
    """The array of the rows' SPEC dicts, one event per chunk (``version``,
    ``templates``: unused)."""
    yield "["
    separator = ""
    for row in rows:
        yield separator + json_text(row.spec())
        separator = ","
    yield "]"


def read(data: bytes) -> list[dict[str, Any]]:
    """The events of a rendered file."""
    return json.loads(data)


FORMAT = Format(
    name="json",
    label="JSON array",
    extension="json",
    content_type="application/json; charset=utf-8",
    write=write,
    read=read,
    org_page="JSON",
)
