"""Replay: re-send a location's recorded objects from a date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from datetime import time as dtime

from django.db import transaction

from audit.catalog import T
from audit.services import Actor
from exports.models import ExportLocation, ExportObject, ExportState, position_encode
from exports.selectors import events_selected
from exports.services.locations import _record
from exports.services.queueing import export_location_run_soon


def export_location_replay(
    *, actor: Actor, location: ExportLocation, since: date
) -> int:
    """Re-send a location's delivered objects from a date; the count to re-send.

    Replay re-cuts exactly the recorded ranges with their recorded selection,
    so the objects land on their recorded keys with the same bytes, and then
    runs go on from the cursor. Records ``ExportLocationReplayed``.
    """
    start = datetime.combine(since, dtime.min, tzinfo=UTC)
    with transaction.atomic():
        state, _ = ExportState.objects.select_for_update().get_or_create(
            location=location
        )
        first = (
            # The location's filters without the hidden kinds: the objects
            # were cut with the selection of their time (a superset only
            # makes the replay start earlier, never miss an object).
            events_selected(
                selection={
                    "categories": location.categories,
                    "event_types": location.event_types,
                    "orgs": location.orgs,
                }
            )
            .filter(created_at__gte=start)
            .order_by("txid", "seq")
            .values_list("txid", "seq")
            .first()
        )
        obj = None
        if first is not None:
            obj = (
                ExportObject.objects.filter(
                    location=location, position_to__gte=position_encode(*first)
                )
                .order_by("position_to")
                .first()
            )
        if obj is None:
            return 0
        state.replay_from = obj.position_from
        state.save(update_fields=["replay_from", "updated_at"])
        count = ExportObject.objects.filter(
            location=location, position_from__gte=obj.position_from
        ).count()
        _record(
            T.ExportLocationReplayed,
            actor,
            location,
            **{"from": since.isoformat(), "objects": count},
        )
        export_location_run_soon(actor=actor, location=location)
    return count
