"""The destination interface the run engine knows (S3 today; Datadog, Splunk
and webhooks implement it next).

The engine cuts a range of events, renders it into ``Batch`` es and hands
each one to ``Destination.deliver``; it never retries on its own (the vendor
client may, e.g. botocore): a failed delivery fails the run and the next run
re-cuts the same range. A destination that is ``exactly_once`` (an object
store with deterministic keys) gets the same key and bytes again; one that is
not receives the same ``idempotency_key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Batch:
    """One unit of delivery: an object (S3) or a request (HTTP destinations).

    ``name`` is the destination-independent name (partition path and file
    name); ``idempotency_key`` is a pure function of the location and the
    range, so a retried delivery is recognisable.
    """

    name: str
    body: bytes
    content_type: str
    event_count: int
    idempotency_key: str


@dataclass(frozen=True)
class DeliveryResult:
    """How one delivery ended; ``error`` is the receiver's own text."""

    ok: bool
    key: str = ""
    error: str = ""
    # False when a human has to act (permissions, configuration).
    retryable: bool = True

    @classmethod
    def delivered(cls, key: str) -> DeliveryResult:
        return cls(ok=True, key=key)

    @classmethod
    def failed(cls, error: str, *, retryable: bool) -> DeliveryResult:
        return cls(ok=False, error=error, retryable=retryable)


@runtime_checkable
class Destination(Protocol):
    """What the engine needs from a destination."""

    # True when re-delivering a batch overwrites it (same key, same bytes).
    exactly_once: bool

    def key_for(self, name: str) -> str:
        """Where a batch named ``name`` lands (object stores: prefix + name)."""

    def verify(self) -> DeliveryResult:
        """Send a test delivery; ``ok`` or the receiver's error text."""

    def deliver(self, batch: Batch) -> DeliveryResult:
        """Deliver one batch (the vendor client's own retries included)."""
