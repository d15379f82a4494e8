from exports.models import ExportLocation
from tests.exports.conftest import BUCKET


def test_admin_creates_verified_location_without_showing_secret(staff_client, aws):
    """The admin form creates a verified location; its page hides the secret."""
    response = staff_client.post(
        "/admin/exports/exportlocation/add/",
        {
            "name": "Acme",
            "bucket": BUCKET,
            "region": "us-east-1",
            "auth_type": "access_key",
            "access_key_id": "AKIAEXAMPLE",
            "secret_access_key": "admin-secret",
            "interval": "EVERY_DAY",
            "file_format": "json",
            "categories": "[]",
            "event_types": "[]",
            "orgs": "[]",
            "enabled": "on",
            "exportrun_set-TOTAL_FORMS": "0",
            "runs-TOTAL_FORMS": "0",
            "runs-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    location = ExportLocation.objects.get()
    assert location.connection_status == "SUCCESS"
    page = staff_client.get(f"/admin/exports/exportlocation/{location.pk}/change/")
    assert page.status_code == 200
    assert b"admin-secret" not in page.content
    assert b"s3:PutObject" in page.content and b"events pending" in page.content
