"""Parquet: the SPEC section 3 fields as typed columns (SPEC section 9).

``created_at`` is a UTC timestamp with microseconds, ids are strings, the JSON
fields are JSON text, the other fields strings (null when empty). One row
group per 10,000 events, so an S3 object of up to that many events is one row
group. The ``year``/``month``/``day`` partitions are in the object's path
only: DuckDB, Athena and Spark add them as columns from it, so the file does
not carry columns of those names.

The bytes are a pure function of the events (and of the pinned pyarrow
release): no key-value metadata (``store_schema=False`` leaves out the
Arrow schema blob), no write timestamps, fixed compression and page
settings. Parquet's footer also names the writer (``created_by``:
``parquet-cpp-arrow version X``), which pyarrow does not let us set; so a
pyarrow upgrade may change the bytes of a replayed object, and
``tests/exports/test_formats.py`` pins a digest that makes such an
upgrade visible before it ships.

pyarrow (about 0.1 s to import, several times that on a busy machine) is
imported when a Parquet file is first written or read, not with the module:
every command imports the format registry, few write Parquet.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import UTC
from functools import cache
from typing import TYPE_CHECKING, Any

from audit.formats.base import Format, Templates, json_text
from audit.spec import SPEC, Kind

if TYPE_CHECKING:
    import pyarrow as pa

ROW_GROUP_SIZE = 10_000


@cache
def schema() -> pa.Schema:
    """The Arrow schema of the SPEC fields (built once, on first use)."""
    import pyarrow as pa

    types = {
        Kind.ID: pa.string(),
        Kind.TEXT: pa.string(),
        Kind.IP: pa.string(),
        Kind.JSON: pa.string(),
        Kind.TIME: pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([pa.field(f.name, types[f.kind]) for f in SPEC])


# Fixed writer settings: any change here changes the bytes of every object.
_WRITER_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "store_schema": False,
    "data_page_version": "1.0",
}


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _json(value: Any) -> str | None:
    return None if value is None else json_text(value)


def _time(value: Any) -> Any:
    return value.astimezone(UTC)


_CONVERT = {
    Kind.ID: _text,
    Kind.TEXT: _text,
    Kind.IP: _text,
    Kind.JSON: _json,
    Kind.TIME: _time,
}
_COLUMNS = tuple((f.column, _CONVERT[f.kind]) for f in SPEC)


def _table(events: list[Any]) -> pa.Table:
    import pyarrow as pa

    columns = [
        pa.array([convert(getattr(e, column)) for e in events], type=arrow_type)
        for (column, convert), arrow_type in zip(_COLUMNS, schema().types, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=schema())


class _Sink(io.RawIOBase):
    """A write-only file that hands out what was written since the last drain."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def write(
    rows: Iterable[Any], *, version: int, templates: Templates | None = None
) -> Iterator[bytes]:
    """A Parquet file of ``rows``, one row group at a time (``version``,
    ``templates``: unused); memory holds one row group."""
    import pyarrow.parquet as pq

    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema(), **_WRITER_OPTIONS)
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == ROW_GROUP_SIZE:
            writer.write_table(_table(batch), row_group_size=ROW_GROUP_SIZE)
            batch = []
            yield sink.drain()
    if batch:
        writer.write_table(_table(batch), row_group_size=ROW_GROUP_SIZE)
    writer.close()
    yield sink.drain()


def read(data: bytes) -> list[dict[str, Any]]:
    """The rows of a Parquet file as dicts (``created_at`` an aware datetime)."""
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data)).to_pylist()


FORMAT = Format(
    name="parquet",
    label="Parquet",
    extension="parquet",
    content_type="application/vnd.apache.parquet",
    write=write,
    read=read,
    org_page="Parquet",
)
