"""The org's SCIM page and its key services: shown once, one active, events."""

import pytest

from audit.models import AuditEvent, OrgPermission, Role, ScimKey
from audit.services import Actor
from audit.services.scim_keys import (
    scim_key_create,
    scim_key_for_raw_key,
    scim_key_revoke,
)
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def scim_admin(org):
    """A member of ``org`` whose role (Owner) has Manage SCIM."""
    permission, _ = OrgPermission.objects.get_or_create(
        codename=OrgPermission.MANAGE_SCIM, defaults={"name": "Manage SCIM"}
    )
    Role.objects.get(name="Owner").permissions.add(permission)
    return MembershipFactory(org=org, user=UserFactory(email="it@acme.example")).user


@pytest.fixture
def admin_client(client, scim_admin):
    client.force_login(scim_admin)
    return client


def test_member_without_manage_scim_gets_403(client, org, plain_member):
    """A role without Manage SCIM cannot open the page or create a key."""
    client.force_login(plain_member)
    assert client.get("/orgs/acme/scim/").status_code == 403
    assert client.post("/orgs/acme/scim/", {"action": "create"}).status_code == 403
    assert not ScimKey.objects.exists()


def test_page_of_another_org_is_403(admin_client, other_org):
    """Manage SCIM in one org opens nothing in another."""
    assert admin_client.get(f"/orgs/{other_org.slug}/scim/").status_code == 403


def test_page_shows_base_url_and_no_key(admin_client):
    """Without a key the page shows the base URL and says no key exists."""
    response = admin_client.get("/orgs/acme/scim/")
    assert response.status_code == 200
    assert b"http://testserver/scim/v2/" in response.content
    assert b"No key" in response.content


def test_created_key_is_shown_once_and_works(admin_client, client, org, scim_admin):
    """Create shows the key once; afterwards only its prefix; it authenticates."""
    response = admin_client.post("/orgs/acme/scim/", {"action": "create"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    scim_key = ScimKey.objects.get(org=org)
    raw = response.context["new_key"]
    assert raw.startswith(scim_key.prefix + "_")
    assert raw.encode() in response.content
    later = admin_client.get("/orgs/acme/scim/")
    assert raw.encode() not in later.content
    assert scim_key.prefix.encode() in later.content
    assert scim_key_for_raw_key(raw) == scim_key
    assert scim_key.key_hash != raw and raw not in scim_key.key_hash
    event = AuditEvent.objects.get(event_type="OrgSCIMKeyCreated")
    assert event.org_id == org.pk
    assert event.caused_by_id == str(scim_admin.pk)
    assert raw not in str(event.event_data)
    assert scim_key.key_hash not in str(event.event_data)


def test_creating_again_replaces_the_active_key(org):
    """One active key per org: a new key revokes the old one (both events)."""
    first, first_raw = scim_key_create(actor=Actor.system(), org=org)
    second, second_raw = scim_key_create(actor=Actor.system(), org=org)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert scim_key_for_raw_key(first_raw) is None
    assert scim_key_for_raw_key(second_raw) == second
    types = list(
        AuditEvent.objects.order_by("seq").values_list("event_type", flat=True)
    )
    assert types == ["OrgSCIMKeyCreated", "OrgSCIMKeyRevoked", "OrgSCIMKeyCreated"]


def test_revoke_from_the_page_stops_the_key(admin_client, client, org):
    """Revoke: the key gets 401 and OrgSCIMKeyRevoked is in the org's log."""
    _, raw = scim_key_create(actor=Actor.system(), org=org)
    response = admin_client.post("/orgs/acme/scim/", {"action": "revoke"})
    assert response.status_code == 302
    assert (
        client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code
        == 401
    )
    assert (
        AuditEvent.objects.filter(event_type="OrgSCIMKeyRevoked", org_id=org.pk).count()
        == 1
    )


def test_revoking_twice_records_once(org):
    """A revoked key stays revoked; a second revoke records nothing."""
    scim_key, _ = scim_key_create(actor=Actor.system(), org=org)
    scim_key_revoke(actor=Actor.system(), scim_key=scim_key)
    scim_key_revoke(actor=Actor.system(), scim_key=scim_key)
    assert AuditEvent.objects.filter(event_type="OrgSCIMKeyRevoked").count() == 1


def test_secret_never_in_the_admin_or_page_after_creation(admin_client, org):
    """After creation neither the page nor the key row exposes the key."""
    _, raw = scim_key_create(actor=Actor.system(), org=org)
    assert raw.encode() not in admin_client.get("/orgs/acme/scim/").content
    row = ScimKey.objects.values().get(org=org)
    assert raw not in str(row)


def test_operator_sees_keys_in_the_admin_without_secret_and_can_revoke(
    staff_client, org, staff
):
    """The admin lists SCIM keys by prefix (no hash) and its action revokes."""
    scim_key, raw = scim_key_create(actor=Actor.system(), org=org)
    listing = staff_client.get("/admin/audit/scimkey/")
    assert listing.status_code == 200
    assert scim_key.prefix.encode() in listing.content
    assert raw.encode() not in listing.content
    assert scim_key.key_hash.encode() not in listing.content
    response = staff_client.post(
        "/admin/audit/scimkey/",
        {"action": "revoke_keys", "_selected_action": [scim_key.pk]},
    )
    assert response.status_code == 302
    assert scim_key_for_raw_key(raw) is None
    event = AuditEvent.objects.get(event_type="OrgSCIMKeyRevoked")
    assert (event.caused_by_type, event.caused_by_id) == ("Employee", str(staff.pk))
