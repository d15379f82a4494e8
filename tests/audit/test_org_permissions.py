"""The org permissions of SPEC section 11 and the org pages' navigation."""

import pytest
from django.urls import reverse

from audit.models import OrgPermission, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = [
    OrgPermission.MANAGE_API_KEYS,
    OrgPermission.MANAGE_LOG_STREAMS,
    OrgPermission.MANAGE_SCIM,
]


def codes(role_name: str) -> set[str]:
    role = Role.objects.get(name=role_name)
    return set(role.permissions.values_list("codename", flat=True))


def test_migration_gives_owner_and_admin_the_new_permissions():
    """Owner and Admin have Manage API Keys, Log Streams and SCIM; Member none."""
    names = dict(
        OrgPermission.objects.filter(codename__in=NEW).values_list("codename", "name")
    )
    assert names == {
        "manage_api_keys": "Manage API Keys",
        "manage_log_streams": "Manage Log Streams",
        "manage_scim": "Manage SCIM",
    }
    assert set(NEW) <= codes("Owner")
    assert set(NEW) <= codes("Admin")
    assert not set(NEW) & codes("Member")


def test_admin_maps_the_new_permissions_to_roles(staff_client):
    """The role admin offers the new permissions like View Audit Log."""
    role = Role.objects.get(name="Member")
    response = staff_client.get(reverse("admin:audit_role_change", args=[role.pk]))
    assert response.status_code == 200
    for name in ("View Audit Log", "Manage API Keys", "Manage Log Streams"):
        assert name in response.content.decode()


def tabs(response) -> list[str]:
    return [entry.key for entry in response.context["nav"]]


def test_owner_nav_shows_every_page(client, org, member):
    """An Owner's tabs: audit log, members, API keys, log streams."""
    client.force_login(member)
    response = client.get(reverse("org-audit-log", args=[org.slug]))
    assert tabs(response)[:4] == ["log", "members", "api-keys", "log-streams"]
    html = response.content.decode()
    assert reverse("org-api-keys", args=[org.slug]) in html
    assert reverse("org-log-streams", args=[org.slug]) in html


def test_nav_shows_only_pages_the_role_may_open(client, org):
    """A role with View Audit Log and Manage Log Streams sees those two tabs."""
    role = Role.objects.create(name="Streamer")
    role.permissions.set(
        OrgPermission.objects.filter(
            codename__in=[
                OrgPermission.VIEW_AUDIT_LOG,
                OrgPermission.MANAGE_LOG_STREAMS,
            ]
        )
    )
    user = UserFactory(email="streamer@acme.example")
    MembershipFactory(org=org, user=user, role=role)
    client.force_login(user)
    response = client.get(reverse("org-log-streams", args=[org.slug]))
    assert response.status_code == 200
    assert tabs(response) == ["log", "log-streams"]
    assert reverse("org-api-keys", args=[org.slug]) not in response.content.decode()
    assert client.get(reverse("org-api-keys", args=[org.slug])).status_code == 403
    assert client.get(reverse("org-members", args=[org.slug])).status_code == 403


def test_member_without_permissions_gets_403_on_new_pages(client, org, plain_member):
    """A Member (no permission) gets 403 on the API keys and log streams pages."""
    client.force_login(plain_member)
    assert client.get(reverse("org-api-keys", args=[org.slug])).status_code == 403
    assert client.get(reverse("org-log-streams", args=[org.slug])).status_code == 403


def test_other_orgs_pages_are_403(client, member, other_org):
    """An Owner of one org gets 403 on another org's API keys and streams."""
    client.force_login(member)
    assert client.get(reverse("org-api-keys", args=[other_org.slug])).status_code == 403
    assert (
        client.get(reverse("org-log-streams", args=[other_org.slug])).status_code == 403
    )
