"""Export file formats: one module per format, one registry here.

Every writer is deterministic (same events, same bytes; gzip with mtime 0,
Parquet with fixed writer settings and no metadata of its own) so that a
retried or replayed object overwrites its key with identical content. A
format module offers ``EXTENSION``, ``CONTENT_TYPE``,
``render(rows, *, version) -> bytes`` and ``parse(data) -> list[dict]``; the
rows are typed event rows (``exports.selectors.ExportRow``: the SPEC columns,
the category, ``spec()``).

``FORMAT_VERSION`` is recorded in the selection of every new range
(``exports.selectors.export_selection``). A writer whose output changes
bumps it and keeps its old output for the older versions, so that a re-cut
or replay of a range cut before the change writes the bytes it wrote then
(a range recorded with no version is version 1).
"""

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from exports.formats import csv, json, ndjson, ocsf, parquet

# 2: csv objects carry the one CSV column set (SPEC fields, category,
# description), as the org page's CSV does; parquet and ocsf start here.
FORMAT_VERSION = 2

FORMATS: dict[str, ModuleType] = {
    "json": json,
    "ndjson.gz": ndjson,
    "csv": csv,
    "parquet": parquet,
    "ocsf": ocsf,
}
EXTENSIONS = {name: module.EXTENSION for name, module in FORMATS.items()}
CONTENT_TYPES = {name: module.CONTENT_TYPE for name, module in FORMATS.items()}

__all__ = [
    "CONTENT_TYPES",
    "EXTENSIONS",
    "FORMATS",
    "FORMAT_VERSION",
    "parse",
    "render",
    "render_selection",
]


def _module(file_format: str) -> ModuleType:
    try:
        return FORMATS[file_format]
    except KeyError:
        raise ValueError(f"unknown export format {file_format!r}") from None


def render(
    file_format: str, rows: Iterable[Any], *, version: int = FORMAT_VERSION
) -> bytes:
    """The bytes of one object holding ``rows`` in a format, as of ``version``."""
    return _module(file_format).render(rows, version=version)


def render_selection(selection: dict, rows: Iterable[Any]) -> bytes:
    """The bytes of one object of a range cut with ``selection``.

    The format and the format version come from the recorded selection, so a
    re-cut or replay writes what the first run wrote.
    """
    return render(selection["format"], rows, version=selection.get("format_version", 1))


def parse(file_format: str, data: bytes) -> list[dict[str, Any]]:
    """Read an object back (tests, verification): a list of dicts."""
    return _module(file_format).parse(data)
