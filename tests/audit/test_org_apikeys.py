"""The org API keys page and services: shown once, events, isolation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actors import Actor
from audit.models import AuditEvent, OrgApiKey
from audit.org_apikeys import (
    org_api_key_create,
    org_api_key_for_raw_key,
    org_api_key_revoke,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, member):
    client.force_login(member)
    return client


def keys_url(org):
    return reverse("org-api-keys", args=[org.slug])


def test_create_shows_the_key_once_and_records_the_event(owner_client, org, member):
    """Creating shows the key on that answer only; the org's log gets the event."""
    response = owner_client.post(keys_url(org), {"name": "SIEM reader"})
    assert response.status_code == 200
    raw_key = response.context["new_key"]["value"]
    assert raw_key.startswith("ao_") and raw_key in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    key = OrgApiKey.objects.get(org=org)
    assert key.name == "SIEM reader" and key.created_by == member
    assert raw_key not in (key.key_hash, key.prefix)
    again = owner_client.get(keys_url(org)).content.decode()
    assert raw_key not in again
    assert key.prefix in again and "SIEM reader" in again
    event = AuditEvent.objects.get(event_type="OrgAPIKeyCreated")
    assert event.org_id == org.pk and event.category == "org"
    assert event.caused_by_id == str(member.pk)
    assert raw_key not in str(event.event_data)
    assert event.details["prefix"] == key.prefix
    # The members see it in their log.
    log = owner_client.get(reverse("org-audit-log", args=[org.slug]))
    assert "An API key was created for Acme Inc" in log.content.decode()


def test_create_with_expiry_lists_it_with_seconds_and_zone(owner_client, org):
    """An expiry date is kept and listed with seconds and time zone."""
    day = (timezone.now() + timedelta(days=3)).date()
    response = owner_client.post(
        keys_url(org), {"name": "temp", "expires_on": day.isoformat()}
    )
    assert response.status_code == 200
    key = OrgApiKey.objects.get(org=org)
    assert key.expires_at.date() == day
    html = owner_client.get(keys_url(org)).content.decode()
    assert key.expires_at.strftime("%b") in html and ":00 UTC" in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "expires_on": "2020-01-01"}, "expires_on"),
        ({"name": "ok", "expires_on": "not a date"}, "expires_on"),
    ],
)
def test_bad_input_is_a_400_on_the_field_and_saves_nothing(
    owner_client, org, data, field
):
    """Bad input: 400 naming the field, no key, no event."""
    response = owner_client.post(keys_url(org), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not OrgApiKey.objects.exists()
    assert not AuditEvent.objects.filter(event_type="OrgAPIKeyCreated").exists()


def test_delete_revokes_and_records(owner_client, org, member):
    """Deleting revokes the key (it no longer authenticates) and records it."""
    key, raw_key = org_api_key_create(actor=Actor.for_user(member), org=org, name="old")
    response = owner_client.post(reverse("org-api-key-delete", args=[org.slug, key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert org_api_key_for_raw_key(raw_key) is None
    event = AuditEvent.objects.get(event_type="OrgAPIKeyDeleted")
    assert event.org_id == org.pk and event.details["prefix"] == key.prefix
    assert list(owner_client.get(keys_url(org)).context["keys"]) == []


def test_another_orgs_key_id_is_404_and_unchanged(owner_client, org, other_org):
    """Deleting another org's key through this org's page is a 404; it stays."""
    key, raw_key = org_api_key_create(
        actor=Actor.system(), org=other_org, name="theirs"
    )
    response = owner_client.post(reverse("org-api-key-delete", args=[org.slug, key.pk]))
    assert response.status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
    assert org_api_key_for_raw_key(raw_key) == key
    assert "theirs" not in owner_client.get(keys_url(org)).content.decode()


def test_member_without_permission_cannot_create_or_delete(client, org, plain_member):
    """Without Manage API Keys: 403 on create and delete, nothing changes."""
    key, _ = org_api_key_create(actor=Actor.system(), org=org, name="kept")
    client.force_login(plain_member)
    assert client.post(keys_url(org), {"name": "x"}).status_code == 403
    response = client.post(reverse("org-api-key-delete", args=[org.slug, key.pk]))
    assert response.status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None and OrgApiKey.objects.count() == 1


def test_revoking_twice_records_once(org):
    """A second revoke changes nothing and records nothing."""
    key, _ = org_api_key_create(actor=Actor.system(), org=org, name="k")
    org_api_key_revoke(actor=Actor.system(), key=key)
    org_api_key_revoke(actor=Actor.system(), key=key)
    assert AuditEvent.objects.filter(event_type="OrgAPIKeyDeleted").count() == 1


def test_expired_key_does_not_authenticate(org):
    """A key past its expiry is not found."""
    key, raw_key = org_api_key_create(
        actor=Actor.system(),
        org=org,
        name="k",
        expires_at=timezone.now() + timedelta(1),
    )
    OrgApiKey.objects.filter(pk=key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert org_api_key_for_raw_key(raw_key) is None


def test_admin_never_shows_the_key_or_its_hash(staff_client, org):
    """The admin's event list and pages carry neither the key nor its hash."""
    key, raw_key = org_api_key_create(actor=Actor.system(), org=org, name="k")
    html = staff_client.get(reverse("admin:audit_auditevent_changelist")).content
    assert raw_key.encode() not in html and key.key_hash.encode() not in html
