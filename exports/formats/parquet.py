"""``parquet``: typed columns (``audit.formats.parquet`` writes them).

The org page's Parquet export and this format are the same writer; one
object is one file of at most ``AUDITSITE_EXPORT_OBJECT_EVENTS`` events,
one row group per 10,000 of them.
"""

from collections.abc import Iterable
from typing import Any

from audit.formats import parquet

EXTENSION = parquet.EXTENSION
CONTENT_TYPE = parquet.CONTENT_TYPE
parse = parquet.parse


def render(rows: Iterable[Any], *, version: int) -> bytes:
    """The Parquet file of ``rows`` (``version``: unused so far)."""
    return parquet.render(rows)
