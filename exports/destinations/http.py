"""What the HTTP destinations (Datadog, Splunk HEC, webhooks) share: one module
that imports httpx.

``HttpDestination`` turns a ``Batch`` into requests (each vendor module says
how: ``requests_for``), sends them in order and classifies the answers:

- 2xx: delivered;
- 408, 429, 5xx, timeouts and connection errors: retried here up to
  ``AUDITSITE_EXPORT_HTTP_MAX_ATTEMPTS`` times (waiting the receiver's
  ``Retry-After`` when it is at most ``AUDITSITE_EXPORT_HTTP_RETRY_WAIT_MAX``
  seconds, else an exponential pause), then a retryable failure that carries
  the ``Retry-After`` to the engine, which stores it as
  ``ExportState.not_before``;
- any other answer (400, 401, 403, 404, 413, a redirect): a failure a human has
  to fix, with the receiver's own message;
- an address the outbound guard refuses (``destinations.guard``, under the
  client's connections): a failure a human has to fix.

Redirects are never followed, and what a receiver says is kept as its status
and at most 200 characters of plain text (``base.receiver_text``).

Every request carries ``Idempotency-Key: <range key>-<request index>``: the
same on every delivery of one range, so a receiver can drop a retried copy.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson
from django.conf import settings
from isal import igzip

from exports.crypto import secret_decrypt
from exports.destinations.base import (
    RECEIVER_TEXT_LIMIT,
    Batch,
    DeliveryResult,
    receiver_text,
)
from exports.destinations.guard import DestinationRefused, guarded_backend

if TYPE_CHECKING:
    import httpx

# httpx (about 0.4 s to import, more on a busy machine) is imported by the
# functions that send: a command or process that never streams does not pay.

USER_AGENT = "auditsite-export/1"
# Statuses a later attempt may not get: rate limits and server faults.
RETRYABLE_STATUSES = {408, 425, 429, 500, 502, 503, 504}

_client_lock = threading.Lock()
_client: httpx.Client | None = None


def client() -> httpx.Client:
    """The process's HTTP client: one connection pool for every destination."""
    global _client
    with _client_lock:
        if _client is None:
            import httpx

            limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
            # TCP_NODELAY: a request's headers and body are two writes; with
            # Nagle's algorithm the body waits for the receiver's ACK.
            nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            transport = httpx.HTTPTransport(limits=limits, socket_options=nodelay)
            # httpx has no option for httpcore's network backend: every
            # connection of the pool goes through the outbound guard.
            transport._pool._network_backend = guarded_backend()
            _client = httpx.Client(
                follow_redirects=False,
                # No proxy from the environment: it would connect on our
                # behalf, out of the guard's sight.
                trust_env=False,
                headers={"User-Agent": USER_AGENT},
                transport=transport,
            )
        return _client


@dataclass(frozen=True)
class Request:
    """One POST: ``body`` as sent (gzip'd when ``headers`` say so), or, with
    ``gzip``, still to be gzip'd when it goes on the wire (``compressed``)."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    event_count: int = 0
    gzip: bool = False

    def compressed(self) -> Request:
        """This request with its body as sent."""
        if not self.gzip:
            return self
        return replace(self, body=gzipped(self.body), gzip=False)


def gzipped(body: bytes) -> bytes:
    """``body`` gzip'd by ISA-L at its level 1, chosen by measurement
    (BENCHMARKS.md, *Streams*: on a real body of 1,000 Datadog entries zlib's
    level 1 costs most of a stream's CPU; ISA-L writes the same gzip format,
    smaller and several times faster). ``mtime=0``: the same body, the same
    bytes."""
    return igzip.compress(body, compresslevel=1, mtime=0)


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, as every HTTP destination sends it (orjson: several
    times faster than the standard library, and the same bytes as
    ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``)."""
    return orjson.dumps(value)


def json_decoded(value: Any) -> Any:
    """``value`` with the database's JSON text (``orjson.Fragment``, see
    ``exports.rows``) decoded: for the rare code that looks inside it."""
    if not isinstance(value, orjson.Fragment):
        return value
    text = orjson.dumps(value)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # beyond orjson (an integer over 64 bits)
        return json.loads(text)


def chunked(
    items: Iterable[bytes], *, max_count: int, max_bytes: int, separator: int
) -> Iterator[list[bytes]]:
    """Consecutive groups of encoded items within a count and a byte budget.

    ``separator`` is the bytes each item costs on top of its own (a comma, a
    newline). An item bigger than the budget on its own goes alone (the
    vendor modules keep items under the budget first).
    """
    group: list[bytes] = []
    size = 0
    for item in items:
        cost = len(item) + separator
        if group and (len(group) >= max_count or size + cost > max_bytes):
            yield group
            group, size = [], 0
        group.append(item)
        size += cost
    if group:
        yield group


def json_array(group: list[bytes]) -> bytes:
    """Encoded JSON values as one JSON array (2 bytes of brackets)."""
    return b"[" + b",".join(group) + b"]"


def requests_of(
    encoded: Iterable[bytes],
    *,
    url: str,
    headers: dict[str, str],
    max_count: int,
    max_bytes: int,
    body: Callable[[list[bytes]], bytes],
    gzip: bool = False,
) -> Iterator[Request]:
    """One request per group of encoded items within the vendor's limits,
    each built only when the one before it is on its way.

    ``body`` frames a group (a JSON array, lines); ``max_bytes`` leaves room
    for the framing, and each item costs one separator byte on top.
    """
    for group in chunked(
        encoded, max_count=max_count, max_bytes=max_bytes, separator=1
    ):
        yield Request(
            url=url,
            body=body(group),
            headers=headers,
            event_count=len(group),
            gzip=gzip,
        )


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A ``Retry-After`` header in seconds (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def receiver_message(response: httpx.Response, *, note: str = "") -> str:
    """``HTTP 403 from host: <the receiver's own words>``: at most 200 plain
    characters of them (``note`` included), tags stripped."""
    text = response.text.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        # Splunk: {"text": ..., "code": n}; Datadog: {"errors": [...]}.
        if data.get("text"):
            text = str(data["text"])
        elif isinstance(data.get("errors"), list) and data["errors"]:
            parts = []
            for error in data["errors"]:
                if isinstance(error, dict):
                    parts.append(
                        " ".join(
                            str(error[k]) for k in ("title", "detail") if error.get(k)
                        )
                    )
                else:
                    parts.append(str(error))
            text = "; ".join(p for p in parts if p) or text
        elif data.get("message") or data.get("error"):
            text = str(data.get("message") or data.get("error"))
    limit = RECEIVER_TEXT_LIMIT - len(note)
    text = receiver_text(text or response.reason_phrase, limit=limit) + note
    host = response.request.url.host if response.request else ""
    return f"HTTP {response.status_code} from {host}: {text}"


def classify(response: httpx.Response) -> DeliveryResult:
    """A receiver's answer as a ``DeliveryResult`` (see the module docstring)."""
    status = response.status_code
    if 200 <= status < 300:
        return DeliveryResult.delivered("")
    note = ""
    if 300 <= status < 400:
        target = receiver_text(response.headers.get("Location", "?"), limit=80)
        note = f" (redirect to {target} not followed)"
    message = receiver_message(response, note=note)
    if status in RETRYABLE_STATUSES or status >= 500:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        return DeliveryResult.failed(
            message, retryable=True, retry_after=wait if wait is not None else 0.0
        )
    return DeliveryResult.failed(message, retryable=False)


def send(request: Request) -> DeliveryResult:
    """POST one request, retrying transient failures (see the module docstring)."""
    attempts = max(1, settings.AUDITSITE_EXPORT_HTTP_MAX_ATTEMPTS)
    wait_max = settings.AUDITSITE_EXPORT_HTTP_RETRY_WAIT_MAX
    timeout = settings.AUDITSITE_EXPORT_HTTP_TIMEOUT
    import httpx

    result = DeliveryResult.failed("not sent", retryable=True, retry_after=0.0)
    for attempt in range(attempts):
        try:
            response = client().post(
                request.url,
                content=request.body,
                headers=request.headers,
                timeout=timeout,
            )
        except DestinationRefused as exc:
            return DeliveryResult.failed(
                f"{urlsplit(request.url).hostname}: {exc}", retryable=False
            )
        except httpx.TimeoutException as exc:
            result = DeliveryResult.failed(
                f"no answer from {urlsplit(request.url).hostname} within "
                f"{timeout:g} s ({type(exc).__name__})",
                retryable=True,
                retry_after=0.0,
            )
        except httpx.HTTPError as exc:
            result = DeliveryResult.failed(
                f"cannot reach {urlsplit(request.url).hostname}: {exc}",
                retryable=True,
                retry_after=0.0,
            )
        else:
            result = classify(response)
        if result.ok or not result.retryable or attempt == attempts - 1:
            return result
        pause = result.retry_after or min(wait_max, 0.25 * 2**attempt)
        if pause > wait_max:
            return result  # the receiver wants a longer pause: the next run's
        time.sleep(pause)
    return result


def now_epoch() -> float:
    """Now in Unix seconds (one place, so tests can pin it)."""
    return time.time()


class HttpDestination:
    """Base of the HTTP destinations: at least once, with idempotency keys.

    A subclass sets ``kind`` and implements ``requests_for`` (the batch's
    requests without the common headers) and ``verification_request``.
    """

    exactly_once = False
    # Request bodies are built from the rows: no file is rendered.
    wants_file = False
    kind = "http"

    def __init__(self, location):
        self.location = location

    @property
    def secret(self) -> str:
        """The API key, token or HMAC secret, decrypted for this call only."""
        return secret_decrypt(self.location.destination_secret_encrypted)

    @property
    def options(self) -> dict:
        return self.location.destination_options or {}

    def key_for(self, name: str) -> str:
        """The ledger name of a range: HTTP receivers have no keys of their own."""
        return name

    def requests_for(self, batch: Batch) -> Iterator[Request]:
        raise NotImplementedError

    def verification_request(self) -> Request:
        raise NotImplementedError

    def signed(self, request: Request, *, idempotency_key: str) -> Request:
        """The request with the common headers (a subclass may add a signature)."""
        return Request(
            url=request.url,
            body=request.body,
            headers={**request.headers, "Idempotency-Key": idempotency_key},
            event_count=request.event_count,
        )

    def on_the_wire(self, request: Request, *, idempotency_key: str) -> Request:
        """The request exactly as it is sent: compressed, then signed."""
        return self.signed(request.compressed(), idempotency_key=idempotency_key)

    def deliver(self, batch: Batch) -> DeliveryResult:
        return self.deliver_to_key(self.key_for(batch.name), batch)

    def deliver_to_key(self, key: str, batch: Batch) -> DeliveryResult:
        """Send every request of the batch in order; the first failure ends it.

        The result counts the requests, the bytes of their bodies as sent and
        their sha256 one after another (what the ledger records).
        """
        digest = hashlib.sha256()
        size = count = 0
        failed = threading.Event()

        def send_packed(packing: Future[Request]) -> tuple[bytes, DeliveryResult]:
            request = packing.result()
            if failed.is_set():  # an earlier request failed: this one stays
                return request.body, DeliveryResult.failed("not sent", retryable=True)
            result = send(request)
            if not result.ok:
                failed.set()
            return request.body, result

        def settled(sending: Future[tuple[bytes, DeliveryResult]]) -> DeliveryResult:
            nonlocal size, count
            body, result = sending.result()
            if result.ok:
                digest.update(body)
                size += len(body)
                count += 1
            return result

        # Three requests in hand, each stage on its own thread, in order:
        # this thread shapes request k+2 while the packer gzips and signs
        # k+1 and the wire thread POSTs k over the client's keep-alive
        # connection (gzip and the socket release the GIL), so our Python,
        # the compression and the receiver's work overlap. One request on
        # the wire at a time; after a failure nothing behind it is sent.
        packer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="http-pack")
        wire = ThreadPoolExecutor(max_workers=1, thread_name_prefix="http-send")
        in_hand: list[Future[tuple[bytes, DeliveryResult]]] = []
        try:
            for index, request in enumerate(self.requests_for(batch)):
                if len(in_hand) == 2 and not (result := settled(in_hand.pop(0))).ok:
                    return result
                packing = packer.submit(
                    self.on_the_wire,
                    request,
                    idempotency_key=f"{batch.idempotency_key}-{index}",
                )
                in_hand.append(wire.submit(send_packed, packing))
            while in_hand:
                if not (result := settled(in_hand.pop(0))).ok:
                    return result
        finally:
            failed.set()  # whatever is still queued is not sent
            packer.shutdown(wait=True)
            wire.shutdown(wait=True)
        return DeliveryResult.delivered(
            key, requests=count, size_bytes=size, sha256=digest.hexdigest()
        )

    def verify(self) -> DeliveryResult:
        """Send the vendor's test request; ``ok`` or the receiver's message."""
        key = f"verify-{int(now_epoch())}"
        result = send(self.signed(self.verification_request(), idempotency_key=key))
        return DeliveryResult.delivered(key) if result.ok else result
