"""Where an export puts things: positions, object names, digest keys.

The app (``exports``) writes with these and the verifier reads with them,
so the layout is stated once. An export position is the export-order pair
``(txid, seq)`` of an event as ``f"{txid:020d}-{seq:020d}"``, a string that
sorts like the pair; an object covers the range ``(position_from,
position_to]`` and is named after it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

# Where every location's first object starts (nothing exported yet).
ZERO_POSITION = "0" * 20 + "-" + "0" * 20

DIGEST_RE = re.compile(
    r"(?:^|/)digests/year=\d{4}/month=\d{2}/day=\d{2}/"
    r"(?P<location>[^/_]+)_(?P<hour>\d{8}T\d{2})0000Z_digest\.json$"
)
OBJECT_NAME_RE = re.compile(
    r"^(?P<location>[^/_]+)_(?P<from>\d{20}-\d{20})_(?P<to>\d{20}-\d{20})\."
)


def position_encode(txid: int, seq: int) -> str:
    """The sortable string for the export-order pair ``(txid, seq)``."""
    return f"{txid:020d}-{seq:020d}"


def position_decode(position: str) -> tuple[int, int]:
    """The ``(txid, seq)`` pair of a position string."""
    txid, seq = position.split("-")
    return int(txid), int(seq)


def join_key(prefix: str, *parts: str) -> str:
    """Join an S3 prefix and key parts with single slashes."""
    items = [prefix.strip("/")] if prefix.strip("/") else []
    return "/".join([*items, *(p.strip("/") for p in parts)])


def object_name(
    *, location_id: str, position_from: str, position_to: str, day: date, extension: str
) -> str:
    """An object's name under the prefix: a pure function of location, range
    and the UTC day of its events (``year=/month=/day=`` partitions)."""
    return (
        f"year={day:%Y}/month={day:%m}/day={day:%d}/"
        f"{location_id}_{position_from}_{position_to}.{extension}"
    )


def digest_key(*, prefix: str, location_id: str, hour_start: datetime) -> str:
    """`<prefix>/digests/year=/month=/day=/<location>_<YYYYMMDDTHH>0000Z_digest.json`."""
    hour = hour_start.astimezone(UTC)
    return join_key(
        prefix,
        "digests",
        f"year={hour:%Y}",
        f"month={hour:%m}",
        f"day={hour:%d}",
        f"{location_id}_{hour:%Y%m%dT%H}0000Z_digest.json",
    )


def canonical_json(data: dict[str, Any]) -> bytes:
    """The exact bytes a digest is stored as and signed over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
