"""exports.services.runs: day partitions, crash debris."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from audit import formats
from exports import services
from exports.models import ExportLocation, ExportObject, ExportRun, ExportState
from exports.services import leases
from tests.exports.conftest import bucket_objects
from tests.factories import AuditEventFactory


def _partition_day(key: str) -> str:
    parts = dict(p.split("=") for p in key.split("/") if p.count("=") == 1)
    return f"{parts['year']}-{parts['month']}-{parts['day']}"


def test_every_object_holds_one_utc_day(make_location, aws):
    """A range spanning days becomes one object per day, under that day."""
    location = make_location()
    days = [datetime(2025, 9, d, 23, 59, 59, tzinfo=UTC) for d in (1, 2, 2, 3)]
    days.append(datetime(2025, 9, 4, 0, 0, 0, tzinfo=UTC))
    events = [AuditEventFactory(created_at=moment) for moment in days]
    run = services.export_location_run(location_id=location.pk)
    assert run.object_count == 4 and run.events == 5
    objects = bucket_objects(aws, prefix="audit/year=")
    assert len(objects) == 4
    for key, body in objects.items():
        for event in formats.parse("json", body):
            day = datetime.fromtimestamp(event["created_at"], UTC).date()
            assert _partition_day(key) == day.isoformat()
    delivered = [
        e["id"] for k in sorted(objects) for e in formats.parse("json", objects[k])
    ]
    assert sorted(delivered) == sorted(str(e.uuid) for e in events)


def test_object_name_is_a_pure_function_of_location_range_and_day(make_location):
    """Same location, range and day: same name; another day: another folder."""
    location = make_location()
    day = datetime(2025, 9, 2, tzinfo=UTC).date()
    name = services.object_name(
        location, position_from="a", position_to="b", day=day, file_format="csv"
    )
    again = services.object_name(
        location, position_from="a", position_to="b", day=day, file_format="csv"
    )
    assert name == again == f"year=2025/month=09/day=02/{location.pk}_a_b.csv"


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_next_run_closes_a_dead_workers_run_and_takes_over(make_location, aws):
    """A killed worker's lease ends at once; its `running` run is closed failed."""
    location = make_location()
    AuditEventFactory()
    dead = f"{leases.socket.gethostname()}:{_dead_pid()}:abcdef"
    ExportState.objects.filter(pk=location.pk).update(
        lease_owner=dead, lease_until=timezone.now() + timedelta(minutes=5)
    )
    stale = ExportRun.objects.create(location=location, worker=dead)
    run = services.export_location_run(location_id=location.pk)
    assert run is not None and run.status == ExportRun.Status.SUCCESS
    stale.refresh_from_db()
    assert stale.status == ExportRun.Status.FAILED and stale.finished_at
    assert f"worker {dead} stopped before finishing" in stale.error
    assert ExportObject.objects.filter(location=location).count() == 1
    state = ExportState.objects.get(pk=location.pk)
    assert state.lease_owner == "" and state.lease_until is None


def test_a_live_workers_lease_is_respected(make_location):
    """A lease whose owner still runs keeps other runs out."""
    location = make_location()
    AuditEventFactory()
    alive = f"{leases.socket.gethostname()}:{leases.os.getpid()}:abcdef"
    ExportState.objects.filter(pk=location.pk).update(
        lease_owner=alive, lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert services.export_location_run(location_id=location.pk) is None


def test_a_run_that_completes_an_hour_writes_its_digest_at_once(make_location, aws):
    """Once an hour has ended, the next run writes its digest (no hourly wait)."""
    location = make_location()
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    ExportLocation.objects.filter(pk=location.pk).update(
        created_at=hour - timedelta(hours=2)
    )
    AuditEventFactory()
    run = services.export_location_run(location_id=location.pk)
    assert run.object_count == 1
    digests = list(location.digests.order_by("hour_start"))
    assert [d.hour_start for d in digests] == [
        hour - timedelta(hours=2),
        hour - timedelta(hours=1),
    ]
    assert all(d.object_count == 0 for d in digests)  # the object is this hour's
    assert bucket_objects(aws, prefix="audit/digests/")
    services.export_location_run(location_id=location.pk)
    assert location.digests.count() == 2  # nothing more is due yet


def _open_connections() -> int:
    with connection.cursor() as cursor:
        # pg_stat_activity is a snapshot kept for the transaction (the test's).
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_a_run_leaves_no_database_connection_behind(on_postgres, make_location):
    """The delivery thread's database connection (a CSV reads the catalog
    there) is closed with the run: a worker's runs never pile up connections."""
    location = make_location(file_format="csv")
    before = _open_connections()
    for _ in range(3):
        AuditEventFactory()
        run = services.export_location_run(location_id=location.pk)
        assert run.object_count == 1
    assert _open_connections() == before
