"""Users: create, update, flags, password, delete; each records its catalog event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from audit.catalog import T
from audit.models import (
    User,
)
from audit.services.bulk import (
    Created,
    ItemError,
    ItemsRejected,
    rows_create,
    with_one_retry,
)
from audit.services.events import Actor, event_record, event_record_changes
from audit.services.updates import fields_update, recorded_delete

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
    "is_active": (T.UserEnabled, T.UserDisabled),
    "locked": (T.UserLocked, T.UserUnlocked),
    "email_confirmed": (T.EmailConfirmed, None),
    "mfa_enabled": (T.EnabledMFA, T.DisabledMFA),
}
# Values whose change records its own event with old/new.
VALUE_EVENTS = {"email": T.EmailChanged, "username": T.UsernameChanged}
# Operator access: each change records an ``operator`` event with old/new.
OPERATOR_FLAG_EVENTS = {
    "is_staff": T.UserStaffStatusChanged,
    "is_superuser": T.UserSuperuserStatusChanged,
}
# What the host product's directory API may set on a user (SPEC section 10);
# operator access (staff, superuser) and passwords are never among them.
USER_DIRECTORY_FIELDS = frozenset({*METADATA_FIELDS, *FLAG_EVENTS, "email", "username"})
USER_EDITABLE_FIELDS = {
    *METADATA_FIELDS,
    *FLAG_EVENTS,
    *VALUE_EVENTS,
    *OPERATOR_FLAG_EVENTS,
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
        event_type=T.UserCreated, actor=actor, user=user, details=_user_snapshot(user)
    )
    return user


def users_create(*, actor: Actor, items: list[dict[str, Any]]) -> list[Created]:
    """Create the users of a batch, all or nothing; records `UserCreated` for each.

    Each item maps model fields (``USER_DIRECTORY_FIELDS``) to values, plus
    an optional ``id`` (the host product's UUID). An item whose ``id`` is
    stored with the same fields is not created again and records nothing
    (a retry); with other fields it is a conflict. An email or username in
    use (or repeated in the batch) is an error on that field. Raises
    :class:`ItemsRejected` with every problem; otherwise returns each item's
    user in order and whether it was created. The users and their events go
    in with one INSERT each, in one transaction; a concurrent request that
    created the same id first makes this one a retry (one row, one event).
    """
    return with_one_retry(lambda: _users_create(actor=actor, items=items))


def _normalized(fields: dict[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    if isinstance(fields.get("email"), str):
        fields["email"] = User.objects.normalize_email(fields["email"]).lower()
    if "username" in fields:
        fields["username"] = fields["username"] or None
    return fields


@transaction.atomic
def _users_create(*, actor: Actor, items: list[dict[str, Any]]) -> list[Created]:
    errors: list[ItemError] = []
    wanted = []
    for index, item in enumerate(items):
        fields = _normalized({k: v for k, v in item.items() if k != "id"})
        unknown = set(fields) - USER_DIRECTORY_FIELDS
        for name in sorted(unknown):
            errors.append(ItemError(index, name, "is not a field of a user"))
        if "email" not in fields:
            errors.append(ItemError(index, "email", "is required"))
        wanted.append((item.get("id"), fields))
    if errors:
        raise ItemsRejected(errors)

    # Directory users sign in through portal links or SSO, not a password.
    return rows_create(
        User,
        wanted,
        errors,
        noun="a user",
        unique=("email", "username"),
        actor=actor,
        event=lambda user: (T.UserCreated, user, None, _user_snapshot(user)),
        defaults={"password": make_password(None)},
    )


@transaction.atomic
def user_update(*, actor: Actor, user: User, changes: dict[str, Any]) -> User:
    """Apply ``changes`` to ``user`` and record one event per kind of change.

    Name, picture and properties changes record one `UserMetadataChanged`
    with old and new values; email and username changes record
    `EmailChanged` / `UsernameChanged`; flags record their own events
    (`UserDisabled`, `UserLocked`, `EnabledMFA`, ...); ``is_staff`` and
    ``is_superuser`` record the operator events
    `UserStaffStatusChanged` / `UserSuperuserStatusChanged` (old and new).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if "username" in changes:
        changes = {**changes, "username": changes["username"] or None}
    if "email" in changes:
        changes = {
            **changes,
            "email": User.objects.normalize_email(changes["email"]).lower(),
        }
    diff = fields_update(
        instance=user,
        changes=changes,
        allowed=USER_EDITABLE_FIELDS,
        clean_exclude=["password"],
    )
    if not diff:
        return user
    old, changed = diff

    event_record_changes(
        diff,
        METADATA_FIELDS,
        labels=METADATA_FIELDS,
        event_type=T.UserMetadataChanged,
        actor=actor,
        user=user,
    )

    def record_old_new(events: dict[str, str]) -> None:
        for name, event_type in events.items():
            if name in changed:
                event_record(
                    event_type=event_type,
                    actor=actor,
                    user=user,
                    details={"old": old[name], "new": changed[name]},
                )

    record_old_new(VALUE_EVENTS)
    for name, (on_event, off_event) in FLAG_EVENTS.items():
        if name in changed:
            event_type = on_event if changed[name] else off_event
            if event_type:
                event_record(event_type=event_type, actor=actor, user=user)
    record_old_new(OPERATOR_FLAG_EVENTS)
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
    event_record(event_type=T.PasswordChanged, actor=actor, user=user)


@transaction.atomic
def user_delete(*, actor: Actor, user: User) -> None:
    """Delete a user and their memberships; records `UserDeleted`.

    The event keeps the user's id and email: events outlive the user.
    """
    recorded_delete(
        user,
        actor=actor,
        event_type=T.UserDeleted,
        user=user,
        details={"email": user.email},
    )
