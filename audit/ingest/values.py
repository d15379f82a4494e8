"""Ingest values, pure: the text of an item's ids, times, addresses, JSON.

Each function takes what a client sent and returns the value as stored, or
None (or a message) when it is not one: ``audit.ingest.validate`` turns
those into the batch's errors.
"""

from __future__ import annotations

import ipaddress
import math
import re
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

# A UUID as it is stored and answered: what most clients send.
_CANONICAL_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def id_text(value: Any) -> str | None:
    """An event id as canonical UUID text (lower case, hyphens), or None.

    Event ids stay text from the request to the response and the COPY: a
    ``uuid.UUID`` per item cost its parse, a Python ``__hash__`` at every
    set and dict lookup, and a ``str()`` back for the answer.
    """
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value
    ident = uuid_value(value)
    return None if ident is None else str(ident)


def uuid_value(value: Any) -> uuid.UUID | None:
    """``value`` as a UUID, or None when it is not a string holding one."""
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# Users, orgs and source addresses repeat across the items of a batch and
# across batches: each distinct text is parsed once. Bounded in entries and,
# since a client chooses these strings, in their length (longer texts are
# parsed uncached), so the caches hold at most a few hundred KB; event ids,
# unique by design, are parsed by ``uuid_value`` uncached.
_CACHED_TEXT = 64


@lru_cache(maxsize=4096)
def _reference_uuid(value: str) -> uuid.UUID | None:
    return uuid_value(value)


def ref_uuid(value: Any) -> uuid.UUID | None:
    """``uuid_value`` for user and org ids, cached."""
    if not isinstance(value, str):
        return None
    return _reference_uuid(value) if len(value) <= _CACHED_TEXT else uuid_value(value)


def ip_text(value: str) -> str | None:
    """The canonical text of an IP address, or None (no zone ids: ``%``)."""
    if len(value) > _CACHED_TEXT:
        return None  # the longest IPv6 text is 45 characters
    return _cached_ip_text(value)


@lru_cache(maxsize=4096)
def _cached_ip_text(value: str) -> str | None:
    if "%" in value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def timestamp_value(value: Any) -> datetime | str:
    """A datetime from Unix seconds or ISO 8601, else an error message."""
    if isinstance(value, bool):
        return "must be Unix seconds or an ISO 8601 string"
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            return "must be a non-negative number of Unix seconds"
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return "is out of range"
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return "is not a valid ISO 8601 date/time"
        if parsed.tzinfo is None:
            # A time without an offset is taken as UTC.
            return parsed.replace(tzinfo=UTC)
        # Stored in UTC: PostgreSQL refuses offsets Python allows (-18:49).
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            return "is out of range"
    return "must be Unix seconds or an ISO 8601 string"


def text_problem(value: Any, max_length: int) -> str | None:
    """Message for a bad optional text value, or None when it is fine."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return "must be a string"
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if "\x00" in value:
        return "must not contain NUL characters"
    return None


def json_text(value: Any) -> str | None:
    """``value`` as JSON text for the database (None stays SQL NULL)."""
    if value is None:
        return None
    return orjson.dumps(value).decode()
