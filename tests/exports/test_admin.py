import re
from datetime import UTC, datetime

import pytest

from audit.models import AuditEvent, EventType
from exports import services
from exports.models import ExportLocation, ExportObject, ExportRun
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
