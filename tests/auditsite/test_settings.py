"""Settings come from the environment; REDIS_URL moves the broker and cache to Redis."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workers import redis_url

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import django
django.setup()
from django.core.cache import cache
from django_q.brokers import get_broker
from django_q.tasks import async_task
broker = get_broker()
broker.purge_queue()
task_id = async_task("math.floor", 2.5, broker=broker)
received = broker.dequeue()
broker.purge_queue()
cache.set("auditsite-probe", "shared", 30)
print(type(broker).__name__, len(received or []), cache.get("auditsite-probe"))
"""


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def _probe(**env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
            "DJANGO_SETTINGS_MODULE": "auditsite.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_redis_url_makes_workers_share_a_redis_broker_and_cache():
    """With REDIS_URL, tasks go through Redis and the cache lives there too."""
    # A database of this suite's own: another suite or worker may probe at once.
    assert _probe(REDIS_URL=redis_url()) == "Redis 1 shared"


def test_without_redis_url_the_broker_is_the_database(tmp_path):
    """By default django-q2 queues tasks in the database (no server needed)."""
    database = f"sqlite:///{tmp_path / 'probe.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database},
        check=True,
        timeout=120,
    )
    assert _probe(DATABASE_URL=database).startswith("ORM 1")


def test_a_refused_request_logs_one_line_and_a_server_error_its_traceback():
    """The console filter drops tracebacks of 4xx request logs, keeps 5xx ones."""
    import logging
    import sys

    from auditsite.log_filters import NoTracebackForClientErrors

    try:
        raise PermissionError("no")
    except PermissionError:
        exc_info = sys.exc_info()
    records = {}
    for status in (403, 500):
        record = logging.LogRecord(
            "django.request", logging.WARNING, __file__, 1, "x", (), exc_info
        )
        record.status_code = status
        assert NoTracebackForClientErrors().filter(record)
        records[status] = logging.Formatter().format(record)
    assert "Traceback" not in records[403]
    assert "Traceback" in records[500]


def test_a_number_setting_that_is_not_a_number_stops_with_its_name(monkeypatch):
    """AUDITSITE_EXPORT_PAUSE_AFTER=x is refused naming the variable; unset: default."""
    from django.core.exceptions import ImproperlyConfigured

    from auditsite.env import env_float, env_int

    monkeypatch.delenv("AUDITSITE_EXPORT_PAUSE_AFTER", raising=False)
    assert env_int("AUDITSITE_EXPORT_PAUSE_AFTER", 50) == 50
    assert env_float("AUDITSITE_EXPORT_PAUSE_AFTER", 10) == 10.0
    monkeypatch.setenv("AUDITSITE_EXPORT_PAUSE_AFTER", "x")
    with pytest.raises(ImproperlyConfigured, match="AUDITSITE_EXPORT_PAUSE_AFTER"):
        env_int("AUDITSITE_EXPORT_PAUSE_AFTER", 50)
    monkeypatch.setenv("AUDITSITE_EXPORT_PAUSE_AFTER", "7")
    assert env_int("AUDITSITE_EXPORT_PAUSE_AFTER", 50) == 7
