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
from audit.services.updates import fields_update

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
    role = Role(name=name)
    role.full_clean()
    role.save()
    role.permissions.set(permissions)
    event_record(
        event_type=T.RoleCreated,
        actor=actor,
        details={"role": role.name, "permissions": _codenames(permissions)},
    )
    return role


@transaction.atomic
def role_update(*, actor: Actor, role: Role, changes: dict[str, Any]) -> Role:
    """Rename a role; records `RoleChanged` with old and new values."""
    role = Role.objects.select_for_update().get(pk=role.pk)
    diff = fields_update(instance=role, changes=changes, allowed=ROLE_FIELDS)
    if diff:
        event_record(
            event_type=T.RoleChanged,
            actor=actor,
            details={"role": role.name, **diff.as_details()},
        )
    return role


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
    event_record(
        event_type=T.RoleDeleted,
        actor=actor,
        details={
            "role": role.name,
            "permissions": _codenames(role.permissions.all()),
        },
    )
    role.delete()


# --- org permissions -----------------------------------------------------------


@transaction.atomic
def org_permission_create(*, actor: Actor, codename: str, name: str) -> OrgPermission:
    """Create an org permission; records `OrgPermissionCreated`."""
    permission = OrgPermission(codename=codename, name=name)
    permission.full_clean()
    permission.save()
    event_record(
        event_type=T.OrgPermissionCreated,
        actor=actor,
        details={"permission": codename, "name": name},
    )
    return permission


@transaction.atomic
def org_permission_update(
    *, actor: Actor, permission: OrgPermission, changes: dict[str, Any]
) -> OrgPermission:
    """Change an org permission; records `OrgPermissionChanged` (old and new)."""
    permission = OrgPermission.objects.select_for_update().get(pk=permission.pk)
    diff = fields_update(
        instance=permission, changes=changes, allowed=ORG_PERMISSION_FIELDS
    )
    if diff:
        event_record(
            event_type=T.OrgPermissionChanged,
            actor=actor,
            details={"permission": permission.codename, **diff.as_details()},
        )
    return permission


@transaction.atomic
def org_permission_delete(*, actor: Actor, permission: OrgPermission) -> None:
    """Delete an org permission (roles lose it); records `OrgPermissionDeleted`."""
    event_record(
        event_type=T.OrgPermissionDeleted,
        actor=actor,
        details={"permission": permission.codename, "name": permission.name},
    )
    permission.delete()


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
    row = EventType(
        event_type=event_type, name=name, category=category, template=template
    )
    row.full_clean()
    row.save()
    event_record(
        event_type=T.CustomEventTypeCreated,
        actor=actor,
        details={
            "type": event_type,
            "name": name,
            "category": category,
            "template": template,
        },
    )
    return row


@transaction.atomic
def event_type_update(
    *, actor: Actor, event_type: EventType, changes: dict[str, Any]
) -> EventType:
    """Change a custom event type; records `CustomEventTypeChanged` (old and new)."""
    row = EventType.objects.select_for_update().get(pk=event_type.pk)
    _refuse_builtin(row)
    if "category" in changes:
        _refuse_operator(changes["category"])
    diff = fields_update(instance=row, changes=changes, allowed=EVENT_TYPE_FIELDS)
    if diff:
        event_record(
            event_type=T.CustomEventTypeChanged,
            actor=actor,
            details={"type": row.event_type, **diff.as_details()},
        )
    return row


@transaction.atomic
def event_type_delete(*, actor: Actor, event_type: EventType) -> None:
    """Delete a custom event type; records `CustomEventTypeDeleted`."""
    _refuse_builtin(event_type)
    event_record(
        event_type=T.CustomEventTypeDeleted,
        actor=actor,
        details={"type": event_type.event_type, "name": event_type.name},
    )
    event_type.delete()
