"""Datadog Logs: the HTTP intake v2 (``POST <site>/api/v2/logs``).

One entry per event, gzip'd JSON arrays of at most ``MAX_ENTRIES`` entries
and ``MAX_REQUEST_BYTES`` uncompressed, the API key in ``DD-API-KEY``
(Datadog's documented limits: 1,000 entries, 5 MB per request, 1 MB per
log). An entry::

    {"ddsource": "auditsite", "service": "auditsite", "hostname": "...",
     "ddtags": "event_type:UserLoggedIn,category:user,org:<org id>,<tags>",
     "message": "UserLoggedIn: user ada@example.com, org Acme",
     "timestamp": 1732345678123,        # the event's created_at, Unix ms
     "audit": {<the SPEC section 3 event: id, user_id, ..., created_at>}}

An entry over ``MAX_ENTRY_BYTES`` is truncated, never dropped: its largest
free-form field (``event_data``, then ``caused_by_metadata``,
``impersonator_metadata``, ``caused_by_user_agent``) becomes the start of its
JSON text ending in ``…`` until the entry fits, ``audit_truncated`` lists
those fields and the tag ``truncated:true`` is added.
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.models import EventType
from exports.destinations.base import Batch
from exports.destinations.http import (
    HttpDestination,
    Request,
    gzipped,
    json_array,
    json_bytes,
    json_decoded,
    now_epoch,
    requests_of,
)

SITES = {
    "US1": "https://http-intake.logs.datadoghq.com",
    "US3": "https://http-intake.logs.us3.datadoghq.com",
    "US5": "https://http-intake.logs.us5.datadoghq.com",
    "EU": "https://http-intake.logs.datadoghq.eu",
    "AP1": "https://http-intake.logs.ap1.datadoghq.com",
    "AP2": "https://http-intake.logs.ap2.datadoghq.com",
    "US1-FED": "https://http-intake.logs.ddog-gov.com",
}
DEFAULT_SERVICE = "auditsite"
OPTIONS = {"service", "tags", "hostname", "site"}
MAX_ENTRIES = 1000
MAX_REQUEST_BYTES = 5_000_000
# Datadog truncates a log over 1 MB itself; we truncate first, documented.
MAX_ENTRY_BYTES = 1_000_000
TRUNCATABLE = (
    "event_data",
    "caused_by_metadata",
    "impersonator_metadata",
    "caused_by_user_agent",
)


def intake_url(location) -> str:
    """``endpointUrl`` (any URL), else the configured site's intake (US1)."""
    base = (
        location.endpoint_url
        or SITES[(location.destination_options or {}).get("site") or "US1"]
    )
    return f"{base.rstrip('/')}/api/v2/logs"


def truncate(entry: dict, *, limit: int = MAX_ENTRY_BYTES) -> dict:
    """The entry cut down to ``limit`` bytes of JSON (see the module docstring)."""
    size = len(json_bytes(entry))
    if size <= limit:
        return entry
    event = dict(entry["audit"])
    cut: list[str] = []
    entry = {**entry, "audit": event, "audit_truncated": cut}
    entry["ddtags"] = f"{entry['ddtags']},truncated:true"
    by_size = sorted(
        (f for f in TRUNCATABLE if event.get(f) is not None),
        key=lambda f: len(json_bytes(event[f])),
        reverse=True,
    )
    for name in by_size:
        size = len(json_bytes(entry))
        if size <= limit:
            break
        # Compact JSON text, whatever the database's spacing was.
        text = json_bytes(json_decoded(event[name])).decode()
        # Drop the excess plus room for the quotes, escapes and the marker.
        keep = max(0, len(text) - (size - limit) - 64)
        while True:
            event[name] = text[:keep] + "…"
            if name not in cut:
                cut.append(name)
            if len(json_bytes(entry)) <= limit or keep == 0:
                break
            keep = max(0, keep - max(64, (len(json_bytes(entry)) - limit) * 2))
    return entry


class DatadogDestination(HttpDestination):
    """A Datadog site's log intake; ``destination_secret`` is the API key."""

    kind = "datadog"

    def __init__(self, location):
        super().__init__(location)
        # Read here, on the run's own thread: deliveries run on a pool thread
        # that has no business with the database.
        self.categories = dict(EventType.objects.values_list("event_type", "category"))
        self.service = self.options.get("service") or DEFAULT_SERVICE
        self.custom_tags = ",".join(str(t) for t in self.options.get("tags") or [])
        self.hostname = self.options.get("hostname") or ""

    def entry(self, row, *, category: str) -> dict:
        """The log entry of one event, truncated to ``MAX_ENTRY_BYTES``."""
        return truncate(self._entry(row, category=category))

    def encoded_entry(self, row) -> bytes:
        """``entry`` as JSON bytes, encoding it once when it fits (nearly always)."""
        entry = self._entry(row, category=self.categories.get(row.event_type, ""))
        encoded = json_bytes(entry)
        if len(encoded) <= MAX_ENTRY_BYTES:
            return encoded
        return json_bytes(truncate(entry))

    def _entry(self, row, *, category: str) -> dict:
        org = row.org_id or "none"
        tags = f"event_type:{row.event_type},category:{category},org:{org}"
        entry = {
            "ddsource": "auditsite",
            "service": self.service,
            "ddtags": f"{tags},{self.custom_tags}" if self.custom_tags else tags,
            "message": (
                f"{row.event_type}: user {row.user_email or '-'}, "
                f"org {row.org_name or '-'}"
            ),
            "timestamp": round(row.created_at.timestamp() * 1000),
            "audit": row.spec(),
        }
        if self.hostname:
            entry["hostname"] = self.hostname
        return entry

    def _headers(self) -> dict[str, str]:
        return {
            "DD-API-KEY": self.secret,
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        }

    def requests_for(self, batch: Batch) -> Iterator[Request]:
        encoded = (self.encoded_entry(row) for row in batch.rows)
        url, headers = intake_url(self.location), self._headers()
        return requests_of(
            encoded,
            url=url,
            headers=headers,
            max_count=MAX_ENTRIES,
            max_bytes=MAX_REQUEST_BYTES - 2,
            body=json_array,
            gzip=True,  # on the wire thread, beside the next request's shaping
        )

    def verification_request(self) -> Request:
        entry = {
            "ddsource": "auditsite",
            "service": self.service,
            "ddtags": "auditsite:verification",
            "message": "auditsite verification",
            "timestamp": round(now_epoch() * 1000),
        }
        return Request(
            url=intake_url(self.location),
            body=gzipped(json_bytes([entry])),
            headers=self._headers(),
            event_count=0,
        )
