"""The local receiver of bench/streams.py and bench/continuous.py.

A ``ThreadingHTTPServer`` that checks what each vendor documents (Datadog:
``DD-API-KEY``, gunzip, a JSON array of at most 1,000 entries; Splunk HEC:
``Authorization: Splunk``, stacked events; webhook: the HMAC signature) and
counts the records it accepted (``GET /``). The benches run it in a process
of its own (their ``--serve PORT``).
"""

from __future__ import annotations

import gzip
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common import RECEIVER_SECRET


def entries(path: str, headers, raw: bytes) -> int | None:
    """How many records a request holds if it passes its vendor's checks."""
    if path == "/api/v2/logs":  # Datadog: DD-API-KEY, gzip'd JSON array
        if headers.get("DD-API-KEY") != RECEIVER_SECRET:
            return None
        records = json.loads(gzip.decompress(raw))
        ok = isinstance(records, list) and len(records) <= 1000
        return len(records) if ok else None
    if path == "/services/collector/event":  # Splunk HEC: stacked objects
        if headers.get("Authorization") != f"Splunk {RECEIVER_SECRET}":
            return None
        events = [json.loads(line) for line in raw.split(b"\n")]
        return len(events) if all("event" in e for e in events) else None
    if path == "/hook":  # webhook: HMAC over timestamp.body, a JSON array
        timestamp = headers.get("X-Auditsite-Timestamp", "")
        mac = hmac.new(
            RECEIVER_SECRET.encode(), f"{timestamp}.".encode() + raw, "sha256"
        )
        given = headers.get("X-Auditsite-Signature", "").removeprefix("sha256=")
        if not hmac.compare_digest(mac.hexdigest(), given):
            return None
        return len(json.loads(raw))
    return None


class Intake(BaseHTTPRequestHandler):
    """Answers each vendor's request (403 if it fails their checks) and
    ``GET /`` with the records and requests accepted so far."""

    protocol_version = "HTTP/1.1"
    accepted = 0
    requests = 0
    lock = threading.Lock()

    def log_message(self, format, *args):
        pass

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        cls = type(self)
        self._answer(
            200,
            json.dumps({"entries": cls.accepted, "requests": cls.requests}).encode(),
        )

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        count = entries(self.path, self.headers, raw)
        if count is None:
            self._answer(403, b'{"errors":["refused"]}')
            return
        with self.lock:
            type(self).accepted += count
            type(self).requests += 1
        self._answer(202 if self.path == "/api/v2/logs" else 200, b"{}")


def serve(port: int, *, no_delay: bool = False) -> None:
    """Serve the receiver on 127.0.0.1:``port`` until killed. ``no_delay``
    answers in one segment: an answer's headers and body are two writes,
    and with Nagle's algorithm on the second waits for the client's delayed
    ACK, 40 ms a request that no vendor's intake adds."""
    Intake.disable_nagle_algorithm = no_delay  # this process serves nothing else
    server = ThreadingHTTPServer(("127.0.0.1", port), Intake)
    server.daemon_threads = True
    server.serve_forever()
