"""Signed webhooks: an HTTPS POST of a JSON array of SPEC section 3 events.

Headers (Stripe/GitHub style)::

    X-Auditsite-Timestamp: 1732345678
    X-Auditsite-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>
    Idempotency-Key: <range key>-<request index>

The receiver recomputes the HMAC over the timestamp, a dot and the raw body,
compares in constant time and refuses old timestamps (docs/destinations.md
has the ten lines). Requests hold at most ``MAX_EVENTS`` events and
``MAX_REQUEST_BYTES``. Verification posts the signed object
``{"type": "verification"}``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

from exports.destinations.base import Batch
from exports.destinations.http import (
    HttpDestination,
    Request,
    json_array,
    json_bytes,
    now_epoch,
    requests_of,
)

OPTIONS: set[str] = set()
TIMESTAMP_HEADER = "X-Auditsite-Timestamp"
SIGNATURE_HEADER = "X-Auditsite-Signature"
MAX_EVENTS = 1000
MAX_REQUEST_BYTES = 5_000_000


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp.body``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class WebhookDestination(HttpDestination):
    """Any HTTPS endpoint; ``destination_secret`` is the HMAC secret."""

    kind = "webhook"

    def signed(self, request: Request, *, idempotency_key: str) -> Request:
        request = super().signed(request, idempotency_key=idempotency_key)
        timestamp = str(int(now_epoch()))
        return Request(
            url=request.url,
            body=request.body,
            headers={
                **request.headers,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(self.secret, timestamp, request.body),
            },
            event_count=request.event_count,
        )

    def requests_for(self, batch: Batch) -> Iterator[Request]:
        encoded = (json_bytes(row.spec()) for row in batch.rows)
        return requests_of(
            encoded,
            url=self.location.endpoint_url,
            headers={"Content-Type": "application/json"},
            max_count=MAX_EVENTS,
            max_bytes=MAX_REQUEST_BYTES - 2,
            body=json_array,
        )

    def verification_request(self) -> Request:
        return Request(
            url=self.location.endpoint_url,
            body=json_bytes({"type": "verification"}),
            headers={"Content-Type": "application/json"},
        )
