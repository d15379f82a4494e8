"""Keyset (cursor) pagination over events, newest first, on ``(created_at, seq)``.

``seq`` is unique, so ties on ``created_at`` have a fixed order, and a cursor
is the last row's ``(created_at, seq)``. A page is selected by that cursor,
never by an OFFSET: a deep page costs the same as the first (an index range
scan), and events that arrive while someone pages never shift the rows under
them, so every event that existed when paging started appears exactly once.
(A new event with a past ``created_at`` may show up on a later page; one newer
than the cursor never does.) Cursors only narrow a queryset the caller has
already scoped, so a crafted cursor can select nothing outside it.

Used by the org pages (``keyset_page``) and the REST API
(``EventCursorPagination``; ``keyset_rows`` for the directory's users, orgs
and members, on their own ``(created_at, id)``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from audit.models import AuditEvent

PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def encode_cursor(event: AuditEvent) -> str:
    """An opaque cursor naming ``event``'s place in the order."""
    micros = (event.created_at - EPOCH) // MICROSECOND
    raw = f"{micros}:{event.seq}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    """``(created_at, seq)`` from a cursor, or None when it is not one of ours."""
    if not value:
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        micros, seq = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        return EPOCH + int(micros) * MICROSECOND, int(seq)
    except (ValueError, binascii.Error, UnicodeError, OverflowError):
        return None


def older_than(created_at: datetime, seq: int) -> Q:
    """Rows after the cursor in newest-first order."""
    # The redundant `created_at <= t` lets the index range start at the cursor.
    return Q(created_at__lte=created_at) & (
        Q(created_at__lt=created_at) | Q(created_at=created_at, seq__lt=seq)
    )


def newer_than(created_at: datetime, seq: int) -> Q:
    """Rows before the cursor in newest-first order."""
    return Q(created_at__gte=created_at) & (
        Q(created_at__gt=created_at) | Q(created_at=created_at, seq__gt=seq)
    )


@dataclass
class Page:
    events: list[AuditEvent]
    older: str | None
    newer: str | None


def keyset_page(
    events: QuerySet[AuditEvent],
    *,
    before: str | None = None,
    after: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """A newest-first page of ``events``: older than ``before`` or newer than ``after``.

    Without a cursor it is the newest page. A "newer" page that reaches the
    top is shown as the newest page, and an "older" page past the bottom as
    the oldest one, so paging never leads to an empty page.
    """
    newest_first = events.order_by("-created_at", "-seq")
    after_key = decode_cursor(after) if not before else None
    before_key = decode_cursor(before)
    if after_key:
        rows = list(
            events.filter(newer_than(*after_key)).order_by("created_at", "seq")[
                : size + 1
            ]
        )
        if len(rows) > size:
            rows = rows[:size]
            rows.reverse()
            return Page(rows, encode_cursor(rows[-1]), encode_cursor(rows[0]))
        before_key = None  # reached the top: show the newest page
    if before_key:
        rows = list(newest_first.filter(older_than(*before_key))[: size + 1])
        has_newer = True
        if not rows:
            # Nothing is older than the cursor any more (its rows were purged
            # or hidden since the link was made): show the oldest page.
            rows = list(events.order_by("created_at", "seq")[: size + 1])
            has_newer = len(rows) > size
            rows = rows[:size]
            rows.reverse()
            return Page(rows, None, encode_cursor(rows[0]) if has_newer else None)
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


class EventCursorPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 100
    max_page_size = 1000

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError as exc:
            raise ValidationError({"page_size": ["Must be an integer."]}) from exc
        if size < 1:
            raise ValidationError({"page_size": ["Must be at least 1."]})
        return min(size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param)
        queryset = queryset.order_by("-created_at", "-seq")
        if cursor:
            position = decode_cursor(cursor)
            if position is None:
                raise ValidationError({"cursor": ["Invalid cursor."]})
            queryset = queryset.filter(older_than(*position))
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        page = rows[:size]
        self.next_cursor = encode_cursor(page[-1]) if self.has_next else None
        return page

    def get_next_link(self) -> str | None:
        if not self.next_cursor:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "URL of the next (older) page; null on the last.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Events per page (default {self.page_size}, "
                f"at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


def encode_position(when: datetime, key) -> str:
    """An opaque cursor for a row at ``(when, key)`` of any keyset order."""
    raw = f"{(when - EPOCH) // MICROSECOND}:{key}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_position(value: str) -> tuple[datetime, str] | None:
    """``(when, key)`` from ``encode_position``'s cursor, else None."""
    try:
        padded = value + "=" * (-len(value) % 4)
        micros, key = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        return EPOCH + int(micros) * MICROSECOND, key
    except (ValueError, binascii.Error, UnicodeError, OverflowError):
        return None


def keyset_rows(
    queryset: QuerySet,
    *,
    time_field: str,
    cursor: str | None,
    size: int,
    key_field: str = "pk",
) -> tuple[list, str | None]:
    """A newest-first page of ``queryset`` on ``(time_field, key_field)``.

    The same seek as the events' pages, for other tables (the directory's
    users, orgs, members): returns the rows and the cursor of the next page
    (None on the last). A cursor that is not one of ours is a 400.
    """
    queryset = queryset.order_by(f"-{time_field}", f"-{key_field}")
    if cursor:
        position = decode_position(cursor)
        if position is None:
            raise ValidationError({"cursor": ["Invalid cursor."]})
        when, key = position
        try:
            queryset = queryset.filter(
                Q(**{f"{time_field}__lt": when})
                | Q(**{time_field: when, f"{key_field}__lt": key})
            )
            rows = list(queryset[: size + 1])
        except (ValueError, DjangoValidationError) as exc:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from exc
    else:
        rows = list(queryset[: size + 1])
    page = rows[:size]
    if len(rows) <= size:
        return page, None
    last = page[-1]
    return page, encode_position(getattr(last, time_field), getattr(last, key_field))
