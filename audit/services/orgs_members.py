"""Orgs and memberships: create, update, rename, delete; add, remove, change role."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.catalog import T
from audit.models import (
    Membership,
    Organization,
    Role,
    User,
)
from audit.services.events import Actor, event_record
from audit.services.updates import (
    fields_update,
    json_value,
    recorded_create,
    recorded_delete,
)

# --- orgs ------------------------------------------------------------------

# Org settings and the event each change records: (event when truthy/changed,
# event when turned off) - a single event for value fields.
ORG_SETTING_EVENTS: dict[str, tuple[str, str | None]] = {
    "domain": (T.OrgDomainUpdated, None),
    "domain_autojoin": (T.OrgDomainAutoJoinEnabled, T.OrgDomainAutoJoinDisabled),
    "domain_restrict": (T.OrgDomainRestrictEnabled, T.OrgDomainRestrictDisabled),
    "can_setup_saml": (T.OrgCanSetupSAMLEnabled, T.OrgCanSetupSAMLDisabled),
    "max_users": (T.OrgMaxUsersUpdated, None),
    "auto_logout_seconds": (T.OrgAutoLogoutSecondsUpdated, None),
    "require_2fa_by": (T.OrgRequire2FAByUpdated, None),
    "metadata": (T.OrgMetadataUpdated, None),
}
BOOLEAN_ORG_SETTINGS = {"domain_autojoin", "domain_restrict", "can_setup_saml"}
# Settings that have no event of their own are reported as `OrgUpdated`.
ORG_UPDATED_FIELDS = {"plan", "can_view_audit_log", "slug"}
ORG_EDITABLE_FIELDS = {"name", *ORG_SETTING_EVENTS, *ORG_UPDATED_FIELDS}


@transaction.atomic
def org_create(*, actor: Actor, name: str, slug: str, **fields: Any) -> Organization:
    """Create an org; records `OrgCreated`."""
    unknown = set(fields) - ORG_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Unknown org fields: {sorted(unknown)}")
    org = Organization(name=name, slug=slug, **fields)
    return recorded_create(
        org,
        actor=actor,
        event_type=T.OrgCreated,
        org=org,
        details={"name": org.name, "slug": org.slug, "plan": org.plan},
    )


@transaction.atomic
def org_update(
    *, actor: Actor, org: Organization, changes: dict[str, Any]
) -> Organization:
    """Apply ``changes`` to an org and record an event per changed setting.

    A rename records `OrgNameUpdated`; each setting records its own catalog
    event (`OrgDomainUpdated`, `OrgMaxUsersUpdated`, ...); the plan and the
    audit-log switch record `OrgUpdated`.
    """
    org = Organization.objects.select_for_update().get(pk=org.pk)
    diff = fields_update(instance=org, changes=changes, allowed=ORG_EDITABLE_FIELDS)
    if not diff:
        return org
    old, changed = diff

    if "name" in changed:
        event_record(
            event_type=T.OrgNameUpdated,
            actor=actor,
            org=org,
            details={"old": old["name"], "new": changed["name"]},
        )
    for name, (event_on, event_off) in ORG_SETTING_EVENTS.items():
        if name not in changed:
            continue
        if name in BOOLEAN_ORG_SETTINGS:
            event_type = event_on if changed[name] else event_off
            event_record(event_type=event_type, actor=actor, org=org)
        else:
            event_record(
                event_type=event_on,
                actor=actor,
                org=org,
                details={
                    "old": json_value(old[name]),
                    "new": json_value(changed[name]),
                },
            )
    other = [name for name in ORG_UPDATED_FIELDS if name in changed]
    if other:
        event_record(
            event_type=T.OrgUpdated,
            actor=actor,
            org=org,
            details=diff.as_details(sorted(other)),
        )
    return org


def org_rename(*, actor: Actor, org: Organization, name: str) -> Organization:
    """Rename an org; records `OrgNameUpdated`."""
    return org_update(actor=actor, org=org, changes={"name": name})


@transaction.atomic
def org_delete(*, actor: Actor, org: Organization) -> None:
    """Delete an org and its memberships; records `OrgDeleted`."""
    recorded_delete(
        org,
        actor=actor,
        event_type=T.OrgDeleted,
        org=org,
        details={"name": org.name, "slug": org.slug},
    )


# --- memberships -----------------------------------------------------------


@transaction.atomic
def membership_add(
    *, actor: Actor, org: Organization, user: User, role: Role
) -> Membership:
    """Add ``user`` to ``org`` with ``role``; records `OrgUserAdded`."""
    return recorded_create(
        Membership(org=org, user=user, role=role),
        actor=actor,
        event_type=T.OrgUserAdded,
        user=user,
        org=org,
        details={"role": role.name},
    )


@transaction.atomic
def membership_remove(*, actor: Actor, membership: Membership) -> None:
    """Remove a member from an org; records `OrgUserRemoved`."""
    recorded_delete(
        membership,
        actor=actor,
        event_type=T.OrgUserRemoved,
        user=membership.user,
        org=membership.org,
        details={"role": membership.role.name},
    )


@transaction.atomic
def membership_change_role(
    *, actor: Actor, membership: Membership, role: Role
) -> Membership:
    """Give a member another role; records `OrgUserRoleChanged`."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("role", "user", "org")
        .get(pk=membership.pk)
    )
    old_role = membership.role
    if old_role.pk == role.pk:
        return membership
    membership.role = role
    membership.save(update_fields=["role"])
    event_record(
        event_type=T.OrgUserRoleChanged,
        actor=actor,
        user=membership.user,
        org=membership.org,
        details={"old": old_role.name, "new": role.name},
    )
    return membership
