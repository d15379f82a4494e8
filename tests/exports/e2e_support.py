"""Real processes and real HTTP for the end-to-end export tests.

- ``database_url()``: the test database as a ``DATABASE_URL`` a subprocess can
  use. On PostgreSQL that is pytest-django's ``test_<name>`` database; on
  SQLite the root conftest puts the test database in a file when e2e tests are
  collected (pytest-django's default is in memory, which no other process can
  open). With ``transaction=True`` every row the test writes is committed, so
  the subprocess sees it.
- ``manage_py()``: start ``manage.py ...`` in its own process group, so that
  stopping it (``stop()``) also stops qcluster's worker processes.
- ``FaultProxy``: a threaded HTTP proxy in front of moto's server that fails,
  delays or holds back the responses to the first object PUTs.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

import boto3
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"aws_access_key_id": "e2e", "aws_secret_access_key": "e2e"}


def database_url() -> str:
    """The test database (already created by pytest-django) as a URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        assert not name.startswith(("file:", ":memory:")), (
            "the SQLite test database must be a file for e2e tests"
        )
        return f"sqlite:///{name}"
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def manage_py(*args: str, env: dict[str, str] | None = None, log=None):
    """``manage.py args`` on the test database, in a new process group."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    full_env.update(
        {
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 10) -> None:
    """Stop a ``manage_py`` process, then whatever is left of its process group."""
    if process.poll() is None:
        try:
            process.send_signal(sig)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # children left behind, if any
    except ProcessLookupError:
        pass
    process.wait(timeout=timeout)


def s3_client(endpoint_url: str):
    return boto3.client(
        "s3", region_name="us-east-1", endpoint_url=endpoint_url, **CREDENTIALS
    )


def wait_for(predicate, *, timeout: float, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy (or time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class FaultProxy:
    """HTTP proxy to moto's server that misbehaves on export object PUTs.

    ``faults`` is consumed one item per PUT of an object whose key contains
    ``/year=`` (verify-test objects pass through):
    ``500``/``503`` answer that status with an S3 error body without
    forwarding; ``"SlowDown"`` answers 503 SlowDown; ``"timeout"`` forwards
    the PUT (the object lands) and then answers too late for the client's read
    timeout; ``"hold"`` forwards the PUT, sets ``held`` and keeps the answer
    back until ``release`` is set (the test kills the worker meanwhile).
    """

    def __init__(self, upstream: str, faults: list, delay: float = 2.0):
        self.upstream = upstream.removeprefix("http://")
        self.faults = list(faults)
        self.delay = delay
        self.held = threading.Event()
        self.release = threading.Event()
        self.puts: list[tuple[str, str]] = []  # (key path, what happened)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self) -> bytes:
                length = self.headers.get("Content-Length")
                if length is not None:
                    return self.rfile.read(int(length))
                if "chunked" in self.headers.get("Transfer-Encoding", ""):
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b""):
                                pass
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                return b""

            def _forward(self, body: bytes):
                conn = http.client.HTTPConnection(proxy.upstream, timeout=30)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in {"transfer-encoding", "connection"}
                }
                headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                conn.close()
                return response.status, response.getheaders(), data

            def _reply(self, status: int, headers, data: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in {
                        "transfer-encoding",
                        "connection",
                        "content-length",
                        "server",
                        "date",
                    }:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _s3_error(self, status: int, code: str) -> None:
                body = (
                    f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}'
                    f"</Code><Message>injected {code}</Message></Error>"
                ).encode()
                self._reply(status, [("Content-Type", "application/xml")], body)

            def _handle(self) -> None:
                body = self._body()
                fault = None
                if self.command == "PUT" and "/year=" in unquote(self.path):
                    with proxy._lock:
                        fault = proxy.faults.pop(0) if proxy.faults else None
                        proxy.puts.append((self.path, str(fault or "ok")))
                if fault in (500, 503):
                    code = "InternalError" if fault == 500 else "ServiceUnavailable"
                    self._s3_error(fault, code)
                    return
                if fault == "SlowDown":
                    self._s3_error(503, "SlowDown")
                    return
                status, headers, data = self._forward(body)
                if fault == "timeout":
                    time.sleep(proxy.delay)
                elif fault == "hold":
                    proxy.held.set()
                    proxy.release.wait(timeout=60)
                try:
                    self._reply(status, headers, data)
                except OSError:
                    pass  # the client is gone (timed out, or killed)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever)
        self._thread.daemon = True

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
