"""The one create, update and delete path of the services: validate, save,
record the event (in the caller's transaction).

``fields_update`` diffs, sets, validates and saves the changed fields only;
``recorded_create``, ``recorded_update`` and ``recorded_delete`` add the
operator or customer event the change records, so each service states only
its model, its event type and the details that name the row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from django.db import models

from audit.actors import Actor
from audit.services.events import event_record


class FieldChanges(NamedTuple):
    """The fields an update changed: their ``old`` and ``new`` values."""

    old: dict[str, Any]
    new: dict[str, Any]

    def __bool__(self) -> bool:
        return bool(self.new)

    def as_details(
        self, names: list[str] | None = None, labels: dict[str, str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """``{"old": ..., "new": ...}`` with JSON-safe values, for ``event_data``.

        Only ``names`` (in that order; default: every changed field), each
        under its ``labels`` name when it has one.
        """
        names = list(self.new) if names is None else names
        labels = labels or {}
        return {
            side: {labels.get(n, n): json_value(values[n]) for n in names}
            for side, values in (("old", self.old), ("new", self.new))
        }


def json_value(value: Any) -> Any:
    """A field value as it goes into ``event_data`` (dates as ISO 8601)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return value


def fields_update(
    *,
    instance: models.Model,
    changes: dict[str, Any],
    allowed: set[str] | frozenset[str],
    clean_exclude: list[str] | None = None,
) -> FieldChanges:
    """Set the ``changes`` that differ on ``instance``, validate, save only those.

    Refuses fields outside ``allowed``. Returns the old and new values of
    what changed (empty when nothing did; then nothing is saved). Call it
    inside the service's transaction, on a row it has locked.
    """
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(
            f"Unknown {instance._meta.model_name} fields: {sorted(unknown)}"
        )
    old = {name: getattr(instance, name) for name in changes}
    new = {name: value for name, value in changes.items() if old[name] != value}
    if not new:
        return FieldChanges(old={}, new={})
    for name, value in new.items():
        setattr(instance, name, value)
    instance.full_clean(exclude=clean_exclude)
    instance.save(update_fields=list(new))
    return FieldChanges(old={name: old[name] for name in new}, new=new)


def recorded_create(
    instance: models.Model,
    *,
    actor: Actor,
    event_type: str,
    details: dict[str, Any] | None = None,
    **about: Any,
) -> models.Model:
    """Validate and save a new ``instance``; record ``event_type`` about it.

    ``about`` is the event's ``user`` and/or ``org``.
    """
    instance.full_clean()
    instance.save()
    event_record(event_type=event_type, actor=actor, details=details, **about)
    return instance


def recorded_update(
    instance: models.Model,
    *,
    actor: Actor,
    changes: dict[str, Any],
    allowed: set[str] | frozenset[str],
    event_type: str,
    details: dict[str, Any],
    **about: Any,
) -> FieldChanges:
    """``fields_update``, then, if anything changed, ``event_type`` with
    ``details`` and the old and new values."""
    diff = fields_update(instance=instance, changes=changes, allowed=allowed)
    if diff:
        event_record(
            event_type=event_type,
            actor=actor,
            details={**details, **diff.as_details()},
            **about,
        )
    return diff


def recorded_delete(
    instance: models.Model,
    *,
    actor: Actor,
    event_type: str,
    details: dict[str, Any] | None = None,
    **about: Any,
) -> None:
    """Record ``event_type`` (while the row can still be described), then delete."""
    event_record(event_type=event_type, actor=actor, details=details, **about)
    instance.delete()
