"""What every format module shares: the ``Format`` record and its text helpers.

A format module states one ``FORMAT``: its name, label, extension, content
type, writer and reader. A writer takes typed event rows (``audit.spec.SpecRow``
or ``exports.selectors.ExportRow``: the SPEC columns, the category, ``spec()``)
and yields the file chunk by chunk (``str`` for text, ``bytes`` for binary
formats). It is pure: no database, no clock, no settings. What it needs
beyond the rows (the catalog's description templates, the writer version)
comes in as arguments, read once by the caller, so the same rows with the
same arguments always give the same bytes.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from audit.spec import spec_from_event

# What a writer is given besides the rows: event type -> description
# template (``None`` for a type the catalog does not know).
Templates = Mapping[str, str | None]
Writer = Callable[..., Iterator[str | bytes]]
Reader = Callable[[bytes], list[dict[str, Any]]]

# A spreadsheet evaluates a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Format:
    """One file format: how it is named, stored, written and read back.

    ``write(rows, *, version, templates)`` yields the file's chunks;
    ``read(data)`` returns its records as dicts (tests, verification).
    ``org_page`` is the button text where the org page offers it (``None``:
    export locations only). ``templates_from`` is the writer version from
    which the format describes events in words and so needs the catalog's
    templates (``None``: never).
    """

    name: str
    label: str
    extension: str
    content_type: str
    write: Writer
    read: Reader
    org_page: str | None = None
    templates_from: int | None = None
    # The writer version from which the JSON columns may come as the
    # database's JSON text (``orjson.Fragment``, ``exports.rows``): a writer
    # that only embeds them in JSON (``None``: never, it looks inside).
    json_text_from: int | None = None

    def needs_templates(self, version: int) -> bool:
        """Whether the writer of ``version`` reads description templates."""
        return self.templates_from is not None and version >= self.templates_from

    def takes_json_text(self, version: int) -> bool:
        """Whether the writer of ``version`` takes the JSON columns as text."""
        return self.json_text_from is not None and version >= self.json_text_from


def json_text(value: Any) -> str:
    """Compact, deterministic JSON text (JSON formats, JSON fields in CSV/Parquet)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_lines(records: Iterable[dict[str, Any]]) -> str:
    """One compact JSON text per line."""
    return "".join(json_text(record) + "\n" for record in records)


def read_json_lines(text: str) -> list[dict[str, Any]]:
    """The records of newline-delimited JSON.

    Split at ``\n`` only: ``str.splitlines`` would also split inside a
    string holding U+2028 or U+2029, which JSON writes unescaped.
    """
    return [json.loads(line) for line in text.split("\n") if line]


def json_lines_gzip_format(
    *,
    name: str,
    label: str,
    extension: str,
    record: Callable[[Any], dict],
    write: Writer | None = None,
    json_text_from: int | None = None,
) -> Format:
    """A format of one JSON ``record(row)`` per line, gzip'd in one piece
    (``ndjson.gz``, ``ocsf``): the writer takes no templates (``write``, when
    given, is one that also knows writer versions)."""

    def write_lines(
        rows: Iterable[Any], *, version: int, templates: Templates | None = None
    ) -> Iterator[bytes]:
        yield gzip_text(json_lines(record(row) for row in rows))

    def read(data: bytes) -> list[dict[str, Any]]:
        return read_json_lines(gunzip_text(data))

    return Format(
        name=name,
        label=label,
        extension=extension,
        content_type="application/gzip",
        write=write or write_lines,
        read=read,
        json_text_from=json_text_from,
    )


def event_as_spec(event: Any, *, precise_time: bool = False) -> dict[str, Any]:
    """One event (a model instance) in the SPEC section 3 format."""
    return spec_from_event(event, precise_time=precise_time)


def gzip_text(text: str) -> bytes:
    """UTF-8 ``text`` gzip'd with no name and mtime 0: the same text, the same bytes."""
    return gzip_bytes(text.encode())


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzip'd (level 6) with no name and mtime 0: same data, same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6
    ) as stream:
        stream.write(data)
    return buffer.getvalue()


def gunzip_text(data: bytes) -> str:
    """The text of a gzip'd object."""
    return gzip.decompress(data).decode()


def csv_safe(value: Any) -> str:
    """A cell value a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_cell(value: Any) -> str:
    """One CSV cell: JSON for objects, empty for null, formula-neutralised."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json_text(value)
    return csv_safe(value)
