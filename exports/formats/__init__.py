"""Export file formats: one module per format, one registry here.

Every writer is deterministic (same events, same bytes; gzip with mtime 0)
so that a retried or replayed object overwrites its key with identical
content. A format module offers ``EXTENSION``, ``CONTENT_TYPE``,
``render(events) -> bytes`` and ``parse(data) -> list[dict]``; the events are
SPEC section 3 dicts (``exports.selectors.ExportRow.spec()``). Parquet and
OCSF slot in as further modules in ``FORMATS``.
"""

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from audit.formats import SPEC_FIELDS
from exports.formats import csv, json, ndjson

FORMATS: dict[str, ModuleType] = {"json": json, "ndjson.gz": ndjson, "csv": csv}
EXTENSIONS = {name: module.EXTENSION for name, module in FORMATS.items()}
CONTENT_TYPES = {name: module.CONTENT_TYPE for name, module in FORMATS.items()}

__all__ = ["CONTENT_TYPES", "EXTENSIONS", "FORMATS", "SPEC_FIELDS", "parse", "render"]


def _module(file_format: str) -> ModuleType:
    try:
        return FORMATS[file_format]
    except KeyError:
        raise ValueError(f"unknown export format {file_format!r}") from None


def render(file_format: str, events: Iterable[dict[str, Any]]) -> bytes:
    """The bytes of one object holding ``events`` (SPEC dicts) in a format."""
    return _module(file_format).render(events)


def parse(file_format: str, data: bytes) -> list[dict[str, Any]]:
    """Read an object back (tests, verification): a list of SPEC dicts."""
    return _module(file_format).parse(data)
