"""Splunk HTTP Event Collector (``POST <url>/services/collector/event``).

Events are stacked (one JSON object after another, newline-separated) in
requests of at most ``MAX_EVENTS`` events and ``MAX_REQUEST_BYTES`` (HEC's
old default ``max_content_length`` is 1 MB), with ``Authorization: Splunk
<token>``. An event::

    {"time": 1732345678.123, "source": "auditsite", "sourcetype": "...",
     "index": "...", "event": {<the SPEC section 3 event>}}

``time`` is the event's ``created_at`` in epoch seconds with milliseconds;
``index`` and ``sourcetype`` only when configured (``source`` defaults to
``auditsite``).
"""

from __future__ import annotations

from collections.abc import Iterator

from exports.destinations.base import Batch
from exports.destinations.http import (
    HttpDestination,
    Request,
    json_bytes,
    now_epoch,
    requests_of,
)

OPTIONS = {"index", "source", "sourcetype"}
DEFAULT_SOURCE = "auditsite"
MAX_EVENTS = 1000
MAX_REQUEST_BYTES = 1_000_000


def collector_url(location) -> str:
    return f"{location.endpoint_url.rstrip('/')}/services/collector/event"


class SplunkDestination(HttpDestination):
    """A Splunk HEC endpoint; ``destination_secret`` is the HEC token."""

    kind = "splunk"

    def _metadata(self) -> dict:
        options = self.options
        meta = {"source": options.get("source") or DEFAULT_SOURCE}
        for name in ("sourcetype", "index"):
            if options.get(name):
                meta[name] = options[name]
        return meta

    def event(self, row) -> dict:
        return {
            "time": round(row.created_at.timestamp(), 3),
            **self._metadata(),
            "event": row.spec(),
        }

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Splunk {self.secret}",
            "Content-Type": "application/json",
        }

    def requests_for(self, batch: Batch) -> Iterator[Request]:
        url, headers = collector_url(self.location), self._headers()
        encoded = (json_bytes(self.event(row)) for row in batch.rows)
        return requests_of(
            encoded,
            url=url,
            headers=headers,
            max_count=MAX_EVENTS,
            max_bytes=MAX_REQUEST_BYTES,
            body=b"\n".join,
        )

    def verification_request(self) -> Request:
        event = {
            "time": round(now_epoch(), 3),
            **self._metadata(),
            "event": {"type": "verification", "message": "auditsite verification"},
        }
        return Request(
            url=collector_url(self.location),
            body=json_bytes(event),
            headers=self._headers(),
        )
