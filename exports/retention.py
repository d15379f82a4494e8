"""The retention purge: drop events past their plan's window, never undelivered ones.

Windows come from the org's plan (`Organization.retention_days`: 30/60/90
days); events with no org, or whose org no longer exists, follow
``settings.AUDITSITE_RETENTION_NO_ORG_DAYS``. An event is kept back while any
export location - enabled or disabled, since a disabled location is only
paused and will deliver once re-enabled - still has to deliver it: the
engine's own selection (``exports.pending.export_location_pending_q``: its
filters, the default categories, the hidden kinds) after its cursor.
Deleted with ``events_delete_for_retention`` in bounded batches, each its
own transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.actors import Actor
from audit.catalog import T
from audit.models import RETENTION_DAYS, AuditEvent, Organization, Plan
from audit.pagination import newer_than
from audit.selectors import audit_settings_load
from audit.services import event_record, events_delete_for_retention
from exports.models import ExportLocation
from exports.pending import export_location_pending_q

NO_ORG = "no_org"
BATCH_SIZE = 5000


@dataclass
class PurgeReport:
    """What a purge removed (per plan and per org) and what it kept back."""

    dry_run: bool
    now: datetime
    removed: int = 0
    removed_by_plan: dict[str, int] = field(default_factory=dict)
    removed_by_org: dict[str, int] = field(default_factory=dict)
    kept_back: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "now": self.now.isoformat(),
            "removed": self.removed,
            "removed_by_plan": self.removed_by_plan,
            "removed_by_org": self.removed_by_org,
            "kept_back": self.kept_back,
        }

    def lines(self) -> list[str]:
        verb = "Would remove" if self.dry_run else "Removed"
        out = [f"{verb} {self.removed} event(s)."]
        for plan, count in sorted(self.removed_by_plan.items()):
            out.append(f"  {plan}: {count}")
        for item in self.kept_back:
            out.append(
                f"Kept back {item['events']} undelivered event(s) for export "
                f"location {item['name']} ({item['id']})"
                + ("" if item["enabled"] else " [paused]")
            )
        return out


def expired_q(*, now: datetime) -> Q:
    """Events older than their org's plan window (or the no-org setting)."""
    parts = []
    for plan in Plan:
        org_ids = Organization.objects.filter(plan=plan).values("id")
        cutoff = now - timedelta(days=RETENTION_DAYS[plan])
        parts.append(Q(org_id__in=org_ids, created_at__lt=cutoff))
    no_org_cutoff = now - timedelta(days=settings.AUDITSITE_RETENTION_NO_ORG_DAYS)
    orphan = Q(org_id__isnull=True) | ~Q(org_id__in=Organization.objects.values("id"))
    parts.append(orphan & Q(created_at__lt=no_org_cutoff))
    return reduce(or_, parts)


def _count_removed(
    report: PurgeReport, rows: list[tuple[int, object]], plans: dict
) -> None:
    for _, org_id in rows:
        plan = plans.get(org_id, NO_ORG)
        org_key = str(org_id) if org_id in plans else NO_ORG
        report.removed_by_plan[plan] = report.removed_by_plan.get(plan, 0) + 1
        report.removed_by_org[org_key] = report.removed_by_org.get(org_key, 0) + 1
    report.removed += len(rows)


def _org_groups(*, now: datetime, plans: dict) -> list[tuple[list, datetime]]:
    """``(org ids, cutoff)`` per retention window: each plan's orgs, then the
    events with no org or whose org is gone (``None`` stands for no org)."""
    by_plan: dict[str, list] = {plan: [] for plan in Plan}
    for org_id, plan in plans.items():
        by_plan[plan].append(org_id)
    groups = [
        (ids, now - timedelta(days=RETENTION_DAYS[plan]))
        for plan, ids in by_plan.items()
        if ids
    ]
    known = {org_id for ids in by_plan.values() for org_id in ids}
    orphans = [org_id for org_id in _event_org_ids() if org_id not in known]
    no_org_cutoff = now - timedelta(days=settings.AUDITSITE_RETENTION_NO_ORG_DAYS)
    groups.append(([None, *orphans], no_org_cutoff))
    return groups


def _event_org_ids() -> list:
    """Every distinct ``org_id`` in the event table, by a loose index scan.

    One probe of the org index per org (a recursive query), not a scan of
    the table: it is how the purge finds events of orgs that were deleted.
    """
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE orgs(org_id) AS (
                SELECT (SELECT org_id FROM {table} WHERE org_id IS NOT NULL
                        ORDER BY org_id LIMIT 1)
                UNION ALL
                SELECT (SELECT e.org_id FROM {table} AS e WHERE e.org_id > orgs.org_id
                        ORDER BY e.org_id LIMIT 1)
                FROM orgs WHERE orgs.org_id IS NOT NULL
            )
            SELECT org_id FROM orgs WHERE org_id IS NOT NULL
            """
        )
        field = AuditEvent._meta.get_field("org_id")
        return [field.to_python(row[0]) for row in cursor.fetchall()]


def _expired_rows(
    *, removable: QuerySet, now: datetime, plans: dict, batch_size: int
) -> Iterator[list[tuple[int, object]]]:
    """Batches of ``(seq, org_id)`` past their window, org by org.

    Each org's expired events are one range of the ``(org_id, created_at)``
    index, walked oldest first with a keyset, so the walk never reads a row
    twice nor any row still inside its window: the cost follows what is
    removed, not the size of the table. Yields at most ``batch_size`` rows at
    a time, across orgs; the caller deletes each batch before the next read.
    """
    pending: list[tuple[int, object]] = []
    for org_ids, cutoff in _org_groups(now=now, plans=plans):
        for org_id in org_ids:
            rows = (
                removable.filter(org_id=org_id)
                if org_id
                else removable.filter(org_id__isnull=True)
            )
            rows = rows.filter(created_at__lt=cutoff).order_by("created_at", "seq")
            position = None
            while True:
                page = rows
                if position is not None:
                    page = page.filter(newer_than(*position))
                chunk = list(
                    page.values_list("seq", "org_id", "created_at")[:batch_size]
                )
                pending += [(seq, org) for seq, org, _ in chunk]
                while len(pending) >= batch_size:
                    yield pending[:batch_size]
                    pending = pending[batch_size:]
                if len(chunk) < batch_size:
                    break
                position = (chunk[-1][2], chunk[-1][0])
    if pending:
        yield pending


def events_purge(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    actor: Actor | None = None,
) -> PurgeReport:
    """Remove expired events that every export location has delivered.

    Returns the report: counts removed per plan and per org, and per export
    location (name and id only) the expired events kept back for it. With
    ``dry_run`` nothing is deleted and the report says what would be.
    Deletes in batches of ``batch_size``, each its own short transaction, so
    ingestion never waits on the purge. A real run records `RetentionPurgeRun`
    (counts per plan, what was kept back) caused by ``actor``: ``System`` for
    the schedule and the command.
    """
    now = now or timezone.now()
    report = PurgeReport(dry_run=dry_run, now=now)
    expired = AuditEvent.objects.filter(expired_q(now=now))
    holds = []
    audit_settings = audit_settings_load()
    for location in ExportLocation.objects.order_by("name", "id"):
        hold = export_location_pending_q(
            location=location, audit_settings=audit_settings
        )
        holds.append(hold)
        kept = expired.filter(hold).count()
        if kept:
            report.kept_back.append(
                {
                    "id": str(location.pk),
                    "name": location.name,
                    "enabled": location.enabled,
                    "events": kept,
                }
            )
    removable: QuerySet = AuditEvent.objects.all()
    if holds:
        removable = removable.exclude(reduce(or_, holds))
    plans = dict(Organization.objects.values_list("id", "plan"))
    rows_expired = _expired_rows(
        removable=removable, now=now, plans=plans, batch_size=batch_size
    )
    for rows in rows_expired:
        if not dry_run:
            removed = events_delete_for_retention(seqs=[seq for seq, _ in rows])
            if removed != len(rows):
                # The database refused some (PostgreSQL's function never
                # removes the last day's events): stop rather than loop.
                break
        _count_removed(report, rows, plans)
    if dry_run:
        return report
    event_record(
        event_type=T.RetentionPurgeRun,
        actor=actor or Actor.system(),
        details={
            "removed": report.removed,
            "removed_by_plan": report.removed_by_plan,
            "kept_back": report.kept_back,
        },
    )
    return report
