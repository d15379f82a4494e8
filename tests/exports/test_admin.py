import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent, EventType
from audit.services import Actor
from exports import services
from exports.models import (
    ExportLocation,
    ExportObject,
    ExportRun,
    ExportState,
    position_encode,
)
from exports.selectors import events_matching
from tests.exports.conftest import BUCKET, bucket_objects
from tests.factories import AuditEventFactory

ADD = "/admin/exports/exportlocation/add/"
CHANGELIST = "/admin/exports/exportlocation/"


def _form(**overrides):
    data = {
        "name": "Acme",
        "bucket": BUCKET,
        "region": "us-east-1",
        "path_prefix": "audit",
        "auth_type": "access_key",
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": "admin-secret",
        "interval": "EVERY_DAY",
        "file_format": "json",
        "enabled": "on",
        "runs-TOTAL_FORMS": "0",
        "runs-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _change_url(location):
    return f"/admin/exports/exportlocation/{location.pk}/change/"


@pytest.fixture
def custom_type(db):
    return EventType.objects.create(
        event_type="InvoicePaid",
        name="Invoice Paid",
        category="org",
        template="{org} paid an invoice",
    )


def test_add_form_stores_chosen_filters_and_exports_only_them(
    staff_client, aws, org, other_org, custom_type
):
    """Ticked categories, catalog types and orgs are stored as lists and used."""
    response = staff_client.post(
        ADD,
        _form(
            categories=["org"],
            event_types=["OrgUpdated", "InvoicePaid"],
            orgs=[str(org.pk)],
        ),
    )
    assert response.status_code == 302, response.content[:3000]
    location = ExportLocation.objects.get()
    assert location.connection_status == "SUCCESS"
    assert location.categories == ["org"]
    assert sorted(location.event_types) == ["InvoicePaid", "OrgUpdated"]
    assert location.orgs == [str(org.pk)]
    wanted = AuditEventFactory(category="org", event_type="InvoicePaid", org_id=org.pk)
    AuditEventFactory(category="org", event_type="InvoicePaid", org_id=other_org.pk)
    AuditEventFactory(category="org", event_type="OrgDeleted", org_id=org.pk)
    services.export_location_run(location_id=location.pk)
    [body] = bucket_objects(aws, prefix="audit/year=").values()
    assert str(wanted.uuid).encode() in body and body.count(b'"id"') == 1


def test_add_form_offers_the_catalog_and_orgs(staff_client, org, custom_type):
    """The add page lists built-in and custom types, orgs and the fieldsets."""
    page = staff_client.get(ADD).content.decode()
    for legend in [
        "Destination",
        "Authentication",
        "What to export",
        "Schedule and format",
    ]:
        assert f">{legend}</h2>" in page
    assert ">Status</h2>" not in page
    assert 'value="UserCreated"' in page and 'value="InvoicePaid"' in page
    assert f'value="{org.pk}"' in page and "Acme Inc (acme)" in page
    assert 'type="checkbox" name="categories" value="user"' in page


def test_invalid_form_shows_errors_and_saves_nothing(staff_client, aws):
    """Missing secret, bad bucket, role without ARN: errors, nothing created."""
    response = staff_client.post(
        ADD, _form(bucket="Bad_Bucket", secret_access_key="", event_types=["Nope"])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not a valid S3 bucket name" in page
    assert "Required for an access key." in page
    assert "Select a valid choice. Nope is not one of the available choices." in page
    role = staff_client.post(ADD, _form(auth_type="assumed_role", role_arn=""))
    assert "Required for an assumed IAM role." in role.content.decode()
    assert not ExportLocation.objects.exists()
    assert bucket_objects(aws) == {}


def test_change_form_never_shows_secret_and_keeps_it(staff_client, make_location, org):
    """The change page hides the secret, shows the status; an edit keeps it."""
    gone = EventType.objects.create(
        event_type="GoneType", name="Gone Type", category="user", template="gone"
    )
    location = make_location(orgs=[str(org.pk)], event_types=["GoneType"])
    gone.delete()
    secret = location.secret_access_key_encrypted
    page = staff_client.get(_change_url(location)).content.decode()
    assert "s3cr3t-value" not in page and secret not in page
    assert ">Status</h2>" in page and "Nothing pending" in page
    assert 'class="export-health export-health-ok">OK<' in page
    assert "s3:PutObject" in page and str(location.pk) in page
    assert "GoneType (no longer exists)" in page
    response = staff_client.post(
        _change_url(location),
        _form(
            name="Renamed",
            secret_access_key="",
            orgs=[str(org.pk)],
            event_types=["GoneType"],
        ),
    )
    assert response.status_code == 302, response.content[:3000]
    location.refresh_from_db()
    assert location.name == "Renamed" and location.secret_access_key_encrypted == secret
    assert location.event_types == ["GoneType"] and location.categories == []


def test_replay_from_date_asks_for_the_date_then_replays(
    staff_client, make_location, aws
):
    """The action shows a date page; applying it re-sends objects from that day."""
    location = make_location()
    AuditEventFactory(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    services.export_location_run(location_id=location.pk)
    selected = {"action": "replay_from_date", "_selected_action": [str(location.pk)]}
    page = staff_client.post(CHANGELIST, selected)
    assert page.status_code == 200
    assert 'type="date"' in page.content.decode()
    location.refresh_from_db()
    assert location.state.replay_from == ""
    future = staff_client.post(
        CHANGELIST, {**selected, "apply": "1", "since": "2999-01-01"}
    )
    assert "The date is in the future." in future.content.decode()
    done = staff_client.post(
        CHANGELIST, {**selected, "apply": "1", "since": "2024-12-31"}, follow=True
    )
    assert re.search(r"re-sending 1 objects from 2024-12-31", done.content.decode())
    location.refresh_from_db()
    assert location.state.replay_from == ExportObject.objects.get().position_from


def test_delivery_records_are_read_only(staff_client, make_location, aws):
    """Runs and objects cannot be added, changed or deleted in the admin."""
    location = make_location()
    AuditEventFactory()
    run = services.export_location_run(location_id=location.pk)
    obj = ExportObject.objects.get()
    for model, pk in (("exportrun", run.pk), ("exportobject", obj.pk)):
        base = f"/admin/exports/{model}/"
        assert staff_client.get(f"{base}{pk}/delete/").status_code == 403
        assert staff_client.get(f"{base}add/").status_code == 403
        changelist = staff_client.get(base).content.decode()
        assert "delete_selected" not in changelist
        staff_client.post(
            base, {"action": "delete_selected", "_selected_action": [str(pk)]}
        )
    assert ExportObject.objects.filter(pk=obj.pk).exists()
    assert ExportRun.objects.filter(pk=run.pk).exists()


def test_admin_change_records_an_employee_operator_event(
    staff_client, make_location, aws
):
    """Pausing a location in the admin records ExportLocationPaused by Employee."""
    location = make_location()
    response = staff_client.post(
        _change_url(location), _form(name="Acme bucket", enabled=None)
    )
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(event_type="ExportLocationPaused")
    assert event.caused_by_type == "Employee"
    assert event.event_data["ExportLocationPaused"]["location_id"] == str(location.pk)


def _stream(kind="webhook", **fields):
    values = {
        "actor": Actor.system(),
        "destination": kind,
        "endpoint_url": "https://hooks.example.com/audit",
        "destination_secret": "hook-secret-789",
        "interval": "EVERY_5_MINUTES",
        "verify": False,
    }
    values.update(fields)
    return services.export_location_create(**values)


def test_changelist_shows_one_health_status_per_location(staff_client, db):
    """OK, lagging N events/oldest M min, error: message, paused; no red cross."""
    healthy = _stream(name="Healthy")
    lagging = _stream(name="Lagging")
    broken = _stream(name="Broken")
    paused = _stream(name="Paused")
    ExportLocation.objects.filter(pk=broken.pk).update(
        in_error=True, last_error="HTTP 403 from hooks.example.com: Forbidden"
    )
    ExportLocation.objects.filter(pk=paused.pk).update(enabled=False)
    ExportLocation.objects.filter(pk=healthy.pk).update(
        last_checked_at=datetime(2026, 11, 23, 6, 32, 10, tzinfo=UTC)
    )
    # Recorded 20 minutes ago (audit events are immutable once stored).
    AuditEventFactory.create_batch(
        3, recorded_at=timezone.now() - timedelta(minutes=20)
    )
    # Only "Lagging" is behind: move the others' cursors past the events.
    last = events_matching(location=healthy).order_by("-txid", "-seq").first()
    ExportState.objects.exclude(pk=lagging.pk).update(
        cursor=position_encode(last.txid, last.seq)
    )
    page = staff_client.get(CHANGELIST).content.decode()
    rows = {
        name: re.search(rf">{name}</a>.*?</tr>", page, re.S).group(0)
        for name in ("Healthy", "Lagging", "Broken", "Paused")
    }
    assert 'export-health-ok">OK<' in rows["Healthy"]
    assert "lagging 3 events, oldest 20 min" in rows["Lagging"]
    assert "error: HTTP 403 from hooks.example.com: Forbidden" in rows["Broken"]
    assert 'export-health-paused">paused<' in rows["Paused"]
    assert "icon-no" not in rows["Healthy"] and "icon-yes" not in rows["Healthy"]
    assert (
        '<span style="white-space: nowrap">2026-11-23 06:32:10 UTC</span>'
        in rows["Healthy"]
    )
    assert ">webhook<" in rows["Healthy"] or "Webhook" in rows["Healthy"]


def test_add_form_creates_a_datadog_stream_with_a_write_only_key(staff_client, db):
    """The admin adds a Datadog stream; the key is never shown again."""
    response = staff_client.post(
        ADD,
        _form(
            name="DD",
            destination="datadog",
            bucket="",
            path_prefix="",
            access_key_id="",
            secret_access_key="",
            endpoint_url="https://127.0.0.1:9/",
            destination_secret="dd-api-key-000",
            destination_options='{"service": "billing"}',
        ),
    )
    assert response.status_code == 302, response.content[:3000]
    location = ExportLocation.objects.get()
    assert location.destination == "datadog"
    assert location.destination_options == {"service": "billing"}
    page = staff_client.get(_change_url(location)).content.decode()
    assert "dd-api-key-000" not in page
    assert location.destination_secret_encrypted not in page
    assert ">S3 bucket</h2>" not in page and ">Authentication</h2>" not in page
    assert "bucket policy" not in page.lower()
    assert 'name="destination_options"' in page and ">Status</h2>" in page
    response = staff_client.post(
        _change_url(location),
        {
            "name": "DD renamed",
            "endpoint_url": "https://127.0.0.1:9/",
            "destination_options": '{"service": "billing", "tags": ["env:prod"]}',
            "destination_secret": "",
            "interval": "EVERY_HOUR",
            "file_format": "json",
            "enabled": "on",
            "runs-TOTAL_FORMS": "0",
            "runs-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    changed = ExportLocation.objects.get()
    assert changed.name == "DD renamed" and changed.destination == "datadog"
    assert changed.destination_options["tags"] == ["env:prod"]
    assert changed.destination_secret_encrypted == location.destination_secret_encrypted


def test_run_history_shows_human_durations_sizes_and_real_statuses(staff_client, db):
    """0.389750 s is "390 ms", 12,345 bytes "12.1 KB"; no "Nothing to do"."""
    location = _stream(name="Runs")
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    ExportRun.objects.create(
        location=location,
        started_at=start,
        finished_at=start + timedelta(microseconds=389750),
        status=ExportRun.Status.SUCCESS,
        events=10,
        bytes=12345,
        object_count=1,
    )
    ExportRun.objects.create(
        location=location,
        started_at=start,
        finished_at=start + timedelta(minutes=3, seconds=5),
        status=ExportRun.Status.FAILED,
        error="boom",
    )
    page = staff_client.get("/admin/exports/exportrun/").content.decode()
    assert "390 ms" in page and "3 min 05 s" in page
    assert "12.1\xa0KB" in page or "12.1&nbsp;KB" in page
    assert "0:00:00.389750" not in page and ">12345<" not in page
    assert "Nothing to do" not in page
    assert "?status=failed" in page and "?status=success" in page
    failed = staff_client.get("/admin/exports/exportrun/?status=failed")
    assert "boom" in failed.content.decode() and "390 ms" not in failed.content.decode()
    detail = staff_client.get(_change_url(location)).content.decode()
    assert "390 ms" in detail and "12.1" in detail
