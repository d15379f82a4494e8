"""Export file formats: SPEC JSON array, gzip'd NDJSON, CSV.

Every writer is deterministic (same events, same bytes; gzip with mtime 0)
so that a retried or replayed object overwrites its key with identical
content.
"""

import csv
import gzip
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

# The columns an export reads, in SPEC section 3 order plus what keys need.
EXPORT_COLUMNS = (
    "uuid",
    "user_id",
    "user_email",
    "org_id",
    "org_name",
    "event_type",
    "event_data",
    "created_at",
    "caused_by_type",
    "caused_by_id",
    "caused_by_metadata",
    "caused_by_source_ip",
    "caused_by_user_agent",
    "impersonator_id",
    "impersonator_metadata",
    "txid",
    "seq",
)
SPEC_FIELDS = (
    "id",
    "user_id",
    "user_email",
    "org_id",
    "org_name",
    "event_type",
    "event_data",
    "created_at",
    "caused_by_type",
    "caused_by_id",
    "caused_by_metadata",
    "caused_by_source_ip",
    "caused_by_user_agent",
    "impersonator_id",
    "impersonator_metadata",
)
EXTENSIONS = {"json": "json", "ndjson.gz": "ndjson.gz", "csv": "csv"}
CONTENT_TYPES = {
    "json": "application/json",
    "ndjson.gz": "application/gzip",
    "csv": "text/csv; charset=utf-8",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spec_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """The SPEC section 3 dict of one ``EXPORT_COLUMNS`` row."""
    (
        uuid,
        user_id,
        user_email,
        org_id,
        org_name,
        event_type,
        event_data,
        created_at,
        caused_by_type,
        caused_by_id,
        caused_by_metadata,
        source_ip,
        user_agent,
        impersonator_id,
        impersonator_metadata,
        _txid,
        _seq,
    ) = row
    return {
        "id": str(uuid),
        "user_id": str(user_id) if user_id else None,
        "user_email": user_email or None,
        "org_id": str(org_id) if org_id else None,
        "org_name": org_name or None,
        "event_type": event_type,
        "event_data": event_data,
        "created_at": int(created_at.timestamp()),
        "caused_by_type": caused_by_type,
        "caused_by_id": caused_by_id or None,
        "caused_by_metadata": caused_by_metadata,
        "caused_by_source_ip": source_ip or None,
        "caused_by_user_agent": user_agent or None,
        "impersonator_id": impersonator_id or None,
        "impersonator_metadata": impersonator_metadata,
    }


def event_as_spec(event) -> dict[str, Any]:
    """The SPEC section 3 dict of one ``AuditEvent``."""
    return spec_from_row([getattr(event, c) for c in EXPORT_COLUMNS])


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = _dumps(value)
    value = str(value)
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def render(file_format: str, events: Iterable[dict[str, Any]]) -> bytes:
    """The bytes of one object holding ``events`` (SPEC dicts) in a format."""
    if file_format == "json":
        return ("[" + ",".join(_dumps(e) for e in events) + "]").encode()
    if file_format == "ndjson.gz":
        body = "".join(_dumps(e) + "\n" for e in events).encode()
        buffer = io.BytesIO()
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6
        ) as stream:
            stream.write(body)
        return buffer.getvalue()
    if file_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(SPEC_FIELDS)
        for event in events:
            writer.writerow([_csv_cell(event[f]) for f in SPEC_FIELDS])
        return out.getvalue().encode()
    raise ValueError(f"unknown export format {file_format!r}")


def parse(file_format: str, data: bytes) -> list[dict[str, Any]]:
    """Read an object back (tests, verification): a list of SPEC dicts.

    CSV cells come back as strings.
    """
    if file_format == "json":
        return json.loads(data)
    if file_format == "ndjson.gz":
        text = gzip.decompress(data).decode()
        return [json.loads(line) for line in text.splitlines() if line]
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(data.decode())))
    raise ValueError(f"unknown export format {file_format!r}")
