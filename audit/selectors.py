"""Reads: scoped queries over audit events and the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from audit.catalog import BUILTIN_BY_TYPE, OPERATOR
from audit.models import (
    AuditEvent,
    AuditSettings,
    CausedByType,
    EventDayCount,
    EventType,
    Membership,
    Organization,
    OrgPermission,
)


def event_type_templates() -> dict[str, str]:
    """Every known ``event_type`` and its description template (built-in and custom)."""
    templates = {key: entry["template"] for key, entry in BUILTIN_BY_TYPE.items()}
    templates.update(EventType.objects.values_list("event_type", "template"))
    return templates


def event_type_choices(*, include_operator: bool = False) -> list[tuple[str, str]]:
    """(event_type, readable name) of the catalog, for filter widgets.

    Without ``include_operator`` (customer pages) the ``operator`` types are
    left out; the admin asks for them.
    """
    types = EventType.objects.order_by("name")
    if not include_operator:
        types = types.exclude(category=OPERATOR)
    return list(types.values_list("event_type", "name"))


@dataclass(frozen=True)
class EventCatalog:
    """The catalog as one page needs it: description templates and filter choices."""

    templates: dict[str, str]
    # (event_type, readable name, category), ordered by name in the database.
    types: list[tuple[str, str, str]]

    def choices(self, *, include_operator: bool = False) -> list[tuple[str, str]]:
        """``event_type_choices`` from the rows already read."""
        return [
            (event_type, name)
            for event_type, name, category in self.types
            if include_operator or category != OPERATOR
        ]


def event_catalog() -> EventCatalog:
    """``event_type_templates`` and ``event_type_choices`` with one query."""
    templates = {key: entry["template"] for key, entry in BUILTIN_BY_TYPE.items()}
    types = []
    rows = EventType.objects.order_by("name").values_list(
        "event_type", "name", "category", "template"
    )
    for event_type, name, category, template in rows:
        templates[event_type] = template
        types.append((event_type, name, category))
    return EventCatalog(templates=templates, types=types)


def audit_settings_load() -> AuditSettings:
    """The one global audit log settings row (made with its defaults if missing)."""
    row, _ = AuditSettings.objects.get_or_create(pk=1)
    return row


def event_description(event: AuditEvent) -> str:
    """The human sentence for one event, from its type's current template."""
    return event.description(event_type_templates().get(event.event_type))


def event_describe_many(events, *, templates=None) -> dict[int, str]:
    """Descriptions for a page of events, with one catalog query.

    ``templates`` (from ``event_catalog``) saves the query when the caller
    has read the catalog already.
    """
    if templates is None:
        templates = event_type_templates()
    return {
        event.seq: event.description(templates.get(event.event_type))
        for event in events
    }


def events_all() -> QuerySet[AuditEvent]:
    """Every event, newest first: for staff (admin) and the operator's API keys only."""
    return AuditEvent.objects.all()


def events_for_org(*, org: Organization) -> QuerySet[AuditEvent]:
    """The customer events about ``org``, newest first. Never another org's.

    ``operator`` events (changes to auditsite itself) are never a
    customer's, whatever org or user they name (SPEC 7).
    """
    return events_for_org_id(org_id=org.pk)


def events_for_org_id(*, org_id) -> QuerySet[AuditEvent]:
    """``events_for_org`` by the org's id (an export selection stores the id)."""
    return AuditEvent.objects.filter(org_customer_q(org_id=org_id))


def org_customer_q(*, org_id) -> Q:
    """The condition of ``events_for_org_id``: the org's events, no ``operator``."""
    return Q(org_id=org_id) & ~Q(category=OPERATOR)


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


# --- customer-facing audit log ----------------------------------------------


def _orgs_with_permission(*, user, codename: str) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(
        memberships__user=user, memberships__role__permissions__codename=codename
    ).distinct()


def orgs_for_viewer(*, user, settings: AuditSettings | None = None):
    """The orgs whose audit log ``user`` may read, by name.

    A member needs a role with `View Audit Log`, and the org must be allowed
    to show its log: every org when the global setting says so, otherwise
    only orgs whose own switch is on.
    """
    settings = settings or audit_settings_load()
    orgs = _orgs_with_permission(user=user, codename=OrgPermission.VIEW_AUDIT_LOG)
    if not settings.all_orgs_can_view_audit_log:
        orgs = orgs.filter(can_view_audit_log=True)
    return orgs.order_by("name")


def org_for_viewer(
    *, user, slug: str, settings: AuditSettings | None = None
) -> Organization:
    """The org at ``slug`` if ``user`` may read its log; PermissionDenied otherwise.

    An unknown slug is refused the same way as a forbidden one, so that the
    answer never tells whether another org exists.
    """
    org = orgs_for_viewer(user=user, settings=settings).filter(slug=slug).first()
    if org is None:
        raise PermissionDenied("You cannot view this organization's audit log.")
    return org


def org_for_viewer_among(viewable: list[Organization], *, slug: str) -> Organization:
    """``org_for_viewer`` from the list ``orgs_for_viewer`` already returned.

    A page that shows the viewer's orgs anyway (the org switcher) reads them
    once; the answer for an unknown or forbidden slug is the same refusal.
    """
    for org in viewable:
        if org.slug == slug:
            return org
    raise PermissionDenied("You cannot view this organization's audit log.")


def orgs_for_member_manager(*, user) -> QuerySet[Organization]:
    """The orgs where ``user``'s role has `Manage Members`, by name."""
    return _orgs_with_permission(
        user=user, codename=OrgPermission.MANAGE_MEMBERS
    ).order_by("name")


def org_for_member_manager(*, user, slug: str) -> Organization:
    """The org at ``slug`` if ``user`` may manage its members; else PermissionDenied."""
    org = orgs_for_member_manager(user=user).filter(slug=slug).first()
    if org is None:
        raise PermissionDenied("You cannot manage this organization's members.")
    return org


def org_permissions_of(*, user, org: Organization) -> set[str]:
    """The org-permission codenames ``user``'s role in ``org`` grants."""
    if not user.is_authenticated:
        return set()
    return set(
        OrgPermission.objects.filter(
            roles__memberships__user=user, roles__memberships__org=org
        ).values_list("codename", flat=True)
    )


def org_for_permission(*, user, slug: str, codename: str) -> Organization:
    """The org at ``slug`` if ``user``'s role there has ``codename``.

    PermissionDenied otherwise, an unknown slug included (the answer never
    tells whether another org exists).
    """
    org = _orgs_with_permission(user=user, codename=codename).filter(slug=slug).first()
    if org is None:
        raise PermissionDenied("Your role in this organization cannot open this page.")
    return org


def memberships_for_org(*, org: Organization) -> QuerySet[Membership]:
    """The members of ``org`` with their users and roles, by email."""
    return (
        Membership.objects.filter(org=org)
        .select_related("user", "role")
        .order_by("user__email")
    )


def visible_kinds_q(*, hidden_caused_by: list[str]) -> Q:
    """The events whose kind of cause is not hidden from customers.

    Hiding impersonation also hides events that carry an impersonator, which
    some sources record with another cause type.
    """
    visible = Q()
    if hidden_caused_by:
        visible &= ~Q(caused_by_type__in=hidden_caused_by)
    if CausedByType.IMPERSONATION in hidden_caused_by:
        visible &= Q(impersonator_id__isnull=True) | Q(impersonator_id="")
    return visible


def events_without_hidden_kinds(
    events: QuerySet[AuditEvent], *, hidden_caused_by: list[str]
) -> QuerySet[AuditEvent]:
    """``events`` minus the kinds of cause hidden from customers."""
    if not hidden_caused_by:
        return events
    return events.filter(visible_kinds_q(hidden_caused_by=hidden_caused_by))


def events_for_viewer(
    *, org: Organization, settings: AuditSettings
) -> QuerySet[AuditEvent]:
    """What an org's members may see of its log: every customer read starts here.

    The org's events minus the kinds the global settings hide from customers:
    impersonation (caused by an impersonation or carrying an impersonator),
    API keys and employees.
    """
    return events_without_hidden_kinds(
        events_for_org(org=org), hidden_caused_by=settings.hidden_caused_by()
    )


def visible_caused_by_choices(*, settings: AuditSettings) -> list[tuple[str, str]]:
    """The "caused by" kinds customers may filter on (the hidden ones are not)."""
    hidden = settings.hidden_caused_by()
    return [(v, label) for v, label in CausedByType.choices if v not in hidden]


def event_counts_per_day(
    *, events: QuerySet[AuditEvent], start: datetime, end: datetime, zone
) -> dict[date, int]:
    """Events per local day in ``[start, end)``, with one GROUP BY."""
    rows = (
        events.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return dict(rows)


def event_day_counts(
    *,
    org: Organization,
    first: date,
    last: date,
    hidden_caused_by: list[str],
    event_types: list[str] | None = None,
    category: str | None = None,
    caused_by_types: list[str] | None = None,
) -> dict[date, int]:
    """Exact events per UTC day of ``org`` from the rollup (``EventDayCount``).

    Reads at most (days x kinds) rollup rows, however many events the org
    has. Applies the same hidden kinds as ``events_without_hidden_kinds``.
    """
    rows = EventDayCount.objects.filter(org_id=org.pk, day__gte=first, day__lte=last)
    if event_types:
        rows = rows.filter(event_type__in=event_types)
    if category:
        rows = rows.filter(category=category)
    if caused_by_types:
        rows = rows.filter(caused_by_type__in=caused_by_types)
    if hidden_caused_by:
        rows = rows.exclude(caused_by_type__in=hidden_caused_by)
        if CausedByType.IMPERSONATION in hidden_caused_by:
            rows = rows.filter(impersonated=False)
    per_day = rows.order_by().values("day").annotate(n=Sum("count"))
    return {row["day"]: row["n"] for row in per_day if row["n"]}


def event_counts_per_day_newest(
    *, events: QuerySet[AuditEvent], start: datetime, end: datetime, zone, limit: int
) -> tuple[dict[date, int], datetime | None]:
    """Events per local day in ``[start, end)``, counting the newest ``limit`` only.

    Returns the counts and, when there were more than ``limit`` events, the
    time of the newest event left out: it and everything older in the range
    are not counted (its local day is counted in part). None when every event
    in the range was counted. One index range scan with a LIMIT: the cost is
    bounded by ``limit``, not by how many events match.
    """
    newest = (
        events.filter(created_at__gte=start, created_at__lt=end)
        .order_by("-created_at", "-seq")
        .values_list("created_at", flat=True)[: limit + 1]
    )
    connection = connections[events.db]
    if connection.vendor == "postgresql":
        sql, params = newest.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (e.created_at AT TIME ZONE %s)::date, count(*),"
                f" min(e.created_at) FROM ({sql}) AS e GROUP BY 1",
                [str(zone), *params],
            )
            rows = cursor.fetchall()
        counted = sum(n for _, n, _ in rows)
        oldest = min((t for _, _, t in rows), default=None)
        counts = {day: n for day, n, _ in rows}
    else:
        times = list(newest)
        counted, oldest, counts = len(times), min(times, default=None), {}
        for moment in times:
            day = timezone.localtime(moment, zone).date()
            counts[day] = counts.get(day, 0) + 1
    if counted <= limit:
        return counts, None
    # One row more than ``limit`` was read to learn that there are more.
    oldest_day = timezone.localtime(oldest, zone).date()
    counts[oldest_day] -= 1
    if not counts[oldest_day]:
        del counts[oldest_day]
    return counts, oldest
