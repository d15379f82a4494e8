import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.admin import EstimatedCountPaginator
from audit.models import AuditEvent, Membership, Organization, Role, User
from audit.selectors import event_description
from tests.factories import AuditEventFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:audit_auditevent_changelist"


def listed(response) -> list[str]:
    return [str(event.uuid) for event in response.context["cl"].result_list]


def test_changelist_shows_events_newest_first_with_descriptions(staff_client):
    """Staff see events newest first, each with its readable description."""
    old = AuditEventFactory(
        event_type="UserLocked",
        user_email="ant@acme.example",
        created_at=timezone.now() - dt.timedelta(days=1),
        caused_by_type="Employee",
        caused_by_metadata={"email": "ops@operator.example"},
    )
    new = AuditEventFactory(event_type="UserCreated", user_email="bo@acme.example")
    response = staff_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert listed(response) == [str(new.uuid), str(old.uuid)]
    assert "ant@acme.example was locked by ops@operator.example" in response.text


def test_changelist_rows_link_to_their_change_pages(staff_client):
    """Both link columns of each row open that row's own change page."""
    events = [AuditEventFactory() for _ in range(3)]
    body = staff_client.get(reverse(CHANGELIST)).text
    for event in events:
        url = reverse("admin:audit_auditevent_change", args=[event.pk])
        assert body.count(f'href="{url}"') == 2
    assert "__pk__" not in body


def test_event_detail_is_read_only_with_pretty_json(staff_client):
    """The detail page shows the description and data, with no save or delete."""
    event = AuditEventFactory(
        event_type="UserMetadataChanged",
        user_email="ant@acme.example",
        event_data={"UserMetadataChanged": {"old": {"firstName": "Ant"}, "new": {}}},
    )
    url = reverse("admin:audit_auditevent_change", args=[event.seq])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert "had their account properties changed" in response.text
    assert "&quot;firstName&quot;: &quot;Ant&quot;" in response.text
    assert 'name="_save"' not in response.text
    assert "deletelink" not in response.text


def test_events_cannot_be_added_changed_or_deleted_in_admin(staff_client):
    """POSTs to add, change or delete an event are refused and change nothing."""
    event = AuditEventFactory(event_type="UserCreated", user_email="ant@acme.example")
    add = staff_client.post(reverse("admin:audit_auditevent_add"), {"event_type": "X"})
    change = staff_client.post(
        reverse("admin:audit_auditevent_change", args=[event.seq]),
        {"event_type": "UserDeleted"},
    )
    delete = staff_client.post(
        reverse("admin:audit_auditevent_delete", args=[event.seq]), {"post": "yes"}
    )
    bulk = staff_client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", "_selected_action": [event.seq], "post": "yes"},
    )
    assert add.status_code == change.status_code == delete.status_code == 403
    assert bulk.status_code in (200, 302)
    event.refresh_from_db()
    assert event.event_type == "UserCreated"
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"user": "ant@acme.example"}, ["ant"]),
        ({"org": "acme"}, ["org", "ant"]),
        ({"event_type": "OrgCreated"}, ["org"]),
        ({"event_type": "OrgCreated,UserLocked"}, ["org", "old"]),
        ({"category": "org"}, ["org"]),
        ({"caused_by_type__exact": "ApiKey"}, ["org"]),
        ({"created_after": "2026-01-01", "created_before": "2026-01-31"}, ["old"]),
        ({"q": "bo@globex"}, ["old"]),
        ({"q": "ant"}, ["ant"]),
    ],
)
def test_changelist_filters(staff_client, params, expected):
    """Each SPEC filter (and the email search) narrows the changelist."""
    acme = Organization.objects.create(name="Acme Inc", slug="acme")
    ant = UserFactory(email="ant@acme.example")
    events = {
        "ant": AuditEventFactory(
            event_type="UserCreated",
            user_id=ant.pk,
            user_email=ant.email,
            org_id=acme.pk,
            created_at=timezone.now() - dt.timedelta(hours=2),
        ),
        "org": AuditEventFactory(
            event_type="OrgCreated",
            category="org",
            org_id=acme.pk,
            org_name="Acme Inc",
            caused_by_type="ApiKey",
            created_at=timezone.now() - dt.timedelta(hours=1),
        ),
        "old": AuditEventFactory(
            event_type="UserLocked",
            user_email="bo@globex.example",
            created_at=timezone.make_aware(dt.datetime(2026, 1, 15, 12)),
        ),
    }
    response = staff_client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    assert listed(response) == [str(events[name].uuid) for name in expected]


def test_changelist_sidebar_offers_every_filter(staff_client):
    """The sidebar has the user, org, type, category, caused-by and date filters."""
    response = staff_client.get(reverse(CHANGELIST))
    for title in [
        "user (id or email)",
        "org (id, name or slug)",
        "event type",
        "category",
    ]:
        assert title in response.text
    for name in [
        'name="user"',
        'name="org"',
        'name="created_after"',
        'name="created_before"',
    ]:
        assert name in response.text
    assert "Employee" in response.text and "SCIM" in response.text


def test_filtered_count_is_capped(staff_client, monkeypatch):
    """A filtered count stops at the cap instead of counting every row."""
    monkeypatch.setattr(EstimatedCountPaginator, "COUNT_CAP", 3)
    AuditEventFactory.create_batch(5, event_type="UserLocked")
    response = staff_client.get(reverse(CHANGELIST), {"event_type": "UserLocked"})
    assert response.context["cl"].result_count == 4


def test_editing_a_user_records_metadata_change_by_employee(staff_client, staff):
    """Renaming a user in the admin records UserMetadataChanged with old and new."""
    user = UserFactory(email="user@acmeinc.com", first_name="Ant")
    url = reverse("admin:audit_user_change", args=[user.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "email": user.email,
            "first_name": "Buddy",
            "properties": "{}",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "is_active": "on",
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    response = staff_client.post(url, data, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(event_type="UserMetadataChanged")
    assert event.caused_by_type == "Employee"
    assert event.caused_by_metadata == {"email": staff.email}
    assert event.caused_by_source_ip == "198.51.100.9"
    assert event_description(event) == (
        "user@acmeinc.com had their account properties changed to "
        '{ firstName: "Buddy" } from { firstName: "Ant" } by staff@operator.example'
    )


def test_adding_a_user_in_admin_records_user_created(staff_client):
    """Creating a user through the admin form records UserCreated by Employee."""
    response = staff_client.post(
        reverse("admin:audit_user_add"),
        {
            "email": "new@acme.example",
            "usable_password": "true",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@acme.example")
    assert user.check_password("a-long-pass-phrase")
    event = AuditEvent.objects.get(event_type="UserCreated")
    assert (event.user_id, event.caused_by_type) == (user.pk, "Employee")


def test_deleting_a_user_in_admin_records_user_deleted(staff_client):
    """Deleting a user from the admin records UserDeleted."""
    user = UserFactory(email="gone@acme.example")
    response = staff_client.post(
        reverse("admin:audit_user_delete", args=[user.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert (
        AuditEvent.objects.get(event_type="UserDeleted").user_email
        == "gone@acme.example"
    )


def test_org_admin_records_create_and_membership_changes(staff_client):
    """Creating an org with a member inline records OrgCreated and OrgUserAdded."""
    user = UserFactory(email="ant@acme.example")
    role = Role.objects.get(name="Admin")
    prefix = "memberships"
    response = staff_client.post(
        reverse("admin:audit_organization_add"),
        {
            "name": "Acme Inc",
            "slug": "acme",
            "plan": "growth",
            "domain": "",
            "metadata": "{}",
            "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-user": str(user.pk),
            f"{prefix}-0-role": str(role.pk),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    org = Organization.objects.get(slug="acme")
    assert Membership.objects.get(org=org).user == user
    types = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert types == {"OrgCreated", "OrgUserAdded"}


def test_org_admin_role_change_records_org_user_role_changed(staff_client):
    """Changing a member's role inline records OrgUserRoleChanged."""
    membership = MembershipFactory(role=Role.objects.get(name="Member"))
    org = membership.org
    admin_role = Role.objects.get(name="Admin")
    prefix = "memberships"
    response = staff_client.post(
        reverse("admin:audit_organization_change", args=[org.pk]),
        {
            "name": org.name,
            "slug": org.slug,
            "plan": org.plan,
            "metadata": "{}",
            "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-id": str(membership.pk),
            f"{prefix}-0-org": str(org.pk),
            f"{prefix}-0-user": str(membership.user.pk),
            f"{prefix}-0-role": str(admin_role.pk),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(event_type="OrgUserRoleChanged")
    assert event.event_data["OrgUserRoleChanged"] == {"old": "Member", "new": "Admin"}
    assert event.caused_by_type == "Employee"


def test_custom_event_type_is_added_in_admin(staff_client):
    """Staff add a custom type; a bad name gets a clear error."""
    url = reverse("admin:audit_eventtype_add")
    bad = staff_client.post(
        url,
        {
            "event_type": "doc shared",
            "name": "Doc",
            "category": "user",
            "template": "x",
        },
    )
    assert "CamelCase" in bad.text
    good = staff_client.post(
        url,
        {
            "event_type": "DocumentShared",
            "name": "Document Shared",
            "category": "user",
            "template": "{user} shared a document",
        },
    )
    assert good.status_code == 302
    response = staff_client.get(reverse(CHANGELIST))
    assert "Document Shared" in response.text


def test_non_staff_cannot_open_the_admin(client, db):
    """An org member who is not staff is sent to the admin login."""
    client.force_login(UserFactory())
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_changing_a_password_in_admin_records_password_changed(staff_client):
    """Setting a user's password in the admin records PasswordChanged, without it."""
    user = UserFactory(email="ant@acme.example")
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    bad = staff_client.post(url, {"password1": "a-long-pass-1", "password2": "other"})
    assert bad.status_code == 200
    assert not AuditEvent.objects.filter(event_type="PasswordChanged").exists()
    response = staff_client.post(
        url,
        {"password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-long-pass-phrase")
    event = AuditEvent.objects.get(event_type="PasswordChanged")
    assert (event.user_id, event.caused_by_type) == (user.pk, "Employee")
    assert "a-long-pass-phrase" not in str(event.event_data)


def test_admin_times_show_seconds_and_the_zone(staff_client):
    """The event list and detail show "Jan. 15, 2026, 12:34:56 UTC", not "noon"."""
    event = AuditEventFactory(
        created_at=dt.datetime(2026, 1, 15, 12, 34, 56, tzinfo=dt.UTC)
    )
    listing = staff_client.get(reverse(CHANGELIST))
    assert "Jan. 15, 2026, 12:34:56 UTC" in listing.text
    detail = staff_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert "Jan. 15, 2026, 12:34:56 UTC" in detail.text
