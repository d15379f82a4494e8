"""Reading export rows: the columns an export needs, as the formats need them.

``ExportRow`` is one event as an export reads it; ``rows_read`` selects its
columns straight from the cursor (no model instances): the JSON columns as
their text and, on PostgreSQL, ``created_at`` as epoch microseconds and the
ids as text. ``export_row_decode`` decodes the JSON text with orjson (the
writers that look into it: CSV, Parquet, OCSF, JSON); ``export_row_wire``
keeps it as ``orjson.Fragment`` for what embeds it in JSON unchanged (the
HTTP destinations' bodies, ``ndjson.gz`` from writer version 3 on), so the
read never decodes what the output would only encode again.
``position_after``/``position_up_to`` compare positions in export order;
``exports.selectors`` uses these to cut ranges.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
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
# How a raw row becomes an ExportRow: ``export_row_decode`` or ``export_row_wire``.
RowDecoder = Callable[[tuple], ExportRow]


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
def position_after(position: str) -> GreaterThan:
    """Events after ``position`` in export order (a filter expression)."""
    return GreaterThan(_POSITION, _position(position))


def position_up_to(position: str) -> LessThanOrEqual:
    """Events up to and including ``position`` in export order."""
    return LessThanOrEqual(_POSITION, _position(position))


# The JSON columns are read as their text: decoded with orjson (the same
# values as JSONField's json.loads, several times faster) or passed through.
_JSON_COLUMNS = ("event_data", "caused_by_metadata", "impersonator_metadata")
_JSON_INDEXES = tuple(EXPORT_COLUMNS.index(name) for name in _JSON_COLUMNS)
_AS_TEXT = {f"{name}_text": Cast(F(name), TextField()) for name in _JSON_COLUMNS}
_READ_COLUMNS = tuple(
    f"{name}_text" if name in _JSON_COLUMNS else name for name in EXPORT_COLUMNS
)
# On PostgreSQL the ids come as text too: ``uuid::text`` is ``str(UUID)``,
# and psycopg builds no UUID object a writer would only turn back into text.
# (SQLite stores them as 32 hex digits: Django's converter makes them UUIDs.)
_ID_COLUMNS = ("uuid", "user_id", "org_id")
_IDS_AS_TEXT = {f"{name}_text": Cast(F(name), TextField()) for name in _ID_COLUMNS}


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


# ExportRow._make without its length check (the columns are ours): one
# Python call less for each of millions of rows.
_new_row = partial(tuple.__new__, ExportRow)


def export_row_decode(values: tuple) -> ExportRow:
    """An ``ExportRow`` from the columns ``rows_read`` selects, its JSON decoded."""
    values = list(values)
    for index in _JSON_INDEXES:
        values[index] = _json_value(values[index])
    if type(values[_CREATED]) is int:
        values[_CREATED] = _EPOCH + timedelta(microseconds=values[_CREATED])
    return _new_row(values)


_Fragment = orjson.Fragment
_E, _C, _I = _JSON_INDEXES


def export_row_wire(values: tuple) -> ExportRow:
    """An ``ExportRow`` whose JSON columns stay the database's JSON text.

    Each is an ``orjson.Fragment``: ``orjson.dumps`` embeds it as it is (valid
    JSON: the database checked it), nothing decodes or re-encodes it. Only
    for output that is JSON and does not look inside these columns.
    """
    values = list(values)
    if values[_E] is not None:
        values[_E] = _Fragment(values[_E])
    if values[_C] is not None:
        values[_C] = _Fragment(values[_C])
    if values[_I] is not None:
        values[_I] = _Fragment(values[_I])
    if type(values[_CREATED]) is int:
        values[_CREATED] = _EPOCH + timedelta(microseconds=values[_CREATED])
    return _new_row(values)


def rows_read(qs: QuerySet) -> QuerySet:
    """``qs`` as raw export rows: tuples straight from the cursor, in
    ``EXPORT_COLUMNS`` order, for ``export_row_decode``/``export_row_wire``."""
    if connection.vendor != "postgresql":
        return qs.annotate(**_AS_TEXT).values_list(*_READ_COLUMNS)
    columns = [
        f"{name}_text" if name in _ID_COLUMNS else name for name in _READ_COLUMNS
    ]
    columns[_CREATED] = "created_at_us"
    return qs.annotate(**_AS_TEXT, **_IDS_AS_TEXT, created_at_us=_EPOCH_US).values_list(
        *columns
    )


def rows_list(qs: QuerySet, decode: RowDecoder = export_row_decode) -> list[ExportRow]:
    """Every row of ``qs`` as an ``ExportRow`` (JSON decoded unless ``decode``
    says otherwise)."""
    return [decode(values) for values in rows_read(qs)]
