"""Operator events (SPEC 7): every change to auditsite itself leaves one."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from audit import selectors, services
from audit.apikeys import api_key_create
from audit.models import (
    ApiKey,
    AuditEvent,
    EventType,
    OrgPermission,
    Role,
)
from audit.selectors import audit_settings_load
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _form_data(client, url) -> dict:
    """The admin change form's current values, as the browser would post them."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "password" or value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif hasattr(value, "__iter__") and not isinstance(value, str | dict):
            data[name] = [getattr(item, "pk", item) for item in value]
        elif isinstance(value, dict):
            data[name] = json.dumps(value)
        elif name == "date_joined":
            data["date_joined_0"] = value.strftime("%Y-%m-%d")
            data["date_joined_1"] = value.strftime("%H:%M:%S")
        else:
            data[name] = getattr(value, "pk", value)
    return data


def _operator_events(**filters):
    return list(
        AuditEvent.objects.filter(category="operator", **filters).order_by("seq")
    )


def _one_operator_event(staff, event_type):
    events = _operator_events()
    assert [e.event_type for e in events] == [event_type]
    event = events[0]
    assert (event.caused_by_type, event.caused_by_id) == ("Employee", str(staff.pk))
    return event


def test_making_a_user_superuser_in_admin_records_one_operator_event(
    staff_client, staff
):
    """Making a user superuser records UserSuperuserStatusChanged: target, old, new."""
    user = UserFactory(email="eve@example.com")
    url = reverse("admin:audit_user_change", args=[user.pk])
    data = _form_data(staff_client, url)
    data["is_superuser"] = "on"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = _one_operator_event(staff, "UserSuperuserStatusChanged")
    assert event.user_id == user.pk
    assert event.details == {"old": False, "new": True}
    user.refresh_from_db()
    assert user.is_superuser


def test_user_groups_and_permissions_in_admin_record_old_and_new(staff_client, staff):
    """Groups and Django permissions set in the user admin record their events."""
    group = Group.objects.create(name="support")
    permission = Permission.objects.get(codename="view_auditevent")
    user = UserFactory(email="eve@example.com")
    url = reverse("admin:audit_user_change", args=[user.pk])
    data = _form_data(staff_client, url)
    data["groups"] = [group.pk]
    data["user_permissions"] = [permission.pk]
    assert staff_client.post(url, data).status_code == 302
    groups = AuditEvent.objects.get(event_type="UserGroupsChanged")
    assert groups.details == {"old": [], "new": ["support"]}
    perms = AuditEvent.objects.get(event_type="UserPermissionsChanged")
    assert perms.details == {"old": [], "new": ["audit.view_auditevent"]}
    assert list(user.groups.all()) == [group]


def test_changing_audit_log_settings_in_admin_records_one_operator_event(
    staff_client, staff
):
    """Switching 'includes employees' off records AuditLogSettingsChanged."""
    row = audit_settings_load()
    url = reverse("admin:audit_auditsettings_change", args=[row.pk])
    data = _form_data(staff_client, url)
    data.pop("includes_employees")
    assert staff_client.post(url, data).status_code == 302
    event = _one_operator_event(staff, "AuditLogSettingsChanged")
    assert event.details == {
        "old": {"includes_employees": True},
        "new": {"includes_employees": False},
    }
    assert audit_settings_load().includes_employees is False


def test_adding_a_permission_to_a_role_in_admin_records_one_operator_event(
    staff_client, staff
):
    """Adding a permission to a role records exactly one RolePermissionAdded."""
    role = Role.objects.get(name="Member")
    added = OrgPermission.objects.exclude(pk__in=role.permissions.all()).first()
    url = reverse("admin:audit_role_change", args=[role.pk])
    data = _form_data(staff_client, url)
    data["permissions"] = [*data.get("permissions", []), added.pk]
    assert staff_client.post(url, data).status_code == 302
    event = _one_operator_event(staff, "RolePermissionAdded")
    assert event.details == {"role": "Member", "permission": added.codename}
    assert added in role.permissions.all()


def test_role_create_rename_delete_in_admin(staff_client, staff):
    """Creating, renaming and deleting a role each record their event."""
    permission = OrgPermission.objects.first()
    add = staff_client.post(
        reverse("admin:audit_role_add"),
        {"name": "Auditor", "permissions": [permission.pk]},
    )
    assert add.status_code == 302
    role = Role.objects.get(name="Auditor")
    url = reverse("admin:audit_role_change", args=[role.pk])
    data = _form_data(staff_client, url)
    data["name"] = "Reviewer"
    assert staff_client.post(url, data).status_code == 302
    delete = staff_client.post(
        reverse("admin:audit_role_delete", args=[role.pk]), {"post": "yes"}
    )
    assert delete.status_code == 302
    assert [e.event_type for e in _operator_events()] == [
        "RoleCreated",
        "RoleChanged",
        "RoleDeleted",
    ]
    created, changed, _ = _operator_events()
    assert created.details["permissions"] == [permission.codename]
    assert changed.details["old"] == {"name": "Auditor"}
    assert changed.details["new"] == {"name": "Reviewer"}


def test_org_permission_admin_records_its_events(staff_client, staff):
    """OrgPermission create and change go through services."""
    add = staff_client.post(
        reverse("admin:audit_orgpermission_add"),
        {"codename": "manage_billing", "name": "Manage Billing"},
    )
    assert add.status_code == 302
    permission = OrgPermission.objects.get(codename="manage_billing")
    url = reverse("admin:audit_orgpermission_change", args=[permission.pk])
    assert (
        staff_client.post(
            url, {"codename": "manage_billing", "name": "Billing"}
        ).status_code
        == 302
    )
    assert [e.event_type for e in _operator_events()] == [
        "OrgPermissionCreated",
        "OrgPermissionChanged",
    ]


def test_creating_an_api_key_in_admin_records_prefix_and_name_never_the_key(
    staff_client, staff
):
    """A new API key records OperatorAPIKeyCreated: prefix, name, scopes only."""
    response = staff_client.post(reverse("admin:audit_apikey_add"), {"name": "ci"})
    assert response.status_code == 200
    api_key = ApiKey.objects.get(name="ci")
    event = _one_operator_event(staff, "OperatorAPIKeyCreated")
    assert event.details == {
        "prefix": api_key.prefix,
        "name": "ci",
        "scopes": ["events:write"],
    }
    raw_key = response.context["raw_key"]
    assert raw_key not in json.dumps(event.event_data)
    assert api_key.key_hash not in json.dumps(event.event_data)
    assert api_key.created_by == staff


def test_revoking_an_api_key_in_admin_records_it(staff_client, staff):
    """Revoking keys in the admin records OperatorAPIKeyRevoked once per key."""
    api_key, _ = api_key_create(name="old")
    staff_client.post(
        reverse("admin:audit_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
    )
    revoked = _operator_events(event_type="OperatorAPIKeyRevoked")
    assert len(revoked) == 1 and revoked[0].caused_by_type == "Employee"


def test_apikeys_command_records_system_events(capsys):
    """`apikeys create` and `revoke` record their events caused by System."""
    call_command("apikeys", "create", "nightly")
    api_key = ApiKey.objects.get(name="nightly")
    call_command("apikeys", "revoke", api_key.prefix)
    events = _operator_events()
    assert [(e.event_type, e.caused_by_type) for e in events] == [
        ("OperatorAPIKeyCreated", "System"),
        ("OperatorAPIKeyRevoked", "System"),
    ]


def test_group_admin_goes_through_services(staff_client, staff):
    """Django's Group admin is replaced: create and change record events."""
    permission = Permission.objects.get(codename="view_auditevent")
    add = staff_client.post(
        reverse("admin:auth_group_add"),
        {"name": "support", "permissions": [permission.pk]},
    )
    assert add.status_code == 302
    group = Group.objects.get(name="support")
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert staff_client.post(url, {"name": "helpdesk"}).status_code == 302
    created, changed = _operator_events()
    assert created.event_type == "GroupCreated"
    assert created.details["permissions"] == ["audit.view_auditevent"]
    assert changed.event_type == "GroupChanged"
    assert changed.details["old"] == {
        "name": "support",
        "permissions": ["audit.view_auditevent"],
    }
    assert changed.details["new"] == {"name": "helpdesk", "permissions": []}


def test_custom_event_type_change_and_delete_in_admin(staff_client, staff):
    """A custom type's change and delete record events; built-ins stay read-only."""
    row = services.event_type_create(
        actor=services.Actor.system(),
        event_type="DocumentShared",
        name="Document Shared",
        category="user",
        template="{user} shared a document",
    )
    url = reverse("admin:audit_eventtype_change", args=[row.pk])
    data = _form_data(staff_client, url)
    data["template"] = "{user} shared {document}"
    assert staff_client.post(url, data).status_code == 302
    delete = staff_client.post(
        reverse("admin:audit_eventtype_delete", args=[row.pk]), {"post": "yes"}
    )
    assert delete.status_code == 302
    assert [e.event_type for e in _operator_events()] == [
        "CustomEventTypeCreated",
        "CustomEventTypeChanged",
        "CustomEventTypeDeleted",
    ]
    builtin = EventType.objects.get(event_type="UserCreated")
    builtin_url = reverse("admin:audit_eventtype_change", args=[builtin.pk])
    staff_client.post(builtin_url, {"template": "changed"})
    builtin.refresh_from_db()
    assert builtin.template != "changed"


def test_a_custom_type_cannot_join_the_operator_category(employee):
    """Only auditsite records operator events: no custom type in that category."""
    with pytest.raises(ValidationError):
        services.event_type_create(
            actor=employee, event_type="Sneaky", name="Sneaky", category="operator"
        )
    assert not EventType.objects.filter(event_type="Sneaky").exists()


def test_operator_events_never_reach_customer_pages(staff_client, member, org):
    """An operator event naming an org is not on its customer page or export."""
    services.event_record(
        event_type="UserStaffStatusChanged",
        actor=services.Actor.system(),
        user=member,
        org=org,
        details={"old": False, "new": True},
    )
    settings_row = audit_settings_load()
    assert not selectors.events_for_viewer(org=org, settings=settings_row).exists()
    staff_client.force_login(member)
    page = staff_client.get(reverse("org-audit-log", args=[org.slug]))
    assert b"UserStaffStatusChanged" not in page.content
    export = staff_client.post(reverse("org-audit-log-export", args=[org.slug, "json"]))
    body = b"".join(export.streaming_content)
    assert b"UserStaffStatusChanged" not in body
    assert b"UserExportInitiated" in body or export.status_code == 200


def test_operator_events_are_listed_in_the_operator_api(api_client, employee):
    """GET /api/v1/events/?category=operator lists operator events."""
    services.settings_update(actor=employee, changes={"includes_api_keys": False})
    response = api_client.get("/api/v1/events/", {"category": "operator"})
    assert response.status_code == 200
    types = [item["event_type"] for item in response.json()["results"]]
    assert types == ["AuditLogSettingsChanged"]


def test_operator_events_show_in_the_admin_event_list(staff_client, employee):
    """The admin event list shows operator events."""
    services.settings_update(actor=employee, changes={"includes_api_keys": False})
    response = staff_client.get(
        reverse("admin:audit_auditevent_changelist"), {"category": "operator"}
    )
    assert b"AuditLogSettingsChanged" in response.content or (
        b"Audit Log Settings Changed" in response.content
    )


def test_ingestion_refuses_operator_types(api_client, member):
    """Only auditsite records operator events: the ingestion API refuses them."""
    response = api_client.post(
        "/api/v1/events/",
        {"event_type": "AuditLogSettingsChanged", "event_data": {}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "event_type"
    assert not _operator_events()


def test_one_update_helper_saves_only_changed_fields(employee):
    """The shared helper returns old/new of what changed and saves nothing else."""
    diff = services.settings_update(
        actor=employee, changes={"includes_employees": True}
    )
    assert not _operator_events()
    assert diff.includes_employees is True
    role = Role.objects.get(name="Member")
    result = services.fields_update(
        instance=role, changes={"name": "Member"}, allowed={"name"}
    )
    assert not result and result.old == {}
    with pytest.raises(ValueError):
        services.fields_update(instance=role, changes={"id": 9}, allowed={"name"})
