import json
from datetime import UTC, date, datetime

import pytest
from django_q.models import Schedule

from audit import formats
from audit.models import AuditEvent
from audit.services import Actor
from exports import services
from exports.models import POSITION_ZERO, ExportLocation, ExportObject, ExportRun
from exports.pending import export_location_lag
from exports.selectors import export_location_cursor
from exports.services import leases, runs
from tests.exports.conftest import BUCKET, bucket_objects
from tests.factories import AuditEventFactory
from tests.spec import SPEC_EVENT_FIELDS


def _ids_in(objects: dict[str, bytes], file_format="json") -> list[str]:
    ids = []
    for key in sorted(objects):
        ids += [e["id"] for e in formats.parse(file_format, objects[key])]
    return ids


def _assert_chain(location):
    objs = list(ExportObject.objects.filter(location=location).order_by("position_to"))
    previous = POSITION_ZERO
    for obj in objs:
        assert obj.position_from == previous
        previous = obj.position_to
    assert previous == export_location_cursor(
        location=ExportLocation.objects.get(pk=location.pk)
    )


def test_create_verifies_and_encrypts_secret(make_location, aws):
    """Creating a location writes a verify-test object and records SUCCESS."""
    location = make_location()
    location.refresh_from_db()
    assert location.connection_status == "SUCCESS"
    assert location.connection_checked_at is not None
    keys = [o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("audit/verify-test-")
    assert "s3cr3t-value" not in location.secret_access_key_encrypted
    assert location.secret_access_key_encrypted


def test_verify_records_aws_error_text(make_location):
    """A missing bucket shows AWS's error as the connection status."""
    location = make_location(bucket="no-such-bucket")
    location.refresh_from_db()
    assert "NoSuchBucket" in location.connection_status


def test_run_delivers_every_event_once_in_spec_format(make_location, aws):
    """A run writes the new events as a SPEC JSON array under date partitions."""
    location = make_location()
    created = datetime(2025, 4, 25, 16, 29, 21, tzinfo=UTC)
    events = [AuditEventFactory(created_at=created) for _ in range(5)]
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.SUCCESS and run.events == 5
    objects = bucket_objects(aws)
    [(key, body)] = objects.items()
    assert key.startswith(f"audit/year=2025/month=04/day=25/{location.pk}_")
    exported = json.loads(body)
    assert [e["id"] for e in exported] == [str(e.uuid) for e in events]
    assert list(exported[0]) == list(SPEC_EVENT_FIELDS)
    assert exported[0]["created_at"] == int(created.timestamp())
    again = services.export_location_run(location_id=location.pk)
    assert again.status == ExportRun.Status.NOTHING_TO_DO
    assert len(bucket_objects(aws)) == 1
    assert list(ExportRun.objects.values_list("status", flat=True)) == ["success"]
    _assert_chain(location)


def test_runs_with_nothing_to_do_leave_no_row_but_a_check_time(make_location, aws):
    """Idle runs store no history row; the location's last check moves on."""
    location = make_location(bucket="late-bucket")
    assert location.last_checked_at is None
    services.export_location_run(location_id=location.pk)
    services.export_location_run(location_id=location.pk)
    location.refresh_from_db()
    assert not ExportRun.objects.exists()
    first_check = location.last_checked_at
    assert first_check is not None
    AuditEventFactory()
    failed = services.export_location_run(location_id=location.pk)
    aws.create_bucket(Bucket="late-bucket")
    delivered = services.export_location_run(location_id=location.pk)
    idle = services.export_location_run(location_id=location.pk)
    assert idle.status == ExportRun.Status.NOTHING_TO_DO and idle.pk is None
    history = list(ExportRun.objects.order_by("started_at", "id"))
    assert [r.pk for r in history] == [failed.pk, delivered.pk]
    assert [r.status for r in history] == ["failed", "success"]
    assert history[1].export_objects.count() == 1
    location.refresh_from_db()
    assert location.last_checked_at == idle.finished_at > first_check
    assert location.state.lease_owner == "" and location.state.lease_until is None


def test_update_from_a_stale_copy_keeps_the_cursor(make_location, aws):
    """Editing a location while a run moved its cursor does not move it back."""
    location = make_location()
    stale = ExportLocation.objects.get(pk=location.pk)
    AuditEventFactory()
    services.export_location_run(location_id=location.pk)
    services.export_location_update(
        actor=Actor.system(), location=stale, name="Renamed"
    )
    location.refresh_from_db()
    assert (
        location.name == "Renamed"
        and export_location_cursor(location=location) != POSITION_ZERO
    )
    AuditEventFactory()
    services.export_location_run(location_id=location.pk)
    assert len(bucket_objects(aws)) == 2
    _assert_chain(location)


def test_run_splits_objects_by_size(make_location, aws, settings):
    """Objects hold at most the configured number of events, with no gap."""
    settings.AUDITSITE_EXPORT_OBJECT_EVENTS = 3
    location = make_location()
    events = [AuditEventFactory() for _ in range(7)]
    services.export_location_run(location_id=location.pk)
    objects = bucket_objects(aws)
    assert len(objects) == 3
    assert _ids_in(objects) == [str(e.uuid) for e in events]
    _assert_chain(location)


def test_filters_select_events(make_location, aws, org):
    """Only events matching category, type and org filters are exported."""
    location = make_location(
        categories=["org"], event_types=["OrgUpdated"], orgs=[str(org.pk)]
    )
    wanted = AuditEventFactory(
        category="org", event_type="OrgUpdated", org_id=org.pk, org_name=org.name
    )
    AuditEventFactory(category="org", event_type="OrgUpdated")
    AuditEventFactory(category="org", event_type="OrgDeleted", org_id=org.pk)
    AuditEventFactory()
    services.export_location_run(location_id=location.pk)
    assert _ids_in(bucket_objects(aws)) == [str(wanted.uuid)]


@pytest.mark.parametrize("file_format", ["ndjson.gz", "csv"])
def test_other_formats_round_trip(make_location, aws, file_format):
    """ndjson.gz and csv objects read back to the exported events."""
    location = make_location(file_format=file_format)
    events = [AuditEventFactory(user_email="=cmd@x.example") for _ in range(3)]
    services.export_location_run(location_id=location.pk)
    objects = bucket_objects(aws)
    [key] = objects
    assert key.endswith("." + file_format)
    parsed = formats.parse(file_format, objects[key])
    assert [e["id"] for e in parsed] == [str(e.uuid) for e in events]
    if file_format == "csv":
        assert parsed[0]["user_email"] == "'=cmd@x.example"


def test_permission_error_marks_in_error_then_catches_up(make_location, aws):
    """AccessDenied-like errors mark the location; fixed, it catches up."""
    location = make_location(bucket="later-bucket")
    events = [AuditEventFactory() for _ in range(4)]
    run = services.export_location_run(location_id=location.pk)
    location.refresh_from_db()
    assert run.status == ExportRun.Status.FAILED
    assert location.in_error and "NoSuchBucket" in location.last_error
    assert export_location_cursor(location=location) == POSITION_ZERO
    aws.create_bucket(Bucket="later-bucket")
    run = services.export_location_run(location_id=location.pk)
    location.refresh_from_db()
    assert run.status == ExportRun.Status.SUCCESS
    assert not location.in_error and location.last_error == ""
    objects = bucket_objects(aws, bucket="later-bucket")
    assert _ids_in(objects) == [str(e.uuid) for e in events]


def test_crash_between_put_and_commit_rewrites_same_key(
    make_location, aws, monkeypatch, settings
):
    """A run killed after its PUT leads the next run to the same key, once."""
    settings.AUDITSITE_EXPORT_LEASE_SECONDS = 0
    location = make_location()
    first = [AuditEventFactory() for _ in range(3)]

    class Killed(BaseException):
        pass

    def die(*args, **kwargs):
        raise Killed()

    real_commit = runs._commit
    monkeypatch.setattr(runs, "_commit", die)
    with pytest.raises(Killed):
        services.export_location_run(location_id=location.pk)
    monkeypatch.setattr(runs, "_commit", real_commit)
    crashed_keys = set(bucket_objects(aws))
    assert len(crashed_keys) == 1
    later = [AuditEventFactory() for _ in range(2)]  # more events meanwhile
    services.export_location_run(location_id=location.pk)
    objects = bucket_objects(aws)
    assert crashed_keys < set(objects)
    assert _ids_in(objects) == [str(e.uuid) for e in first + later]
    _assert_chain(location)


def test_second_worker_skips_a_leased_location(make_location):
    """While one run holds the lease, another run does nothing."""
    location = make_location()
    AuditEventFactory()
    assert leases.lease_acquire(location.pk, "worker-a") is not None
    assert services.export_location_run(location_id=location.pk) is None
    assert not ExportObject.objects.exists()


def test_replay_rewrites_the_same_keys(make_location, aws, settings):
    """Replay from a date re-sends the same objects, with the same bytes."""
    settings.AUDITSITE_EXPORT_OBJECT_EVENTS = 2
    location = make_location()
    old = datetime(2025, 1, 1, tzinfo=UTC)
    new = datetime(2025, 3, 1, tzinfo=UTC)
    for created in [old, old, new, new, new]:
        AuditEventFactory(created_at=created)
    services.export_location_run(location_id=location.pk)
    before = bucket_objects(aws)
    assert len(before) == 3
    for key in before:
        aws.delete_object(Bucket=BUCKET, Key=key)
    count = services.export_location_replay(
        actor=Actor.system(), location=location, since=date(2025, 2, 1)
    )
    assert count == 2
    run = services.export_location_run(location_id=location.pk)
    assert run.replay and run.object_count == 2
    assert ExportRun.objects.get(pk=run.pk).replay
    after = bucket_objects(aws)
    assert after == {k: v for k, v in before.items() if "year=2025/month=03" in k}
    assert ExportObject.objects.filter(location=location).count() == 3
    location.refresh_from_db()
    assert location.state.replay_from == ""


def test_schedule_follows_interval(make_location):
    """Schedules are created, changed and removed with the location."""
    location = make_location(interval="EVERY_HOUR")
    name = f"export-location-{location.pk}"
    assert Schedule.objects.get(name=name).minutes == 60
    services.export_location_update(
        actor=Actor.system(), location=location, interval="CONTINUOUS"
    )
    schedules = Schedule.objects.filter(name__startswith=name)
    assert sorted(s.minutes for s in schedules) == [1, 1]
    services.export_location_update(
        actor=Actor.system(), location=location, enabled=False
    )
    assert not Schedule.objects.filter(name__startswith=name).exists()
    services.export_location_update(
        actor=Actor.system(), location=location, enabled=True
    )
    services.export_location_delete(actor=Actor.system(), location=location)
    assert not Schedule.objects.filter(name__startswith=name).exists()


def test_lag_shows_undelivered_events(make_location):
    """The lag counts undelivered events and the age of the oldest."""
    location = make_location()
    AuditEventFactory()
    AuditEventFactory()
    lag = export_location_lag(location=location)
    assert lag["pending_events"] == 2 and lag["oldest_pending_at"] is not None
    recorded = AuditEvent.objects.count()
    services.export_location_run(location_id=location.pk)
    location.refresh_from_db()
    assert export_location_lag(location=location)["pending_events"] == 0
    assert AuditEvent.objects.count() == recorded


DENIED = (
    "User: arn:aws:iam::111122223333:user/auditsite is not authorized to perform: "
    "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/auditsite-export"
)


class _Http:
    status_code = 403


def test_assumed_role_denied_marks_in_error_then_catches_up(
    make_location, aws, monkeypatch
):
    """A role we may not assume shows AWS's text; once trusted, exports catch up."""
    import boto3

    assumed: list[dict] = []
    trust = {"fixed": False}

    def deny(**kwargs):
        if trust["fixed"]:
            return None
        body = {"Error": {"Code": "AccessDenied", "Message": DENIED}}
        return _Http(), {**body, "ResponseMetadata": {"HTTPStatusCode": 403}}

    real_client = boto3.client

    def client(service, *args, **kwargs):
        made = real_client(service, *args, **kwargs)
        if service == "sts":
            made.meta.events.register(
                "provide-client-params.sts.AssumeRole",
                lambda params, **kw: assumed.append(dict(params)),
            )
            made.meta.events.register("before-call.sts.AssumeRole", deny)
        return made

    monkeypatch.setattr("boto3.client", client)
    location = make_location(
        auth_type="assumed_role",
        access_key_id="",
        secret_access_key="",
        role_arn="arn:aws:iam::123456789012:role/auditsite-export",
    )
    assert "not authorized to perform: sts:AssumeRole" in location.connection_status
    events = [AuditEventFactory() for _ in range(3)]
    run = services.export_location_run(location_id=location.pk)
    location.refresh_from_db()
    assert run.status == ExportRun.Status.FAILED
    assert location.in_error and DENIED in location.last_error
    assert export_location_cursor(location=location) == POSITION_ZERO

    trust["fixed"] = True
    run = services.export_location_run(location_id=location.pk)
    location.refresh_from_db()
    assert run.status == ExportRun.Status.SUCCESS
    assert not location.in_error
    assert _ids_in(bucket_objects(aws)) == [str(e.uuid) for e in events]
    assert {call["ExternalId"] for call in assumed} == {str(location.pk)}
    _assert_chain(location)
