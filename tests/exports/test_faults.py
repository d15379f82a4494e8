"""S3 failing over real HTTP, and a worker killed mid-run: still exactly once.

A ``FaultProxy`` (tests/exports/e2e_support.py) sits between the exporter and
moto's server and fails, delays or holds back object PUTs.
"""

import signal
import time

import pytest
from django.utils import timezone

from audit import formats
from audit.models import AuditEvent
from audit.services import Actor
from exports import services
from exports.models import POSITION_ZERO, ExportLocation, ExportObject, ExportRun
from exports.selectors import export_location_cursor
from tests.exports.conftest import BUCKET
from tests.exports.e2e_support import FaultProxy, manage_py, s3_client, stop
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.e2e


def _location(endpoint: str) -> ExportLocation:
    return services.export_location_create(
        actor=Actor.system(),
        name="Faulty",
        bucket=BUCKET,
        path_prefix="faults",
        endpoint_url=endpoint,
        access_key_id="e2e",
        secret_access_key="e2e",
        interval="EVERY_5_MINUTES",
    )


def _bucket(endpoint: str) -> dict[str, bytes]:
    client = s3_client(endpoint)
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix="faults/year=")
    return {
        item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        for item in listing.get("Contents", [])
    }


def _assert_exactly_once(location: ExportLocation, objects: dict[str, bytes]):
    """Every user and org event once across the bucket, and the records form a
    chain (the location's own operator events are not in its default filter)."""
    ids = [e["id"] for key in objects for e in formats.parse("json", objects[key])]
    customer_events = AuditEvent.objects.exclude(category="operator")
    assert sorted(ids) == sorted(
        str(u) for u in customer_events.values_list("uuid", flat=True)
    )
    records = list(
        ExportObject.objects.filter(location=location).order_by("position_to")
    )
    assert {r.key for r in records} == set(objects)
    previous = POSITION_ZERO
    for record in records:
        assert record.position_from == previous
        previous = record.position_to
    location.refresh_from_db()
    assert (
        export_location_cursor(location=location) == previous
        and location.state.planned_to == ""
    )


def test_s3_errors_and_timeouts_are_retried_without_duplicates(
    db, moto_endpoint, settings
):
    """500, 503, SlowDown and read timeouts delay the export, never duplicate it."""
    settings.AUDITSITE_EXPORT_S3_TIMEOUT = 1
    settings.AUDITSITE_EXPORT_OBJECT_EVENTS = 4
    # botocore makes 3 attempts per PUT and the service adds none: runs 1 to 4
    # each meet 3 faults and fail; run 5 gets through on its second attempt.
    faults = [500, "SlowDown", 503, "timeout", "timeout", 500, 503, "timeout"]
    faults += ["SlowDown", 500, "timeout", 503, "SlowDown"]
    with FaultProxy(moto_endpoint, faults, delay=1.5) as proxy:
        location = _location(proxy.url)
        assert location.connection_status == "SUCCESS"
        for _ in range(10):
            AuditEventFactory()
        failed = services.export_location_run(location_id=location.pk)
        assert failed.status == ExportRun.Status.FAILED
        assert "ServiceUnavailable" in failed.error and "max retries" in failed.error
        location.refresh_from_db()
        assert (
            export_location_cursor(location=location) == POSITION_ZERO
            and not location.in_error
        )
        runs = [failed]
        while runs[-1].status == ExportRun.Status.FAILED and len(runs) < 10:
            runs.append(services.export_location_run(location_id=location.pk))
        assert [r.status for r in runs] == ["failed"] * 4 + ["success"]
        assert (runs[-1].events, runs[-1].object_count) == (10, 3)
        # Every fault was served; timed-out PUTs had landed and were rewritten.
        assert not proxy.faults
        assert [what for _, what in proxy.puts].count("timeout") == 4
    location.refresh_from_db()
    assert not location.in_error and location.consecutive_failures == 0
    _assert_exactly_once(location, _bucket(moto_endpoint))


@pytest.mark.django_db(transaction=True)
def test_worker_killed_between_put_and_commit(
    transactional_db, moto_endpoint, tmp_path
):
    """A run SIGKILLed after its PUT landed is redone at once on the same key."""
    with FaultProxy(moto_endpoint, ["hold"]) as proxy:
        location = _location(proxy.url)
        first = [AuditEventFactory() for _ in range(5)]
        log = open(tmp_path / "run.log", "wb")  # noqa: SIM115
        worker = manage_py(
            "exports",
            "run",
            str(location.pk),
            env={"AUDITSITE_EXPORT_LEASE_SECONDS": "300"},
            log=log,
        )
        try:
            held = proxy.held.wait(timeout=30)
            assert held, (tmp_path / "run.log").read_text()
            stop(worker, sig=signal.SIGKILL)
        finally:
            stop(worker, sig=signal.SIGKILL)
            log.close()
            proxy.release.set()
        crashed = _bucket(moto_endpoint)
        [(key, body)] = crashed.items()  # the PUT landed...
        assert [e["id"] for e in formats.parse("json", body)] == [
            str(e.uuid) for e in first
        ]
        location.refresh_from_db()
        assert not ExportObject.objects.exists()  # ...the commit never happened
        assert (
            export_location_cursor(location=location) == POSITION_ZERO
            and location.state.planned_to
        )
        assert location.state.lease_until > timezone.now()  # the dead hold...
        later = [AuditEventFactory() for _ in range(3)]
        started = time.monotonic()
        run = services.export_location_run(location_id=location.pk)
        assert run is not None and time.monotonic() - started < 5  # ...ends now
        assert run.status == ExportRun.Status.SUCCESS
        assert not ExportRun.objects.filter(status=ExportRun.Status.RUNNING).exists()
    objects = _bucket(moto_endpoint)
    assert len(objects) == 2 and objects[key] == body  # same key, same bytes
    assert run.events == len(first) + len(later)
    _assert_exactly_once(location, objects)
