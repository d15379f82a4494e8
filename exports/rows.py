"""Reading export rows: the columns an export needs, as the formats need them.

``ExportRow`` is one event as an export reads it; ``_read`` selects its
columns straight from the cursor (no model instances): the JSON columns as
text decoded with orjson and, on PostgreSQL, ``created_at`` as epoch
microseconds. ``_after``/``_up_to`` compare positions in export order.
``exports.selectors`` uses these to cut ranges.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
from django.db import connection
from django.db.models import BigIntegerField, F, Func, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from audit.spec import ROW_FIELDS, RowMethods
from exports.models import position_decode, position_encode


class ExportRow(
    NamedTuple("ExportRowFields", [*ROW_FIELDS, ("txid", int), ("seq", int)]),
    RowMethods,
):  # type: ignore[misc]
    """One event as an export reads it: the SPEC columns and category (the
    fields of ``audit.spec.SpecRow``), then its position."""

    __slots__ = ()

    @property
    def position(self) -> str:
        """This event's place in export order."""
        return position_encode(self.txid, self.seq)


EXPORT_COLUMNS = ExportRow._fields


class _Row(Func):
    """``(a, b)``: a row value, compared column by column (SQL row comparison)."""

    function = ""
    template = "(%(expressions)s)"
    output_field = BigIntegerField()


_POSITION = _Row(F("txid"), F("seq"))


def _position(position: str) -> _Row:
    txid, seq = position_decode(position)
    return _Row(Value(txid), Value(seq))


# Row comparisons, not ``txid >= t AND (txid > t OR seq > s)``: PostgreSQL
# starts the (txid, seq) index scan at the position itself. The expanded form
# only bounds txid, so every earlier event of the same transaction (a bulk
# COPY, a seed: up to millions) was fetched from the heap and filtered out
# again for each object a run cut.
def _after(position: str) -> GreaterThan:
    return GreaterThan(_POSITION, _position(position))


def _up_to(position: str) -> LessThanOrEqual:
    return LessThanOrEqual(_POSITION, _position(position))


# The JSON columns are read as their text and decoded with orjson: the same
# values as JSONField's json.loads, several times faster (an export decodes
# three per event).
_JSON_COLUMNS = ("event_data", "caused_by_metadata", "impersonator_metadata")
_JSON_INDEXES = tuple(EXPORT_COLUMNS.index(name) for name in _JSON_COLUMNS)
_AS_TEXT = {f"{name}_text": Cast(F(name), TextField()) for name in _JSON_COLUMNS}
_READ_COLUMNS = tuple(
    f"{name}_text" if name in _JSON_COLUMNS else name for name in EXPORT_COLUMNS
)


def _json_value(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # beyond orjson (an integer over 64 bits)
        return json.loads(text)


# PostgreSQL sends created_at as epoch microseconds: an integer is loaded in
# C, where Django's timestamptz loader parses text in Python (a third of a
# stream's read, bench/streams.py). The same UTC datetime, exactly.
_CREATED = EXPORT_COLUMNS.index("created_at")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_US = Func(
    F("created_at"),
    template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint",
    output_field=BigIntegerField(),
)


def export_row_decode(values: tuple) -> ExportRow:
    """An ``ExportRow`` from the columns ``_read`` selects (JSON as text,
    ``created_at`` as epoch microseconds on PostgreSQL)."""
    values = list(values)
    for index in _JSON_INDEXES:
        values[index] = _json_value(values[index])
    if type(values[_CREATED]) is int:
        values[_CREATED] = _EPOCH + timedelta(microseconds=values[_CREATED])
    return ExportRow._make(values)


def _read(qs: QuerySet) -> QuerySet:
    # values_list: tuples straight from the cursor, no model instances.
    if connection.vendor != "postgresql":
        return qs.annotate(**_AS_TEXT).values_list(*_READ_COLUMNS)
    columns = list(_READ_COLUMNS)
    columns[_CREATED] = "created_at_us"
    return qs.annotate(**_AS_TEXT, created_at_us=_EPOCH_US).values_list(*columns)


def _rows(qs: QuerySet) -> list[ExportRow]:
    return [export_row_decode(values) for values in _read(qs)]
