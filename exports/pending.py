"""What a location still has to deliver: the events after its cursor.

The retention purge keeps them back (``exports.retention``); a location's
lag counts them and its health reads the lag. The selection is the engine's
own (``exports.selectors``), so what is kept is what a run would deliver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEvent, AuditSettings
from exports.models import ExportLocation
from exports.rows import position_after
from exports.selectors import (
    export_location_cursor,
    export_selection,
    selection_q,
)

LAG_COUNT_CAP = 100_000


def export_location_pending_q(
    *, location: ExportLocation, audit_settings: AuditSettings | None = None
) -> Q:
    """The events ``location`` still has to deliver: selected now, after its cursor.

    What a location's lag counts and what the retention purge must keep.
    """
    selection = export_selection(location=location, audit_settings=audit_settings)
    return selection_q(selection=selection) & Q(
        position_after(export_location_cursor(location=location))
    )


def export_location_lag(*, location: ExportLocation) -> dict:
    """What a location has not delivered yet: count (capped) and ages.

    ``oldest_pending_at`` is when the oldest undelivered event was recorded,
    so a stuck export shows as a growing ``oldest_pending_age_seconds``.
    """
    pending = AuditEvent.objects.filter(export_location_pending_q(location=location))
    oldest = pending.order_by("txid", "seq").values_list("recorded_at").first()
    newest = pending.order_by("-txid", "-seq").values_list("recorded_at").first()
    count = pending.order_by()[: LAG_COUNT_CAP + 1].count()
    oldest_at: datetime | None = oldest[0] if oldest else None
    return {
        "pending_events": min(count, LAG_COUNT_CAP),
        "pending_events_capped": count > LAG_COUNT_CAP,
        "oldest_pending_at": oldest_at,
        "newest_pending_at": newest[0] if newest else None,
        "oldest_pending_age_seconds": (
            int((timezone.now() - oldest_at).total_seconds()) if oldest_at else 0
        ),
    }


@dataclass(frozen=True)
class LocationHealth:
    """One status for a location, as the admin, API and command show it.

    ``state`` is ``ok``, ``lagging``, ``error`` or ``paused``; ``text`` is the
    line to show (``OK``, ``lagging 120 events, oldest 14 min``,
    ``error: <message>``, ``paused``). A location is lagging when its oldest
    undelivered event is older than one interval plus a minute of grace
    (events within that are simply waiting for the next run).
    """

    state: str
    text: str
    pending_events: int
    pending_events_capped: bool
    oldest_pending_minutes: int

    @property
    def lag_text(self) -> str:
        """``Nothing pending`` or ``120 events, the oldest recorded 14 min ago``."""
        if not self.pending_events:
            return "Nothing pending"
        more = "+" if self.pending_events_capped else ""
        noun = "event" if self.pending_events == 1 else "events"
        return (
            f"{self.pending_events}{more} {noun}, the oldest recorded "
            f"{self.oldest_pending_minutes} min ago"
        )


LAG_GRACE_SECONDS = 60


def export_location_health(
    *, location: ExportLocation, lag: dict | None = None
) -> LocationHealth:
    """The location's health: paused, else in error, else lagging, else OK."""
    from exports.services.locations import SCHEDULE_MINUTES

    lag = lag if lag is not None else export_location_lag(location=location)
    pending = lag["pending_events"]
    age = lag["oldest_pending_age_seconds"]
    minutes = age // 60
    values = {
        "pending_events": pending,
        "pending_events_capped": lag["pending_events_capped"],
        "oldest_pending_minutes": minutes,
    }
    if not location.enabled:
        text = (
            f"paused (error: {location.last_error})" if location.in_error else "paused"
        )
        return LocationHealth(state="paused", text=text, **values)
    if location.in_error:
        message = location.last_error or location.connection_status or "unknown"
        return LocationHealth(state="error", text=f"error: {message}", **values)
    allowance = SCHEDULE_MINUTES[location.interval] * 60 + LAG_GRACE_SECONDS
    if pending and age > allowance:
        more = "+" if lag["pending_events_capped"] else ""
        return LocationHealth(
            state="lagging",
            text=f"lagging {pending}{more} events, oldest {minutes} min",
            **values,
        )
    return LocationHealth(state="ok", text="OK", **values)
