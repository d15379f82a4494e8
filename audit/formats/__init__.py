"""The file formats, stated once: json, ndjson.gz, csv, parquet, ocsf.

One module per format (``audit.formats.json`` ...), each with one ``FORMAT``
(name, label, extension, content type, writer, reader: ``audit.formats.base``).
The org page's exports, the background customer exports and the export
locations all write through this registry; the model's choices, the org
page's buttons and the file names derive from it.

Every writer is pure and deterministic (same rows, same arguments, same
bytes; gzip with mtime 0, Parquet with fixed writer settings and no metadata
of its own), so that a retried or replayed object overwrites its key with
identical content. What a writer needs beyond the rows comes in as
arguments: the writer version and, for a format that describes events
(``csv``), the catalog's description templates, which an export location
records with each range it cuts (``exports.services.runs``).

``FORMAT_VERSION`` is recorded in the selection of every new range
(``exports.selectors.export_selection``). A writer whose output changes
bumps it and keeps its old output for the older versions, so that a re-cut
or replay of a range cut before the change writes the bytes it wrote then
(a range recorded with no version is version 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from audit.formats import csv, json, ndjson, ocsf, parquet
from audit.formats.base import (
    Format,
    Templates,
    csv_cell,
    csv_safe,
    event_as_spec,
    json_text,
)

# 2: csv files carry the one CSV column set (SPEC fields, category,
# description), as the org page's CSV does; parquet and ocsf start here.
# 3: ndjson.gz is written with orjson, its JSON columns as the database's
# text (audit.formats.ndjson).
FORMAT_VERSION = 3

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        json.FORMAT,
        ndjson.FORMAT,
        csv.FORMAT,
        parquet.FORMAT,
        ocsf.FORMAT,
    )  # fmt: skip
}
# (name, label) for model and form choices.
CHOICES: list[tuple[str, str]] = [(f.name, f.label) for f in FORMATS.values()]
# What the org page offers: (name, button text).
ORG_PAGE_FORMATS: list[tuple[str, str]] = [
    (f.name, f.org_page) for f in FORMATS.values() if f.org_page
]
EXTENSIONS = {name: f.extension for name, f in FORMATS.items()}
CONTENT_TYPES = {name: f.content_type for name, f in FORMATS.items()}

__all__ = [
    "CHOICES",
    "CONTENT_TYPES",
    "EXTENSIONS",
    "FORMATS",
    "FORMAT_VERSION",
    "ORG_PAGE_FORMATS",
    "Format",
    "Templates",
    "chunks",
    "csv_cell",
    "csv_safe",
    "event_as_spec",
    "format_for",
    "json_text",
    "parse",
    "render",
    "render_selection",
]


def format_for(name: str) -> Format:
    """The format called ``name``; ``ValueError`` for an unknown one."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown file format {name!r}") from None


def chunks(
    name: str,
    rows: Iterable[Any],
    *,
    version: int = FORMAT_VERSION,
    templates: Templates | None = None,
) -> Iterator[str | bytes]:
    """The file of ``rows`` in format ``name``, chunk by chunk (for streaming)."""
    return format_for(name).write(rows, version=version, templates=templates)


def render(
    name: str,
    rows: Iterable[Any],
    *,
    version: int = FORMAT_VERSION,
    templates: Templates | None = None,
) -> bytes:
    """The bytes of one file holding ``rows`` in format ``name``, as of ``version``."""
    parts = list(chunks(name, rows, version=version, templates=templates))
    if parts and isinstance(parts[0], str):
        return "".join(parts).encode()  # one encode, not one per event
    return b"".join(parts)


def render_selection(selection: dict, rows: Iterable[Any]) -> bytes:
    """The bytes of one object of a range cut with ``selection``.

    The format, the writer version and the description templates come from
    the recorded selection, so a re-cut or replay writes what the first run
    wrote.
    """
    return render(
        selection["format"],
        rows,
        version=selection.get("format_version", 1),
        templates=selection.get("templates"),
    )


def parse(name: str, data: bytes) -> list[dict[str, Any]]:
    """Read a file back (tests, verification): a list of dicts."""
    return format_for(name).read(data)
