"""Keyset pagination over events, newest first, on ``(created_at, seq)``.

A page is selected by an opaque cursor naming the last row seen, never by an
OFFSET: a deep page costs the same as the first one (an index range scan on
``event_org_idx``), and events that arrive while someone pages never shift
the rows under them. Cursors only narrow a queryset the caller has already
scoped, so a crafted cursor can select nothing outside it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from audit.models import AuditEvent

PAGE_SIZE = 50


def encode_cursor(event: AuditEvent) -> str:
    raw = f"{event.created_at.isoformat()}|{event.seq}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    """``(created_at, seq)`` from a cursor, or None when it is not one of ours."""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        when, seq = raw.split("|")
        created_at = parse_datetime(when)
        if created_at is None or created_at.tzinfo is None:
            return None
        return created_at, int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@dataclass
class Page:
    events: list[AuditEvent]
    older: str | None
    newer: str | None


def _older_than(created_at: datetime, seq: int) -> Q:
    # The redundant `created_at <= t` lets the index range start at the cursor.
    return Q(created_at__lte=created_at) & (
        Q(created_at__lt=created_at) | Q(created_at=created_at, seq__lt=seq)
    )


def _newer_than(created_at: datetime, seq: int) -> Q:
    return Q(created_at__gte=created_at) & (
        Q(created_at__gt=created_at) | Q(created_at=created_at, seq__gt=seq)
    )


def keyset_page(
    events: QuerySet[AuditEvent],
    *,
    before: str | None = None,
    after: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """A newest-first page of ``events``: older than ``before`` or newer than ``after``.

    Without a cursor it is the newest page. A "newer" page that reaches the
    top is shown as the newest page, so it is always full.
    """
    newest_first = events.order_by("-created_at", "-seq")
    after_key = decode_cursor(after) if not before else None
    before_key = decode_cursor(before)
    if after_key:
        rows = list(
            events.filter(_newer_than(*after_key)).order_by("created_at", "seq")[
                : size + 1
            ]
        )
        if len(rows) > size:
            rows = rows[:size]
            rows.reverse()
            return Page(rows, encode_cursor(rows[-1]), encode_cursor(rows[0]))
        before_key = None  # reached the top: show the newest page
    if before_key:
        rows = list(newest_first.filter(_older_than(*before_key))[: size + 1])
        has_newer = True
    else:
        rows = list(newest_first[: size + 1])
        has_newer = False
    has_older = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        encode_cursor(rows[-1]) if rows and has_older else None,
        encode_cursor(rows[0]) if rows and has_newer else None,
    )
