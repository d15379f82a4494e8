"""What each test process owns, so that suites side by side never meet.

``.ci/run`` runs the SQLite and the PostgreSQL suites at the same time, and
each suite may run in pytest-xdist workers. Two of them must not pick the
same port or probe the same Redis database:

- ``worker_index()``: 0 without xdist, N in worker ``gwN``.
- ``free_port()``: a port nothing listens on. With ``AUDITSITE_TEST_PORT_BASE``
  set (``.ci/run`` sets one per suite), from this process's own block of
  ``PORTS_PER_WORKER`` ports at the base plus the worker's offset; the
  blocks lie below Linux's ephemeral range (32768 and up), where servers
  bound to port 0 land, so no other test process takes the port between
  this check and the bind. Unset, one the kernel picks, as before.
- ``redis_url()``: Redis database ``AUDITSITE_TEST_REDIS_DB`` (14 unless
  set) plus the worker index, on 127.0.0.1:6379.
"""

from __future__ import annotations

import itertools
import os
import socket

PORTS_PER_WORKER = 100
REDIS_DATABASES = 16  # Redis's default `databases`

_next_port = itertools.count()


def worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else 0


def free_port() -> int:
    """A port that can be bound now (see the module's docstring).

    In a block, each call moves on, so two calls in one process never return
    the same port, even before the first one is bound.
    """
    base = os.environ.get("AUDITSITE_TEST_PORT_BASE")
    if not base:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    start = int(base) + worker_index() * PORTS_PER_WORKER
    for _ in range(PORTS_PER_WORKER):
        port = start + next(_next_port) % PORTS_PER_WORKER
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}..{start + PORTS_PER_WORKER - 1}")


def redis_url() -> str:
    db = int(os.environ.get("AUDITSITE_TEST_REDIS_DB", "14")) + worker_index()
    assert db < REDIS_DATABASES, (
        f"Redis database {db} does not exist: lower AUDITSITE_TEST_REDIS_DB "
        "or run fewer workers"
    )
    return f"redis://127.0.0.1:6379/{db}"
