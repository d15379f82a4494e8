import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tests.factories import AuditEventFactory, UserFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
LOCATIONS = "/api/v1/export-locations/"


def staff_client(*perms):
    user = UserFactory(is_staff=True)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = APIClient()
    client.force_login(user)
    return client


def test_staff_without_view_auditevent_cannot_read_events():
    """A staff session with no Django permission gets 403 on the events API."""
    AuditEventFactory()
    response = staff_client().get(EVENTS)
    assert response.status_code == 403
    assert "audit.view_auditevent" in response.json()["detail"]


def test_staff_with_view_auditevent_reads_events():
    """view_auditevent is what reading events takes."""
    event = AuditEventFactory()
    client = staff_client("view_auditevent")
    assert client.get(EVENTS).status_code == 200
    assert client.get(f"{EVENTS}{event.uuid}/").status_code == 200
    assert client.get(LOCATIONS).status_code == 403


def test_export_locations_need_the_matching_permission():
    """view_exportlocation lists; creating needs add_exportlocation."""
    client = staff_client("view_exportlocation")
    assert client.get(LOCATIONS).status_code == 200
    response = client.post(LOCATIONS, {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "exports.add_exportlocation" in response.json()["detail"]
    assert (
        staff_client("add_exportlocation")
        .post(LOCATIONS, {"name": ""}, format="json")
        .status_code
        == 400
    )


def test_superusers_have_every_permission(staff_client):
    """A superuser's session reads events and locations with no explicit grant."""
    assert staff_client.get(EVENTS).status_code == 200
    assert staff_client.get(LOCATIONS).status_code == 200


def test_non_staff_sessions_are_refused(client):
    """A signed-in customer (not staff) gets 403 from the operator API."""
    client.force_login(UserFactory(is_superuser=False))
    assert client.get(EVENTS).status_code == 403
