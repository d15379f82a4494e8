"""Event ingestion: lean validation and one bulk insert per batch.

The REST API's hot path. DRF serializers validate a few thousand objects a
second; a batch of 1,000 events must cost milliseconds, so validation here
is plain Python over the parsed JSON with a fixed number of queries per
batch (catalog, users, orgs, already-stored ids), and the insert is one
PostgreSQL ``COPY`` (``bulk_create`` elsewhere) in one transaction.

Two rooms: ``validate`` (pure: each item -> a row or errors, with
``values`` reading each sent value) and ``store`` (the reads a batch needs,
the insert, the race with a concurrent request).

A batch is all or nothing: any invalid item raises :class:`IngestRejected`
with every error found, and nothing is written.

Idempotency: a client-given ``id`` is a retry token. An item whose id is
already stored is not stored again and is reported in ``already_stored``;
the first write wins, even if the retry's body differs (comparing bodies
would cost a read of every stored event and could not be made exact for
defaults such as ``created_at``).
"""

from audit.ingest.store import (
    COLUMNS,
    IngestRejected,
    IngestResult,
    events_copy,
    events_ingest,
    known_event_types,
    max_future_skew,
)
from audit.ingest.validate import (
    ACCEPTED_FIELDS,
    CAUSED_BY_TYPES,
    MAX_BATCH_ITEMS,
    MAX_BODY_BYTES,
    IngestError,
)

__all__ = [
    "ACCEPTED_FIELDS",
    "CAUSED_BY_TYPES",
    "COLUMNS",
    "MAX_BATCH_ITEMS",
    "MAX_BODY_BYTES",
    "IngestError",
    "IngestRejected",
    "IngestResult",
    "events_copy",
    "events_ingest",
    "known_event_types",
    "max_future_skew",
]
