"""``json``: one JSON array of SPEC section 3 events."""

import json
from collections.abc import Iterable
from typing import Any

from audit.formats import json_text

EXTENSION = "json"
CONTENT_TYPE = "application/json"


def render(rows: Iterable[Any], *, version: int) -> bytes:
    """The JSON array of the rows' SPEC dicts (``version``: unused so far)."""
    return ("[" + ",".join(json_text(row.spec()) for row in rows) + "]").encode()


def parse(data: bytes) -> list[dict[str, Any]]:
    """The events of a rendered object."""
    return json.loads(data)
