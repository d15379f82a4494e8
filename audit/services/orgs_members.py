"""Orgs and memberships: create, update, rename, delete; add, remove, change role."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from audit import hooks
from audit.catalog import T
from audit.models import (
    Membership,
    Organization,
    Role,
    User,
)
from audit.services.bulk import (
    Created,
    ItemError,
    ItemsRejected,
    duplicates,
    rows_create,
    rows_insert,
    with_one_retry,
)
from audit.services.events import (
    Actor,
    event_record,
    event_record_changes,
    event_record_many,
)
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


def _org_created_details(org: Organization) -> dict[str, Any]:
    return {"name": org.name, "slug": org.slug, "plan": org.plan}


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
        details=_org_created_details(org),
    )


def orgs_create(*, actor: Actor, items: list[dict[str, Any]]) -> list[Created]:
    """Create the orgs of a batch, all or nothing; records `OrgCreated` for each.

    As ``users_create``: items map ``ORG_EDITABLE_FIELDS`` to values plus an
    optional ``id``; a stored id with the same fields is a retry (nothing
    recorded), with other fields a conflict; a slug in use (or repeated in
    the batch) is an error on ``slug``. Raises :class:`ItemsRejected`.
    """
    return with_one_retry(lambda: _orgs_create(actor=actor, items=items))


@transaction.atomic
def _orgs_create(*, actor: Actor, items: list[dict[str, Any]]) -> list[Created]:
    errors: list[ItemError] = []
    for index, item in enumerate(items):
        for name in sorted(set(item) - ORG_EDITABLE_FIELDS - {"id"}):
            errors.append(ItemError(index, name, "is not a field of an org"))
        for name in ("name", "slug"):
            if name not in item:
                errors.append(ItemError(index, name, "is required"))
    if errors:
        raise ItemsRejected(errors)
    wanted = [
        (item.get("id"), {k: v for k, v in item.items() if k != "id"}) for item in items
    ]
    return rows_create(
        Organization,
        wanted,
        errors,
        noun="an org",
        unique=("slug",),
        actor=actor,
        event=lambda org: (T.OrgCreated, None, org, _org_created_details(org)),
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
    event_record_changes(
        diff, sorted(ORG_UPDATED_FIELDS), event_type=T.OrgUpdated, actor=actor, org=org
    )
    return org


def org_rename(*, actor: Actor, org: Organization, name: str) -> Organization:
    """Rename an org; records `OrgNameUpdated`."""
    return org_update(actor=actor, org=org, changes={"name": name})


@transaction.atomic
@transaction.atomic
def org_delete(*, actor: Actor, org: Organization) -> None:
    """Delete an org and its memberships; records `OrgDeleted`.

    First, in the same transaction, every ``audit.hooks.org_deleting``
    callback runs (``exports`` archives the org's log streams there, with
    their events); the org's events stay in the log.
    """
    hooks.org_deleting(actor=actor, org=org)
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


def role_names() -> list[str]:
    """Every role's name, for messages that list the roles."""
    return list(Role.objects.order_by("name").values_list("name", flat=True))


def memberships_create(
    *, actor: Actor, org: Organization, items: list[dict[str, Any]]
) -> list[Created]:
    """Add the members of a batch to ``org``, all or nothing; records
    `OrgUserAdded` for each (with the user and the org).

    Each item names the user by ``user_id`` or ``user_email`` and the role
    by its ``role`` name. An unknown user or role, a user named twice, or a
    user who is already a member (a conflict) raises :class:`ItemsRejected`
    with every problem; nothing is written.
    """
    return with_one_retry(
        lambda: _memberships_create(actor=actor, org=org, items=items)
    )


@transaction.atomic
def _memberships_create(
    *, actor: Actor, org: Organization, items: list[dict[str, Any]]
) -> list[Created]:
    errors: list[ItemError] = []
    ids = {item["user_id"] for item in items if item.get("user_id")}
    emails = {
        item["user_email"].strip().lower()
        for item in items
        if isinstance(item.get("user_email"), str)
    }
    users = list(User.objects.filter(Q(pk__in=ids) | Q(email__in=emails)))
    by_id = {user.pk: user for user in users}
    by_email = {user.email: user for user in users}
    roles = {role.name: role for role in Role.objects.all()}
    chosen: list[tuple[int, User | None]] = []
    for index, item in enumerate(items):
        for name in sorted(set(item) - {"user_id", "user_email", "role"}):
            errors.append(ItemError(index, name, "is not a field of a member"))
        user = None
        if item.get("user_id"):
            user = by_id.get(item["user_id"])
            if user is None:
                errors.append(ItemError(index, "user_id", "no user has this id"))
        elif item.get("user_email"):
            user = by_email.get(item["user_email"].strip().lower())
            if user is None:
                errors.append(ItemError(index, "user_email", "no user has this email"))
        else:
            errors.append(
                ItemError(index, "user_id", "user_id or user_email is required")
            )
        if item.get("user_id") and item.get("user_email") and user is not None:
            if user.email != item["user_email"].strip().lower():
                errors.append(
                    ItemError(index, "user_email", "is not the email of user_id")
                )
        if "role" not in item:
            errors.append(ItemError(index, "role", "is required"))
        elif item["role"] not in roles:
            errors.append(
                ItemError(
                    index,
                    "role",
                    f"is not a role: choose from {', '.join(sorted(roles))}",
                )
            )
        chosen.append((index, user))
    for index, earlier in duplicates(
        [(i, u.pk if u else None) for i, u in chosen]
    ).items():
        errors.append(
            ItemError(index, "user_id", f"repeats the user of item {earlier}")
        )
    members = set(
        Membership.objects.filter(
            org=org, user__in=[u for _, u in chosen if u is not None]
        ).values_list("user_id", flat=True)
    )
    for index, user in chosen:
        if user is not None and user.pk in members:
            errors.append(
                ItemError(
                    index, "user_id", f"{user.email} is already a member", conflict=True
                )
            )
    if errors:
        raise ItemsRejected(errors)
    rows = [
        Membership(org=org, user=user, role=roles[items[index]["role"]])
        for index, user in chosen
    ]
    rows_insert(Membership, rows)
    event_record_many(
        actor=actor,
        events=[
            (T.OrgUserAdded, row.user, org, {"role": row.role.name}) for row in rows
        ],
    )
    return [Created(row, True) for row in rows]


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
