"""``json``: one JSON array of SPEC section 3 events."""

import json
from collections.abc import Iterable
from typing import Any

EXTENSION = "json"
CONTENT_TYPE = "application/json"


def dumps(value: Any) -> str:
    """Compact, deterministic JSON text (shared by the other formats)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render(events: Iterable[dict[str, Any]]) -> bytes:
    """The JSON array of ``events``."""
    return ("[" + ",".join(dumps(e) for e in events) + "]").encode()


def parse(data: bytes) -> list[dict[str, Any]]:
    """The events of a rendered object."""
    return json.loads(data)
