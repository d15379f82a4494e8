"""The destination interface the run engine knows: S3, Datadog, Splunk, webhooks.

The engine cuts a range of events into a ``Batch`` and hands it to
``Destination.deliver``; it never retries on its own (the vendor client may:
botocore, or ``destinations.http``): a failed delivery fails the run and the
next run re-cuts the same range.

A destination asks for the rendering it sends: one that ``wants_file`` (an
object store) gets the range rendered in the location's file format as
``Batch.body``; the others (the HTTP destinations) get ``Batch.rows`` only
and build their request bodies from them, no file is rendered. Either way
the ``DeliveryResult`` says what went on the wire (``requests``, ``size_bytes``,
``sha256`` over the bodies in order) and that is what the ledger records.

A destination that is ``exactly_once`` (an object store with deterministic
keys) gets the same key and bytes again; one that is not (the HTTP
destinations) sends the same bodies with the same idempotency keys again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from django.utils.html import strip_tags

# What a receiver says is kept as at most this many characters of plain text
# (SPEC 12): it is shown in the admin, the API and run history, and a
# receiver is not trusted to write into them.
RECEIVER_TEXT_LIMIT = 200
# Script and style blocks are code, not what the receiver meant to say.
_SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Batch:
    """One range to deliver: an object (S3) or some requests (HTTP destinations).

    ``name`` is the destination-independent name (partition path and file
    name); ``idempotency_key`` is a pure function of the location and the
    range, so a retried delivery is recognisable.
    """

    name: str
    # The rendered file; empty for a destination that does not want one.
    body: bytes
    content_type: str
    event_count: int
    idempotency_key: str
    # The range's rows (exports.selectors.ExportRow): HTTP destinations shape
    # their own requests from them (Datadog entries, Splunk events, webhooks).
    rows: tuple = ()


@dataclass(frozen=True)
class DeliveryResult:
    """How one delivery ended; ``error`` is the receiver's own text."""

    ok: bool
    key: str = ""
    error: str = ""
    # False when a human has to act (permissions, configuration).
    retryable: bool = True
    # Seconds the next run should wait at least (a receiver's Retry-After; 0:
    # the engine's own backoff only). None: no backoff (botocore already
    # retried S3 with its own).
    retry_after: float | None = None
    # What went on the wire (the ledger records it): requests made (retries
    # of one request not counted), the bytes of their bodies as sent (gzip'd
    # when sent gzip'd) and the sha256 of those bodies one after another.
    requests: int = 0
    size_bytes: int = 0
    sha256: str = ""

    @classmethod
    def delivered(
        cls, key: str, *, requests: int = 0, size_bytes: int = 0, sha256: str = ""
    ) -> DeliveryResult:
        return cls(
            ok=True, key=key, requests=requests, size_bytes=size_bytes, sha256=sha256
        )

    @classmethod
    def failed(
        cls, error: str, *, retryable: bool, retry_after: float | None = None
    ) -> DeliveryResult:
        return cls(ok=False, error=error, retryable=retryable, retry_after=retry_after)


def receiver_text(text: str, *, limit: int = RECEIVER_TEXT_LIMIT) -> str:
    """A receiver's answer as plain text of at most ``limit`` characters.

    Tags are stripped and whitespace folded; a longer text is cut, ending in
    an ellipsis within the limit.
    """
    # Tags become spaces (</h1><p> separates words), then whatever is left
    # of a broken tag goes too.
    text = _TAGS.sub(" ", _SCRIPTS.sub(" ", text or ""))
    plain = " ".join(strip_tags(text).split())
    if len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return plain


@runtime_checkable
class Destination(Protocol):
    """What the engine needs from a destination."""

    # True when re-delivering a batch overwrites it (same key, same bytes).
    exactly_once: bool
    # True when the destination sends the range as a file (``Batch.body``);
    # False: it builds its own bodies from ``Batch.rows``.
    wants_file: bool

    def key_for(self, name: str) -> str:
        """Where a batch named ``name`` lands (object stores: prefix + name)."""

    def verify(self) -> DeliveryResult:
        """Send a test delivery; ``ok`` or the receiver's error text."""

    def deliver(self, batch: Batch) -> DeliveryResult:
        """Deliver one batch (the vendor client's own retries included)."""

    def deliver_to_key(self, key: str, batch: Batch) -> DeliveryResult:
        """Deliver a replayed batch under the key recorded for it."""
