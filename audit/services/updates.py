"""The one update helper: diff, set, validate, save the changed fields only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from django.db import models


class FieldChanges(NamedTuple):
    """The fields an update changed: their ``old`` and ``new`` values."""

    old: dict[str, Any]
    new: dict[str, Any]

    def __bool__(self) -> bool:
        return bool(self.new)

    def as_details(self) -> dict[str, dict[str, Any]]:
        """``{"old": ..., "new": ...}`` with JSON-safe values, for ``event_data``."""
        return {
            "old": {name: json_value(value) for name, value in self.old.items()},
            "new": {name: json_value(value) for name, value in self.new.items()},
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
