"""Datadog, Splunk and webhook streams over real HTTP to local receivers."""

import gzip
import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor
from exports import services
from exports.destinations import datadog
from exports.models import ExportLocation, ExportObject, ExportRun, ExportState
from exports.pending import export_location_health
from tests.exports.receivers import (
    Answer,
    DatadogReceiver,
    SplunkReceiver,
    WebhookReceiver,
    documented_webhook_check,
)
from tests.factories import AuditEventFactory

SECRET = "receiver-secret-123"
RECEIVERS = {
    "datadog": DatadogReceiver,
    "splunk": SplunkReceiver,
    "webhook": WebhookReceiver,
}


@pytest.fixture(autouse=True)
def fast_http(settings):
    settings.AUDITSITE_EXPORT_HTTP_TIMEOUT = 2
    settings.AUDITSITE_EXPORT_HTTP_MAX_ATTEMPTS = 3
    settings.AUDITSITE_EXPORT_HTTP_RETRY_WAIT_MAX = 1
    settings.AUDITSITE_EXPORT_BACKOFF_SECONDS = 0


def _secret_key(kind):
    return {"datadog": "apiKey", "splunk": "token", "webhook": "secret"}[kind]


def _stream(kind, receiver, **fields):
    values = {
        "actor": Actor.system(),
        "destination": kind,
        "endpoint_url": receiver.url,
        "destination_secret": SECRET,
        "interval": "EVERY_5_MINUTES",
    }
    values.update(fields)
    return services.export_location_create(**values)


@pytest.fixture(params=sorted(RECEIVERS))
def kind(request):
    return request.param


@pytest.fixture
def receiver(kind):
    with RECEIVERS[kind](SECRET) as server:
        yield server


def _all_ids():
    """Every user and org event (what a stream takes by default)."""
    events = AuditEvent.objects.filter(category__in=["user", "org"])
    return sorted(str(u) for u in events.values_list("uuid", flat=True))


def test_verify_sends_the_vendor_test_request(db, kind, receiver):
    """Creating a stream verifies it: the receiver accepts one test request."""
    location = _stream(kind, receiver)
    assert location.connection_status == "SUCCESS"
    [request] = receiver.received
    assert receiver.violations == []
    if kind == "datadog":
        [entry] = json.loads(gzip.decompress(request.raw))
        assert entry["message"] == "auditsite verification"
    elif kind == "splunk":
        assert json.loads(request.raw)["event"]["type"] == "verification"
    else:
        assert json.loads(request.raw) == {"type": "verification"}


def test_verify_records_the_receivers_error(db, kind):
    """A receiver refusing the credentials: its own words become the status."""
    with RECEIVERS[kind]("another-secret") as receiver:
        location = _stream(kind, receiver)
    assert location.connection_status.startswith("HTTP 400 from 127.0.0.1")
    assert receiver.violations[0] in location.connection_status
    stored = ExportLocation.objects.get(pk=location.pk)
    assert stored.connection_status == location.connection_status


def test_every_event_delivered_once_in_vendor_shape(db, kind, receiver, org):
    """2,500 events: split as documented, each delivered once with its id."""
    location = _stream(kind, receiver, verify=False)
    AuditEventFactory.create_batch(2500, org_id=org.pk, org_name=org.name)
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.SUCCESS and run.events == 2500
    assert receiver.violations == []
    assert sorted(receiver.event_ids()) == _all_ids()
    counts = [len(r.records) for r in receiver.received]
    assert counts == [1000, 1000, 500]
    keys = [r.idempotency_key for r in receiver.received]
    assert len(set(keys)) == 3 and all(k.endswith(f"-{i}") for i, k in enumerate(keys))
    [obj] = ExportObject.objects.filter(location=location)
    assert obj.event_count == 2500 and obj.key.startswith("year=")
    assert ExportState.objects.get(pk=location.pk).cursor == obj.position_to
    # The ledger describes the bodies the receiver got, as sent, in order.
    sent = [r.raw for r in receiver.received]
    assert obj.request_count == 3
    assert obj.size_bytes == sum(map(len, sent)) == run.bytes
    assert obj.sha256 == hashlib.sha256(b"".join(sent)).hexdigest()


def test_http_streams_render_no_file(db, kind, receiver, org, monkeypatch):
    """An HTTP destination builds its bodies from rows: the file format of
    the location is never rendered for it."""
    from audit import formats

    def no_file(*args, **kwargs):
        raise AssertionError("a file was rendered for an HTTP destination")

    monkeypatch.setattr(formats, "render_selection", no_file)
    location = _stream(kind, receiver, verify=False)
    AuditEventFactory.create_batch(20, org_id=org.pk, org_name=org.name)
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.SUCCESS and run.events == 20
    [obj] = ExportObject.objects.filter(location=location)
    [request] = receiver.received
    assert (obj.request_count, obj.size_bytes) == (1, len(request.raw))


def test_stream_ranges_are_not_cut_by_day(db, kind, receiver, org):
    """Events of three UTC days go out as whole requests in one range (an
    HTTP receiver has no day partitions), each event once."""
    location = _stream(kind, receiver, verify=False)
    start = timezone.now().replace(hour=12) - timedelta(days=3)
    for day in range(3):
        AuditEventFactory.create_batch(
            400, org_id=org.pk, org_name=org.name, created_at=start + timedelta(day)
        )
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.SUCCESS and run.events == 1200
    assert receiver.violations == []
    assert sorted(receiver.event_ids()) == _all_ids()
    assert [len(r.records) for r in receiver.received] == [1000, 200]
    [obj] = ExportObject.objects.filter(location=location)
    assert (obj.event_count, obj.request_count) == (1200, 2)


def test_datadog_entry_fields(db, org):
    """ddsource, service, ddtags with type/category/org, ms timestamp, the event."""
    with DatadogReceiver(SECRET) as receiver:
        location = _stream(
            "datadog",
            receiver,
            destination_options={"service": "billing", "tags": ["env:prod"]},
            verify=False,
        )
        event = AuditEventFactory(
            org_id=org.pk,
            org_name=org.name,
            event_type="OrgUpdated",
            category="org",
            created_at=timezone.now().replace(microsecond=123456),
        )
        services.export_location_run(location_id=location.pk)
    [request] = receiver.received
    assert request.headers["dd-api-key"] == SECRET
    assert request.headers["content-encoding"] == "gzip"
    [entry] = request.records
    assert entry["ddsource"] == "auditsite" and entry["service"] == "billing"
    assert (
        entry["ddtags"] == f"event_type:OrgUpdated,category:org,org:{org.pk},env:prod"
    )
    assert entry["timestamp"] == round(event.created_at.timestamp() * 1000)
    assert entry["timestamp"] % 1000 == 123
    assert entry["audit"]["id"] == str(event.uuid)
    assert entry["audit"]["event_type"] == "OrgUpdated"


def test_datadog_truncates_an_entry_over_one_megabyte(db):
    """A 3 MB event arrives truncated under 1 MB, marked, never dropped."""
    with DatadogReceiver(SECRET) as receiver:
        location = _stream("datadog", receiver, verify=False)
        big = AuditEventFactory(event_data={"UserCreated": {"blob": "x" * 3_000_000}})
        small = AuditEventFactory()
        services.export_location_run(location_id=location.pk)
    assert receiver.violations == []
    entries = {e["audit"]["id"]: e for e in receiver.accepted()}
    assert set(entries) == {str(big.uuid), str(small.uuid)}
    cut = entries[str(big.uuid)]
    assert cut["audit_truncated"] == ["event_data"]
    assert cut["ddtags"].endswith(",truncated:true")
    assert cut["audit"]["event_data"].startswith('{"UserCreated":{"blob":"xxx')
    assert cut["audit"]["event_data"].endswith("…")
    size = len(json.dumps(cut, separators=(",", ":"), ensure_ascii=False).encode())
    assert 900_000 < size <= datadog.MAX_ENTRY_BYTES
    assert "audit_truncated" not in entries[str(small.uuid)]


def test_datadog_requests_stay_under_five_megabytes(db):
    """Entries of ~0.9 MB: five per request at most, each request under 5 MB."""
    with DatadogReceiver(SECRET) as receiver:
        location = _stream("datadog", receiver, verify=False)
        AuditEventFactory.create_batch(
            12, event_data={"UserCreated": {"blob": "y" * 900_000}}
        )
        services.export_location_run(location_id=location.pk)
    assert receiver.violations == []
    assert [len(r.records) for r in receiver.received] == [5, 5, 2]
    assert sorted(receiver.event_ids()) == _all_ids()


def test_splunk_event_fields(db, settings):
    """Stacked events with epoch-ms time, source, sourcetype and index."""
    with SplunkReceiver(SECRET) as receiver:
        location = _stream(
            "splunk",
            receiver,
            destination_options={"index": "audit", "sourcetype": "auditsite:event"},
            verify=False,
        )
        events = AuditEventFactory.create_batch(3)
        services.export_location_run(location_id=location.pk)
    [request] = receiver.received
    assert request.headers["authorization"] == f"Splunk {SECRET}"
    assert request.raw.count(b"\n") == 2
    first = request.records[0]
    assert first["index"] == "audit" and first["source"] == "auditsite"
    assert first["sourcetype"] == "auditsite:event"
    assert first["time"] == round(events[0].created_at.timestamp(), 3)
    assert [r["event"]["id"] for r in request.records] == [str(e.uuid) for e in events]


def test_webhook_signature_checks_with_the_readme_code(db):
    """The documented check accepts the delivery, refuses a changed body or age."""
    source, verify = documented_webhook_check()
    assert len([line for line in source.splitlines() if line.strip()]) <= 10
    with WebhookReceiver(SECRET) as receiver:
        location = _stream("webhook", receiver, verify=False)
        AuditEventFactory.create_batch(2)
        services.export_location_run(location_id=location.pk)
    [request] = receiver.received
    headers = {
        "X-Auditsite-Timestamp": request.headers["x-auditsite-timestamp"],
        "X-Auditsite-Signature": request.headers["x-auditsite-signature"],
    }
    assert verify(SECRET.encode(), headers, request.raw)
    assert not verify(SECRET.encode(), headers, request.raw + b" ")
    assert not verify(b"wrong", headers, request.raw)
    old = {
        **headers,
        "X-Auditsite-Timestamp": str(int(headers["X-Auditsite-Timestamp"]) - 600),
    }
    assert not verify(SECRET.encode(), old, request.raw)
    assert sorted(e["id"] for e in json.loads(request.raw)) == _all_ids()


def test_500_and_short_429_are_retried_within_the_run_without_duplicates(
    db, kind, receiver
):
    """A 500 and a 429 (Retry-After 1) on the way: every event once, no dup."""
    location = _stream(kind, receiver, verify=False)
    AuditEventFactory.create_batch(1500)
    receiver.answer(
        Answer(500, b'{"text":"boom"}'), Answer(429, headers={"Retry-After": "1"})
    )
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.SUCCESS
    assert [r.status for r in receiver.received][:2] == [500, 429]
    assert sorted(receiver.event_ids()) == _all_ids()  # none missing, none twice


def test_timeout_retry_may_duplicate_only_that_request(db, kind, receiver, settings):
    """The receiver keeps a request but answers too late: resent, same key."""
    # Generous against a loaded machine: the retry must be answered in time.
    settings.AUDITSITE_EXPORT_HTTP_TIMEOUT = 3
    location = _stream(kind, receiver, verify=False)
    AuditEventFactory.create_batch(1200)
    receiver.answer(Answer(receiver.ok_status, delay=6))
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.SUCCESS
    ids = receiver.event_ids()
    assert sorted(set(ids)) == _all_ids()
    first, retried = receiver.received[0], receiver.received[1]
    assert first.idempotency_key == retried.idempotency_key
    duplicates = len(ids) - len(set(ids))
    assert duplicates == len(first.records) == 1000


def test_long_retry_after_backs_off_until_then(db, kind, receiver):
    """A 429 with Retry-After 120 fails the run and holds runs until then."""
    location = _stream(kind, receiver, verify=False)
    AuditEventFactory.create_batch(5)
    receiver.answer(Answer(429, headers={"Retry-After": "120"}))
    before = timezone.now()
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.FAILED and "HTTP 429" in run.error
    state = ExportState.objects.get(pk=location.pk)
    assert before + timedelta(seconds=119) < state.not_before
    assert state.not_before < timezone.now() + timedelta(seconds=121)
    assert services.export_location_run(location_id=location.pk) is None
    assert len(receiver.received) == 1
    location.refresh_from_db()
    assert not location.in_error  # transient: not an error yet
    ExportState.objects.filter(pk=location.pk).update(
        not_before=timezone.now() - timedelta(seconds=1)
    )
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.SUCCESS
    assert sorted(receiver.event_ids()) == _all_ids()
    assert ExportState.objects.get(pk=location.pk).not_before is None


def test_backoff_doubles_with_failed_runs(db, settings):
    """No Retry-After: BACKOFF_SECONDS, then twice that, capped at the max."""
    settings.AUDITSITE_EXPORT_BACKOFF_SECONDS = 10
    settings.AUDITSITE_EXPORT_BACKOFF_MAX_SECONDS = 15
    settings.AUDITSITE_EXPORT_HTTP_MAX_ATTEMPTS = 1
    with WebhookReceiver(SECRET) as receiver:
        location = _stream("webhook", receiver, verify=False)
        AuditEventFactory()
        receiver.answer(Answer(503), Answer(503))
        for expected in (10, 15):
            start = timezone.now()
            services.export_location_run(location_id=location.pk)
            end = timezone.now()
            state = ExportState.objects.get(pk=location.pk)
            # The wait counts from the failure, which happened during the run
            # (however long a loaded machine makes the run take).
            failed_at = state.not_before - timedelta(seconds=expected)
            assert start <= failed_at <= end
            ExportState.objects.filter(pk=location.pk).update(not_before=None)


def test_403_marks_the_stream_in_error_with_the_receivers_message(db, kind, receiver):
    """A 403 is not retried: the stream is in error with the receiver's words."""
    location = _stream(kind, receiver, verify=False)
    AuditEventFactory()
    receiver.answer(Answer(403, b'{"errors": ["Forbidden: API key revoked"]}'))
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.FAILED
    assert len(receiver.received) == 1
    location.refresh_from_db()
    assert location.in_error
    assert location.last_error == (
        "HTTP 403 from 127.0.0.1: Forbidden: API key revoked"
    )
    health = export_location_health(location=location)
    assert health.state == "error" and health.text == f"error: {location.last_error}"


def test_pauses_after_n_failed_runs_and_catches_up_when_resumed(
    db, kind, receiver, settings
):
    """N failed runs: paused with an operator event; resumed: no gap."""
    from django_q.models import Schedule

    settings.AUDITSITE_EXPORT_PAUSE_AFTER = 3
    settings.AUDITSITE_EXPORT_HTTP_MAX_ATTEMPTS = 1
    location = _stream(kind, receiver, verify=False)
    assert Schedule.objects.filter(name__startswith=f"export-location-{location.pk}")
    AuditEventFactory.create_batch(30)
    receiver.answer(*[Answer(500, b'{"text":"down for maintenance"}')] * 3)
    for _ in range(3):
        run = services.export_location_run(location_id=location.pk)
        assert run.status == ExportRun.Status.FAILED
    location.refresh_from_db()
    assert not location.enabled
    assert not Schedule.objects.filter(
        name__startswith=f"export-location-{location.pk}"
    ).exists()
    paused = AuditEvent.objects.get(event_type="ExportLocationPaused")
    assert paused.category == "operator" and paused.caused_by_type == "System"
    details = paused.event_data["ExportLocationPaused"]
    assert details["location_id"] == str(location.pk)
    assert details["destination"] == kind
    assert "3 failed runs in a row" in details["reason"]
    assert "down for maintenance" in details["reason"]
    assert SECRET not in json.dumps(paused.event_data)
    assert services.export_location_run(location_id=location.pk) is None
    health = export_location_health(location=location)
    assert health.state == "paused"
    AuditEventFactory.create_batch(20)  # more arrive while paused
    services.export_location_update(
        actor=Actor.system(), location=location, enabled=True
    )
    location.refresh_from_db()
    assert location.consecutive_failures == 0
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.SUCCESS
    assert len(_all_ids()) == 50
    assert sorted(receiver.event_ids()) == _all_ids()


def test_replay_resends_a_range_with_the_same_keys(db, kind, receiver):
    """Replay from a date: the recorded range again, same idempotency keys."""
    location = _stream(kind, receiver, verify=False)
    AuditEventFactory.create_batch(3)
    services.export_location_run(location_id=location.pk)
    first = [r.idempotency_key for r in receiver.received]
    count = services.export_location_replay(
        actor=Actor.system(), location=location, since=timezone.now().date()
    )
    assert count == 1
    services.export_location_run(location_id=location.pk)
    assert [r.idempotency_key for r in receiver.received] == first * 2
    ids = receiver.event_ids()
    assert sorted(ids) == sorted(_all_ids() * 2)


def test_continuous_stream_runs_with_the_continuous_pass(db):
    """A CONTINUOUS webhook is run by export_continuous_run like S3."""
    with WebhookReceiver(SECRET) as receiver:
        _stream("webhook", receiver, interval="CONTINUOUS", verify=False)
        AuditEventFactory.create_batch(4)
        services.export_continuous_run(wait_seconds=0)
    assert sorted(receiver.event_ids()) == _all_ids()
