import pytest
from rest_framework.test import APIClient

from exports import services
from exports.models import ExportLocation, ExportRun
from tests.exports.conftest import BUCKET, bucket_objects
from tests.factories import AuditEventFactory

URL = "/api/v1/export-locations/"


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


def _create(api, **extra):
    payload = {
        "name": "Acme",
        "bucket": BUCKET,
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": "very-secret",
        "interval": "EVERY_HOUR",
        **extra,
    }
    return api.post(URL, payload, format="json")


def test_create_verifies_and_never_returns_secret(api, aws):
    """Created over the API: verified, policies shown, the secret not."""
    response = _create(api)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["connection_status"] == "SUCCESS"
    assert "secret_access_key" not in body
    assert b"very-secret" not in response.content
    assert body["bucket_policy"]["Statement"][0]["Action"] == "s3:PutObject"
    sts = body["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]
    assert sts["sts:ExternalId"] == body["id"] == body["external_id"]
    listed = api.get(URL).json()
    assert b"very-secret" not in str(listed).encode()


def test_verify_run_and_history(api, aws):
    """verify/ records status; runs/ lists the run with its counts."""
    location_id = _create(api).json()["id"]
    assert api.post(f"{URL}{location_id}/verify/").json()["connection_status"] == (
        "SUCCESS"
    )
    AuditEventFactory()

    services.export_location_run(location_id=location_id)
    runs = api.get(f"{URL}{location_id}/runs/").json()
    assert runs[0]["status"] == ExportRun.Status.SUCCESS and runs[0]["events"] == 1
    services.export_location_run(location_id=location_id)  # nothing new: no row
    assert len(api.get(f"{URL}{location_id}/runs/").json()) == 1
    assert api.get(f"{URL}{location_id}/").json()["last_checked_at"]
    assert len(bucket_objects(aws)) == 1


def test_replay_needs_a_date(api, aws):
    """replay/ validates its date and reports how many objects it re-sends."""
    location_id = _create(api).json()["id"]
    assert api.post(f"{URL}{location_id}/replay/", {}, format="json").status_code == 400
    response = api.post(
        f"{URL}{location_id}/replay/", {"from": "2025-01-01"}, format="json"
    )
    assert response.status_code == 202 and response.json() == {"objects": 0}


def test_anonymous_is_refused(db):
    """Without a staff session or API key the API answers 403."""
    assert APIClient().get(URL).status_code in (401, 403)
    assert not ExportLocation.objects.exists()


def test_location_changes_with_an_api_key_are_recorded_as_the_key(
    api_client, api_key, aws
):
    """Created and edited with an API key: operator events caused by ApiKey."""
    from audit.models import AuditEvent

    response = _create(api_client)
    assert response.status_code == 201, response.content
    location_id = response.json()["id"]
    response = api_client.patch(
        f"{URL}{location_id}/", {"name": "Acme archive"}, format="json"
    )
    assert response.status_code == 200, response.content
    events = AuditEvent.objects.filter(category="operator").order_by("seq")
    created = events.get(event_type="ExportLocationCreated")
    changed = events.get(event_type="ExportLocationChanged")
    for event in (created, changed):
        assert event.caused_by_type == "ApiKey"
        assert event.caused_by_id == api_key.prefix
        assert event.caused_by_metadata == {"name": "billing service"}
    details = changed.event_data["ExportLocationChanged"]
    assert details["old"]["name"] == "Acme" and details["new"]["name"] == "Acme archive"
    assert b"very-secret" not in str(created.event_data).encode()
