"""Writes: every change auditsite makes records its audit event here.

Each service is keyword-only, takes the ``actor`` that caused the change and
records the matching catalog event in the same ``transaction.atomic()`` as
the change, so a change without its event (or the reverse) cannot commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.catalog import BUILTIN_BY_TYPE
from audit.models import (
    AuditEvent,
    CausedByType,
    EventType,
    Membership,
    Organization,
    Role,
    User,
)


@dataclass(frozen=True)
class Actor:
    """Who caused a change, and from where (the ``caused_by_*`` fields)."""

    type: str
    id: str = ""
    metadata: dict[str, Any] | None = None
    source_ip: str | None = None
    user_agent: str = ""
    impersonator_id: str | None = None
    impersonator_metadata: dict[str, Any] | None = field(default=None)

    @classmethod
    def system(cls) -> Actor:
        return cls(type=CausedByType.SYSTEM, metadata={"name": "auditsite"})

    @classmethod
    def for_user(cls, user: User, request: HttpRequest | None = None) -> Actor:
        """A user acting on their own account or org (customer pages)."""
        return cls(
            type=CausedByType.USER,
            id=str(user.pk),
            metadata={"email": user.email},
            **_request_origin(request),
        )

    @classmethod
    def for_employee(cls, user: User, request: HttpRequest | None = None) -> Actor:
        """A staff user working in the admin."""
        return cls(
            type=CausedByType.EMPLOYEE,
            id=str(user.pk),
            metadata={"email": user.email},
            **_request_origin(request),
        )

    @classmethod
    def for_api_key(cls, api_key, request: HttpRequest | None = None) -> Actor:
        """A service sending events with an operator API key."""
        return cls(
            type=CausedByType.API_KEY,
            id=api_key.prefix,
            metadata={"name": api_key.name},
            **_request_origin(request),
        )

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        """Employee for staff in the admin, User for anyone else."""
        user = request.user
        if user.is_staff and request.path.startswith("/admin/"):
            return cls.for_employee(user, request)
        return cls.for_user(user, request)


def _request_origin(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {}
    # REMOTE_ADDR is the peer; a proxy's X-Forwarded-For is trusted only when
    # the operator says so (see README), otherwise any client could forge it.
    from django.conf import settings

    ip = request.META.get("REMOTE_ADDR") or None
    if getattr(settings, "AUDITSITE_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            ip = forwarded.split(",")[0].strip() or ip
    return {
        "source_ip": ip,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:1000],
    }


def _category_of(event_type: str) -> str:
    builtin = BUILTIN_BY_TYPE.get(event_type)
    if builtin:
        return builtin["category"]
    return EventType.objects.values_list("category", flat=True).get(
        event_type=event_type
    )


def event_record(
    *,
    event_type: str,
    actor: Actor,
    user: User | None = None,
    org: Organization | None = None,
    details: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> AuditEvent:
    """Record one catalog event about ``user`` and/or ``org`` caused by ``actor``.

    Call it inside the transaction of the change it describes.
    """
    now = timezone.now()
    return AuditEvent.objects.create(
        uuid=uuid.uuid4(),
        user_id=user.pk if user else None,
        user_email=user.email if user else "",
        org_id=org.pk if org else None,
        org_name=org.name if org else "",
        event_type=event_type,
        category=_category_of(event_type),
        event_data={event_type: details or {}},
        created_at=created_at or now,
        recorded_at=now,
        caused_by_type=actor.type,
        caused_by_id=actor.id,
        caused_by_metadata=actor.metadata,
        caused_by_source_ip=actor.source_ip,
        caused_by_user_agent=actor.user_agent,
        impersonator_id=actor.impersonator_id,
        impersonator_metadata=actor.impersonator_metadata,
    )


# --- users -----------------------------------------------------------------

# Fields whose change is a "metadata" change, with the key used in event_data
# (the camelCase of the SPEC's example description).
METADATA_FIELDS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "picture_url": "pictureUrl",
    "properties": "properties",
}
# Boolean flags and the events that turning them on / off records.
FLAG_EVENTS = {
    "is_active": ("UserEnabled", "UserDisabled"),
    "locked": ("UserLocked", "UserUnlocked"),
    "email_confirmed": ("EmailConfirmed", None),
    "mfa_enabled": ("EnabledMFA", "DisabledMFA"),
}
USER_EDITABLE_FIELDS = {
    *METADATA_FIELDS,
    *FLAG_EVENTS,
    "email",
    "username",
    "is_staff",
    "is_superuser",
    "time_zone",
}


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "email_confirmed": user.email_confirmed,
        "first_name": user.first_name or None,
        "last_name": user.last_name or None,
        "picture_url": user.picture_url or None,
        "properties": user.properties or {},
        "username": user.username or None,
    }


@transaction.atomic
def user_create(
    *, actor: Actor, email: str, password: str | None = None, **fields: Any
) -> User:
    """Create a user and record `UserCreated` with its initial profile."""
    unknown = set(fields) - USER_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Unknown user fields: {sorted(unknown)}")
    user = User(email=User.objects.normalize_email(email).lower(), **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    event_record(
        event_type="UserCreated", actor=actor, user=user, details=_user_snapshot(user)
    )
    return user


@transaction.atomic
def user_update(*, actor: Actor, user: User, changes: dict[str, Any]) -> User:
    """Apply ``changes`` to ``user`` and record one event per kind of change.

    Name, picture and properties changes record one `UserMetadataChanged`
    with old and new values; email and username changes record
    `EmailChanged` / `UsernameChanged`; flags record their own events
    (`UserDisabled`, `UserLocked`, `EnabledMFA`, ...).
    """
    unknown = set(changes) - USER_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Unknown user fields: {sorted(unknown)}")
    user = User.objects.select_for_update().get(pk=user.pk)
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"]).lower()
    old = {name: getattr(user, name) for name in changes}
    changed = {name: value for name, value in changes.items() if old[name] != value}
    if not changed:
        return user
    for name, value in changed.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changed))

    metadata = [name for name in METADATA_FIELDS if name in changed]
    if metadata:
        event_record(
            event_type="UserMetadataChanged",
            actor=actor,
            user=user,
            details={
                "old": {METADATA_FIELDS[n]: old[n] for n in metadata},
                "new": {METADATA_FIELDS[n]: changed[n] for n in metadata},
            },
        )
    if "email" in changed:
        event_record(
            event_type="EmailChanged",
            actor=actor,
            user=user,
            details={"old": old["email"], "new": changed["email"]},
        )
    if "username" in changed:
        event_record(
            event_type="UsernameChanged",
            actor=actor,
            user=user,
            details={"old": old["username"], "new": changed["username"]},
        )
    for name, (on_event, off_event) in FLAG_EVENTS.items():
        if name in changed:
            event_type = on_event if changed[name] else off_event
            if event_type:
                event_record(event_type=event_type, actor=actor, user=user)
    return user


def user_disable(*, actor: Actor, user: User) -> User:
    """Disable a user (cannot sign in); records `UserDisabled`."""
    return user_update(actor=actor, user=user, changes={"is_active": False})


def user_enable(*, actor: Actor, user: User) -> User:
    """Enable a user again; records `UserEnabled`."""
    return user_update(actor=actor, user=user, changes={"is_active": True})


def user_lock(*, actor: Actor, user: User) -> User:
    """Lock a user out; records `UserLocked`."""
    return user_update(actor=actor, user=user, changes={"locked": True})


def user_unlock(*, actor: Actor, user: User) -> User:
    """Unlock a user; records `UserUnlocked`."""
    return user_update(actor=actor, user=user, changes={"locked": False})


def user_change_email(*, actor: Actor, user: User, email: str) -> User:
    """Change a user's email (their login); records `EmailChanged`."""
    return user_update(actor=actor, user=user, changes={"email": email})


def user_change_username(*, actor: Actor, user: User, username: str | None) -> User:
    """Change a user's username; records `UsernameChanged`."""
    return user_update(actor=actor, user=user, changes={"username": username or None})


def user_change_metadata(*, actor: Actor, user: User, **fields: Any) -> User:
    """Change name, picture or properties; records `UserMetadataChanged`."""
    unknown = set(fields) - set(METADATA_FIELDS)
    if unknown:
        raise ValueError(f"Not metadata fields: {sorted(unknown)}")
    return user_update(actor=actor, user=user, changes=fields)


@transaction.atomic
def user_password_changed(*, actor: Actor, user: User) -> None:
    """Record `PasswordChanged` for a password the caller has just set.

    Django's password forms save the hash themselves; call this in the same
    transaction. The password never goes into the event.
    """
    event_record(event_type="PasswordChanged", actor=actor, user=user)


@transaction.atomic
def user_delete(*, actor: Actor, user: User) -> None:
    """Delete a user and their memberships; records `UserDeleted`.

    The event keeps the user's id and email: events outlive the user.
    """
    event_record(
        event_type="UserDeleted", actor=actor, user=user, details={"email": user.email}
    )
    user.delete()


# --- orgs ------------------------------------------------------------------

# Org settings and the event each change records: (event when truthy/changed,
# event when turned off) - a single event for value fields.
ORG_SETTING_EVENTS: dict[str, tuple[str, str | None]] = {
    "domain": ("OrgDomainUpdated", None),
    "domain_autojoin": ("OrgDomainAutoJoinEnabled", "OrgDomainAutoJoinDisabled"),
    "domain_restrict": ("OrgDomainRestrictEnabled", "OrgDomainRestrictDisabled"),
    "can_setup_saml": ("OrgCanSetupSAMLEnabled", "OrgCanSetupSAMLDisabled"),
    "max_users": ("OrgMaxUsersUpdated", None),
    "auto_logout_seconds": ("OrgAutoLogoutSecondsUpdated", None),
    "require_2fa_by": ("OrgRequire2FAByUpdated", None),
    "metadata": ("OrgMetadataUpdated", None),
}
BOOLEAN_ORG_SETTINGS = {"domain_autojoin", "domain_restrict", "can_setup_saml"}
# Settings that have no event of their own are reported as `OrgUpdated`.
ORG_UPDATED_FIELDS = {"plan", "can_view_audit_log", "slug"}
ORG_EDITABLE_FIELDS = {"name", *ORG_SETTING_EVENTS, *ORG_UPDATED_FIELDS}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@transaction.atomic
def org_create(*, actor: Actor, name: str, slug: str, **fields: Any) -> Organization:
    """Create an org; records `OrgCreated`."""
    unknown = set(fields) - ORG_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Unknown org fields: {sorted(unknown)}")
    org = Organization(name=name, slug=slug, **fields)
    org.full_clean()
    org.save()
    event_record(
        event_type="OrgCreated",
        actor=actor,
        org=org,
        details={"name": org.name, "slug": org.slug, "plan": org.plan},
    )
    return org


@transaction.atomic
def org_update(
    *, actor: Actor, org: Organization, changes: dict[str, Any]
) -> Organization:
    """Apply ``changes`` to an org and record an event per changed setting.

    A rename records `OrgNameUpdated`; each setting records its own catalog
    event (`OrgDomainUpdated`, `OrgMaxUsersUpdated`, ...); the plan and the
    audit-log switch record `OrgUpdated`.
    """
    unknown = set(changes) - ORG_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Unknown org fields: {sorted(unknown)}")
    org = Organization.objects.select_for_update().get(pk=org.pk)
    old = {name: getattr(org, name) for name in changes}
    changed = {name: value for name, value in changes.items() if old[name] != value}
    if not changed:
        return org
    for name, value in changed.items():
        setattr(org, name, value)
    org.full_clean()
    org.save(update_fields=list(changed))

    if "name" in changed:
        event_record(
            event_type="OrgNameUpdated",
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
                    "old": _json_value(old[name]),
                    "new": _json_value(changed[name]),
                },
            )
    other = [name for name in ORG_UPDATED_FIELDS if name in changed]
    if other:
        event_record(
            event_type="OrgUpdated",
            actor=actor,
            org=org,
            details={
                "old": {n: _json_value(old[n]) for n in sorted(other)},
                "new": {n: _json_value(changed[n]) for n in sorted(other)},
            },
        )
    return org


def org_rename(*, actor: Actor, org: Organization, name: str) -> Organization:
    """Rename an org; records `OrgNameUpdated`."""
    return org_update(actor=actor, org=org, changes={"name": name})


@transaction.atomic
def org_delete(*, actor: Actor, org: Organization) -> None:
    """Delete an org and its memberships; records `OrgDeleted`."""
    event_record(
        event_type="OrgDeleted",
        actor=actor,
        org=org,
        details={"name": org.name, "slug": org.slug},
    )
    org.delete()


# --- memberships -----------------------------------------------------------


@transaction.atomic
def membership_add(
    *, actor: Actor, org: Organization, user: User, role: Role
) -> Membership:
    """Add ``user`` to ``org`` with ``role``; records `OrgUserAdded`."""
    membership = Membership(org=org, user=user, role=role)
    membership.full_clean()
    membership.save()
    event_record(
        event_type="OrgUserAdded",
        actor=actor,
        user=user,
        org=org,
        details={"role": role.name},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: Actor, membership: Membership) -> None:
    """Remove a member from an org; records `OrgUserRemoved`."""
    event_record(
        event_type="OrgUserRemoved",
        actor=actor,
        user=membership.user,
        org=membership.org,
        details={"role": membership.role.name},
    )
    membership.delete()


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
        event_type="OrgUserRoleChanged",
        actor=actor,
        user=membership.user,
        org=membership.org,
        details={"old": old_role.name, "new": role.name},
    )
    return membership


# --- retention ---------------------------------------------------------------


@transaction.atomic
def events_delete_for_retention(*, queryset) -> int:
    """Delete the events in ``queryset``: the retention purge's narrow way through.

    Audit events are immutable; on PostgreSQL a trigger refuses UPDATE and
    DELETE unless the transaction sets ``auditsite.allow_event_delete``.
    Only the retention purge may call this, with a queryset it has already
    cut down to what may go (old enough, and delivered by every enabled
    export location). Returns the number of rows removed.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        deleted, _ = queryset.delete()
        return deleted
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL auditsite.allow_event_delete = 'on'")
        try:
            deleted, _ = queryset.delete()
        finally:
            # Close the door again even when called inside a larger transaction.
            cursor.execute("SET LOCAL auditsite.allow_event_delete = 'off'")
    return deleted


# --- customer audit log ------------------------------------------------------


@transaction.atomic
def audit_log_export_start(
    *,
    actor: Actor,
    user: User,
    org: Organization,
    format: str,
    filters: dict[str, Any],
) -> AuditEvent:
    """Record that ``user`` exported ``org``'s audit log; records `UserExportInitiated`.

    Called before the first byte of the export is sent. The returned event
    marks where the export stops: it holds the events recorded before it.
    """
    return event_record(
        event_type="UserExportInitiated",
        actor=actor,
        user=user,
        org=org,
        details={"format": format, "filters": filters},
    )
