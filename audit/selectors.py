"""Reads: scoped queries over audit events and the catalog."""

from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet

from audit.catalog import BUILTIN_BY_TYPE
from audit.models import AuditEvent, EventType, Organization


def event_type_templates() -> dict[str, str]:
    """Every known ``event_type`` and its description template (built-in and custom)."""
    templates = {key: entry["template"] for key, entry in BUILTIN_BY_TYPE.items()}
    templates.update(EventType.objects.values_list("event_type", "template"))
    return templates


def event_type_choices() -> list[tuple[str, str]]:
    """(event_type, readable name) for every catalog entry, for filter widgets."""
    return list(EventType.objects.order_by("name").values_list("event_type", "name"))


def event_describe_many(events) -> dict[int, str]:
    """Descriptions for a page of events, with one catalog query."""
    templates = event_type_templates()
    return {
        event.seq: event.description(templates.get(event.event_type))
        for event in events
    }


def events_all() -> QuerySet[AuditEvent]:
    """Every event, newest first: for staff (admin) and the operator's API keys only."""
    return AuditEvent.objects.all()


def events_for_org(*, org: Organization) -> QuerySet[AuditEvent]:
    """The events about ``org``, newest first. Never another org's."""
    return AuditEvent.objects.filter(org_id=org.pk)


def estimated_row_count(model) -> int | None:
    """The planner's row estimate for ``model``'s table on PostgreSQL, else None.

    Exact ``COUNT(*)`` on millions of rows costs a full scan on every page;
    the estimate is free and right to within a few percent after ANALYZE.
    """
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    if not row or row[0] is None or row[0] < 0:
        return None
    return int(row[0])
