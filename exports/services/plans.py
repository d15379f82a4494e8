"""Plans: the next object a run writes, recorded before anything is written.

A crash's planned range is re-cut with its recorded selection, then a
replayed object is sent again, then new events after the cursor, below the
commit horizon, up to where the UTC day of ``created_at`` changes (one
object = one day) for a destination that stores files; an HTTP destination
(``wants_file`` False) has no partitions, so its ranges are simply up to
``AUDITSITE_EXPORT_OBJECT_EVENTS`` events (whole requests, fewer commits),
read with their JSON columns as the database's text (``exports.rows``).
A new range is recorded as ``ExportState.planned_to`` (with its selection)
before it is rendered. The selection carries what the
writer needs beyond the rows (``with_inputs``), so rendering reads nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings

from audit import formats
from exports.models import ExportObject, ExportState
from exports.rows import ExportRow
from exports.selectors import export_rows_between, export_rows_of_one_day
from exports.services.leases import Lease


class StepKind(enum.Enum):
    RECUT = "recut"  # a range planned by a run that did not commit
    REPLAY = "replay"  # a recorded object sent again
    NEW = "new"  # new events after the cursor


@dataclass(frozen=True)
class Step:
    """One object to write: the range ``(position_from, position_to]``."""

    kind: StepKind
    position_from: str
    position_to: str
    rows: list[ExportRow]
    selection: dict
    replay_of: ExportObject | None = None

    @property
    def file_format(self) -> str:
        return self.selection["format"]


class RecordedRange(NamedTuple):
    """A range recorded before it is written: a run's plan (``ExportState``)
    or, with the same three fields, a delivered ``ExportObject``."""

    position_from: str
    position_to: str
    selection: dict


def next_step(lease: Lease, *, wants_file: bool = True) -> Step | None:
    """The next object: crash recovery, then replay, then new events.

    ``wants_file``: the destination's (``exports.destinations.base``).
    """
    location, state = lease.location, lease.state
    if state.planned_to:
        planned = RecordedRange(state.cursor, state.planned_to, state.planned_selection)
        return _step_again(lease, StepKind.RECUT, planned, wants_file=wants_file)
    if state.replay_from:
        obj = (
            ExportObject.objects.filter(
                location=location, position_from__gte=state.replay_from
            )
            .order_by("position_from")
            .first()
        )
        if obj is not None and obj.position_to <= state.cursor:
            return _step_again(
                lease, StepKind.REPLAY, obj, wants_file=wants_file, replay_of=obj
            )
        ExportState.objects.filter(pk=location.pk).update(replay_from="")
        state.replay_from = ""
    step = plan_new(lease, after=state.cursor, wants_file=wants_file)
    if step is None or not plan_record(lease, step):
        return None
    return step


def _step_again(
    lease: Lease,
    kind: StepKind,
    recorded: RecordedRange | ExportObject,
    *,
    wants_file: bool,
    replay_of: ExportObject | None = None,
) -> Step:
    """A range recorded before, read again with the selection it was recorded
    with (the lease's own for a range recorded without one)."""
    selection = recorded.selection or lease.selection
    rows = export_rows_between(
        selection=selection,
        after=recorded.position_from,
        up_to=recorded.position_to,
        json_text=not wants_file,
    )
    return Step(
        kind=kind,
        position_from=recorded.position_from,
        position_to=recorded.position_to,
        rows=rows,
        selection=with_inputs(lease, selection, rows),
        replay_of=replay_of,
    )


def plan_new(lease: Lease, *, after: str, wants_file: bool = True) -> Step | None:
    """New events after ``after`` (not recorded yet), below the horizon: one
    day of them for a destination that stores files (``wants_file``)."""
    selection = lease.selection
    rows = export_rows_of_one_day(
        selection=selection,
        after=after,
        horizon=lease.horizon,
        limit=settings.AUDITSITE_EXPORT_OBJECT_EVENTS,
        by_day=wants_file,
        json_text=not wants_file,
    )
    if not rows:
        return None
    return Step(
        kind=StepKind.NEW,
        position_from=after,
        position_to=rows[-1].position,
        rows=rows,
        selection=with_inputs(lease, selection, rows),
    )


def with_inputs(lease: Lease, selection: dict, rows: list[ExportRow]) -> dict:
    """The selection with what its writer needs beyond the rows, recorded.

    A CSV (writer version 2 on) describes each event from its type's
    template: the templates of the range's types (``None`` for a type the
    catalog does not know) are recorded with the range, so a re-cut or
    replay after a template edit writes the same bytes. A range recorded
    before templates were (``"templates"`` missing) takes the run's own,
    read once per run (``Lease.templates``), as it always did.
    """
    file_format = formats.format_for(selection["format"])
    version = selection.get("format_version", 1)
    if "templates" in selection or not file_format.needs_templates(version):
        return selection
    types = sorted({row.event_type for row in rows})
    return {**selection, "templates": {t: lease.templates.get(t) for t in types}}


def plan_record(lease: Lease, step: Step) -> bool:
    """Record a new range as planned; False if another worker moved on."""
    recorded = ExportState.objects.filter(
        pk=lease.location.pk,
        cursor=step.position_from,
        lease_owner=lease.worker,
        planned_to="",
    ).update(planned_to=step.position_to, planned_selection=step.selection)
    if recorded != 1:
        return False
    lease.state.planned_to = step.position_to
    lease.state.planned_selection = step.selection
    return True
