"""Small local receivers for the HTTP destinations, over real HTTP.

Each one is a ``ThreadingHTTPServer`` on 127.0.0.1 port 0 in a thread that
checks every request the way its vendor documents it and records it:

- ``DatadogReceiver``: ``POST /api/v2/logs``, ``DD-API-KEY``, ``Content-Encoding:
  gzip``, a JSON array of at most 1,000 entries and 5 MB uncompressed, each
  entry at most 1 MB with ``ddsource``, ``service``, ``ddtags``, ``message``
  and ``timestamp``; answers 202 like the intake.
- ``SplunkReceiver``: ``POST /services/collector/event``, ``Authorization:
  Splunk <token>``, stacked JSON events each with ``time`` and ``event``;
  answers ``{"text": "Success", "code": 0}``.
- ``WebhookReceiver``: a JSON array (or the verification object) whose
  signature the documented check (docs/destinations.md) accepts.

A request that breaks the vendor's rules is answered 400 and listed in
``violations``. ``answer(...)`` queues scripted answers (a status with
headers and body, or a delay longer than the client's timeout) for the next
requests; after the queue, requests are accepted.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DESTINATIONS_DOC = Path(__file__).resolve().parents[2] / "docs" / "destinations.md"


def documented_webhook_check():
    """The receiver-side signature check exactly as docs/destinations.md shows it."""
    text = DESTINATIONS_DOC.read_text()
    match = re.search(
        r"```python\n(import hashlib.*?def verify_auditsite_signature.*?)```",
        text,
        re.S,
    )
    assert match, "docs/destinations.md has no webhook check"
    namespace: dict = {}
    exec(compile(match.group(1), "docs/destinations.md", "exec"), namespace)
    return match.group(1), namespace["verify_auditsite_signature"]


@dataclass
class Answer:
    """A scripted answer: ``status`` with ``headers``/``body``, after ``delay`` s."""

    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict
    raw: bytes
    records: list
    status: int
    idempotency_key: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet test output
        pass

    def do_POST(self):
        receiver: Receiver = self.server.receiver
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = receiver.next_answer()
        records: list = []
        status = answer.status
        body = answer.body
        problem = receiver.check(self.path, headers, raw)
        if problem:
            receiver.violations.append(problem)
            status, body = 400, json.dumps({"errors": [problem]}).encode()
        elif 200 <= status < 300:
            records = receiver.records(raw, headers)
            body = body or receiver.accepted_body
        with receiver.lock:
            receiver.received.append(
                Received(
                    path=self.path,
                    headers=headers,
                    raw=raw,
                    records=records,
                    status=status,
                    idempotency_key=headers.get("idempotency-key", ""),
                )
            )
        if answer.delay:
            time.sleep(answer.delay)
        try:
            self.send_response(status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left


class Receiver:
    """Base: a server in a thread with scripted answers and recorded requests."""

    accepted_body = b"{}"

    def __init__(self, secret: str):
        self.secret = secret
        self.lock = threading.Lock()
        self.script: deque[Answer] = deque()
        self.received: list[Received] = []
        self.violations: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.receiver = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def next_answer(self) -> Answer:
        with self.lock:
            return self.script.popleft() if self.script else Answer(self.ok_status)

    ok_status = 200

    def check(self, path: str, headers: dict, raw: bytes) -> str:
        raise NotImplementedError

    def records(self, raw: bytes, headers: dict) -> list:
        raise NotImplementedError

    def accepted(self) -> list:
        """Every record of every request answered 2xx, in arrival order."""
        return [
            r for req in self.received if 200 <= req.status < 300 for r in req.records
        ]

    def event_ids(self) -> list[str]:
        raise NotImplementedError


class DatadogReceiver(Receiver):
    ok_status = 202
    max_entries = 1000
    max_payload = 5 * 1000 * 1000
    max_entry = 1000 * 1000

    def _entries(self, raw: bytes) -> list:
        return json.loads(gzip.decompress(raw))

    def check(self, path, headers, raw):
        if path != "/api/v2/logs":
            return f"wrong path {path}"
        if headers.get("dd-api-key") != self.secret:
            return "Forbidden: invalid DD-API-KEY"
        if headers.get("content-encoding") != "gzip":
            return "body not gzip'd"
        if headers.get("content-type") != "application/json":
            return "content type not application/json"
        body = gzip.decompress(raw)
        if len(body) > self.max_payload:
            return f"payload of {len(body)} bytes over 5 MB"
        entries = json.loads(body)
        if not isinstance(entries, list) or len(entries) > self.max_entries:
            return "not a JSON array of at most 1000 entries"
        for entry in entries:
            size = len(
                json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()
            )
            if size > self.max_entry:
                return f"entry of {size} bytes over 1 MB"
            for name in ("ddsource", "service", "ddtags", "message", "timestamp"):
                if name not in entry:
                    return f"entry without {name}"
            if entry["ddsource"] != "auditsite":
                return "ddsource is not auditsite"
        return ""

    def records(self, raw, headers):
        return self._entries(raw)

    def event_ids(self):
        return [e["audit"]["id"] for e in self.accepted() if "audit" in e]


class SplunkReceiver(Receiver):
    accepted_body = b'{"text":"Success","code":0}'

    def _events(self, raw: bytes) -> list:
        decoder = json.JSONDecoder()
        text = raw.decode()
        events, index = [], 0
        while index < len(text):
            while index < len(text) and text[index].isspace():
                index += 1
            if index >= len(text):
                break
            event, index = decoder.raw_decode(text, index)
            events.append(event)
        return events

    def check(self, path, headers, raw):
        if path != "/services/collector/event":
            return f"wrong path {path}"
        if headers.get("authorization") != f"Splunk {self.secret}":
            return "Invalid token"
        try:
            events = self._events(raw)
        except ValueError as exc:
            return f"not stacked JSON events: {exc}"
        for event in events:
            if "event" not in event or not isinstance(event.get("time"), int | float):
                return "event without event or numeric time"
        return ""

    def records(self, raw, headers):
        return self._events(raw)

    def event_ids(self):
        return [e["event"]["id"] for e in self.accepted() if "id" in e["event"]]


class WebhookReceiver(Receiver):
    def __init__(self, secret: str):
        super().__init__(secret)
        _, self.verify = documented_webhook_check()

    def check(self, path, headers, raw):
        if headers.get("content-type") != "application/json":
            return "content type not application/json"
        signed = {
            "X-Auditsite-Timestamp": headers.get("x-auditsite-timestamp", "0"),
            "X-Auditsite-Signature": headers.get("x-auditsite-signature", ""),
        }
        if not self.verify(self.secret.encode(), signed, raw):
            return "bad signature"
        return ""

    def records(self, raw, headers):
        body = json.loads(raw)
        return body if isinstance(body, list) else [body]

    def event_ids(self):
        return [e["id"] for e in self.accepted() if "id" in e]
