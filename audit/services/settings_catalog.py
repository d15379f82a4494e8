"""Operator configuration: audit-log settings, roles, org permissions, custom types.

Each change records its ``operator`` event (SPEC 7) in the same transaction,
naming the actor and the old and new values.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.catalog import OPERATOR, T
from audit.models import AuditSettings, EventType, OrgPermission, Role
from audit.selectors import audit_settings_load
from audit.services.events import Actor, event_record
from audit.services.updates import (
    fields_update,
    recorded_create,
    recorded_delete,
    recorded_update,
)

SETTINGS_FIELDS = frozenset(
    {
        "all_orgs_can_view_audit_log",
        "includes_impersonation",
        "includes_api_keys",
        "includes_employees",
    }
)
ROLE_FIELDS = frozenset({"name"})
ORG_PERMISSION_FIELDS = frozenset({"codename", "name"})
EVENT_TYPE_FIELDS = frozenset({"event_type", "name", "category", "template"})
# Per catalog model: its editable fields, its change event, and the detail
# (and field) that names the row in that event.
_UPDATES = {
    Role: (ROLE_FIELDS, T.RoleChanged, "role", "name"),
    OrgPermission: (
        ORG_PERMISSION_FIELDS,
        T.OrgPermissionChanged,
        "permission",
        "codename",
    ),
    EventType: (EVENT_TYPE_FIELDS, T.CustomEventTypeChanged, "type", "event_type"),
}


def _catalog_update(*, actor: Actor, row, changes: dict[str, Any]):
    """Lock ``row``, apply ``changes``, record its model's change event
    (naming the row as it is after the change)."""
    allowed, event_type, detail, name_field = _UPDATES[type(row)]
    row = type(row).objects.select_for_update().get(pk=row.pk)
    recorded_update(
        row,
        actor=actor,
        changes=changes,
        allowed=allowed,
        event_type=event_type,
        details={detail: changes.get(name_field, getattr(row, name_field))},
    )
    return row


# --- audit-log settings -------------------------------------------------------


@transaction.atomic
def settings_update(*, actor: Actor, changes: dict[str, Any]) -> AuditSettings:
    """Change the global audit-log settings; records `AuditLogSettingsChanged`."""
    row = audit_settings_load()
    row = AuditSettings.objects.select_for_update().get(pk=row.pk)
    diff = fields_update(instance=row, changes=changes, allowed=SETTINGS_FIELDS)
    if diff:
        event_record(
            event_type=T.AuditLogSettingsChanged, actor=actor, details=diff.as_details()
        )
    return row


# --- roles --------------------------------------------------------------------


def _codenames(permissions) -> list[str]:
    return sorted(permission.codename for permission in permissions)


@transaction.atomic
def role_create(*, actor: Actor, name: str, permissions=()) -> Role:
    """Create a role with ``permissions``; records `RoleCreated`."""
    role = recorded_create(
        Role(name=name),
        actor=actor,
        event_type=T.RoleCreated,
        details={"role": name, "permissions": _codenames(permissions)},
    )
    role.permissions.set(permissions)
    return role


@transaction.atomic
def role_update(*, actor: Actor, role: Role, changes: dict[str, Any]) -> Role:
    """Rename a role; records `RoleChanged` with old and new values."""
    return _catalog_update(actor=actor, row=role, changes=changes)


@transaction.atomic
def role_permissions_set(*, actor: Actor, role: Role, permissions) -> Role:
    """Give ``role`` exactly ``permissions``.

    Records one `RolePermissionAdded` per permission added and one
    `RolePermissionRemoved` per permission taken away.
    """
    role = Role.objects.select_for_update().get(pk=role.pk)
    before = {p.pk: p for p in role.permissions.all()}
    after = {p.pk: p for p in permissions}
    added = [after[pk] for pk in after.keys() - before.keys()]
    removed = [before[pk] for pk in before.keys() - after.keys()]
    if removed:
        role.permissions.remove(*removed)
    if added:
        role.permissions.add(*added)
    for event_type, changed in (
        (T.RolePermissionAdded, added),
        (T.RolePermissionRemoved, removed),
    ):
        for permission in sorted(changed, key=lambda p: p.codename):
            event_record(
                event_type=event_type,
                actor=actor,
                details={"role": role.name, "permission": permission.codename},
            )
    return role


@transaction.atomic
def role_delete(*, actor: Actor, role: Role) -> None:
    """Delete a role no membership uses; records `RoleDeleted`."""
    recorded_delete(
        role,
        actor=actor,
        event_type=T.RoleDeleted,
        details={
            "role": role.name,
            "permissions": _codenames(role.permissions.all()),
        },
    )


# --- org permissions -----------------------------------------------------------


@transaction.atomic
def org_permission_create(*, actor: Actor, codename: str, name: str) -> OrgPermission:
    """Create an org permission; records `OrgPermissionCreated`."""
    return recorded_create(
        OrgPermission(codename=codename, name=name),
        actor=actor,
        event_type=T.OrgPermissionCreated,
        details={"permission": codename, "name": name},
    )


@transaction.atomic
def org_permission_update(
    *, actor: Actor, permission: OrgPermission, changes: dict[str, Any]
) -> OrgPermission:
    """Change an org permission; records `OrgPermissionChanged` (old and new)."""
    return _catalog_update(actor=actor, row=permission, changes=changes)


@transaction.atomic
def org_permission_delete(*, actor: Actor, permission: OrgPermission) -> None:
    """Delete an org permission (roles lose it); records `OrgPermissionDeleted`."""
    recorded_delete(
        permission,
        actor=actor,
        event_type=T.OrgPermissionDeleted,
        details={"permission": permission.codename, "name": permission.name},
    )


# --- custom event types --------------------------------------------------------


def _refuse_builtin(event_type: EventType) -> None:
    if event_type.builtin:
        raise ValidationError("Built-in event types are the catalog: read-only.")


def _refuse_operator(category: str) -> None:
    if category == OPERATOR:
        raise ValidationError(
            {"category": "Only auditsite records operator events: pick user or org."}
        )


@transaction.atomic
def event_type_create(
    *, actor: Actor, event_type: str, name: str, category: str, template: str = ""
) -> EventType:
    """Create a custom event type; records `CustomEventTypeCreated`."""
    _refuse_operator(category)
    fields = {"name": name, "category": category, "template": template}
    return recorded_create(
        EventType(event_type=event_type, **fields),
        actor=actor,
        event_type=T.CustomEventTypeCreated,
        details={"type": event_type, **fields},
    )


@transaction.atomic
def event_type_update(
    *, actor: Actor, event_type: EventType, changes: dict[str, Any]
) -> EventType:
    """Change a custom event type; records `CustomEventTypeChanged` (old and new)."""
    _refuse_builtin(event_type)
    if "category" in changes:
        _refuse_operator(changes["category"])
    return _catalog_update(actor=actor, row=event_type, changes=changes)


@transaction.atomic
def event_type_delete(*, actor: Actor, event_type: EventType) -> None:
    """Delete a custom event type; records `CustomEventTypeDeleted`."""
    _refuse_builtin(event_type)
    recorded_delete(
        event_type,
        actor=actor,
        event_type=T.CustomEventTypeDeleted,
        details={"type": event_type.event_type, "name": event_type.name},
    )
