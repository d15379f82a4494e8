"""Keyset (cursor) pagination over events, newest first.

The order is ``(created_at DESC, seq DESC)``: ``seq`` is unique, so ties on
``created_at`` have a fixed order, and the cursor is the last row's
``(created_at, seq)``. The next page is the rows strictly after it in that
order, whatever was inserted meanwhile: every event that existed when
paging started appears exactly once. (A new event with a past
``created_at`` may show up on a later page; one newer than the cursor never
does.)
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def encode_cursor(created_at: datetime, seq: int) -> str:
    micros = (created_at - EPOCH) // MICROSECOND
    return base64.urlsafe_b64encode(f"{micros}:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        micros, seq = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        return EPOCH + int(micros) * MICROSECOND, int(seq)
    except (ValueError, binascii.Error, UnicodeError, OverflowError) as exc:
        raise ValidationError({"cursor": ["Invalid cursor."]}) from exc


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
            created_at, seq = decode_cursor(cursor)
            queryset = queryset.filter(
                Q(created_at__lt=created_at) | Q(created_at=created_at, seq__lt=seq)
            )
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        page = rows[:size]
        self.next_cursor = (
            encode_cursor(page[-1].created_at, page[-1].seq) if self.has_next else None
        )
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
