"""Operator access: a user's Django groups and permissions, and the groups.

``is_staff`` and ``is_superuser`` go through ``user_update`` (users.py).
Each change records its ``operator`` event with the old and new values.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from audit.catalog import T
from audit.models import User
from audit.services.events import Actor, event_record


def _group_names(groups) -> list[str]:
    return sorted(group.name for group in groups)


def _permission_names(permissions) -> list[str]:
    return sorted(
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in permissions
    )


@transaction.atomic
def user_groups_set(*, actor: Actor, user: User, groups) -> User:
    """Put ``user`` in exactly ``groups``; records `UserGroupsChanged`."""
    user = User.objects.select_for_update().get(pk=user.pk)
    old = _group_names(user.groups.all())
    new = _group_names(groups)
    if old != new:
        user.groups.set(groups)
        event_record(
            event_type=T.UserGroupsChanged,
            actor=actor,
            user=user,
            details={"old": old, "new": new},
        )
    return user


@transaction.atomic
def user_permissions_set(*, actor: Actor, user: User, permissions) -> User:
    """Give ``user`` exactly ``permissions``; records `UserPermissionsChanged`."""
    user = User.objects.select_for_update().get(pk=user.pk)
    old = _permission_names(user.user_permissions.select_related("content_type"))
    new = _permission_names(permissions)
    if old != new:
        user.user_permissions.set(permissions)
        event_record(
            event_type=T.UserPermissionsChanged,
            actor=actor,
            user=user,
            details={"old": old, "new": new},
        )
    return user


@transaction.atomic
def group_create(*, actor: Actor, name: str, permissions=()) -> Group:
    """Create an operator group; records `GroupCreated` with its permissions."""
    group = Group(name=name)
    group.full_clean()
    group.save()
    group.permissions.set(permissions)
    event_record(
        event_type=T.GroupCreated,
        actor=actor,
        details={"group": name, "permissions": _permission_names(permissions)},
    )
    return group


@transaction.atomic
def group_update(
    *,
    actor: Actor,
    group: Group,
    name: str | None = None,
    permissions=None,
) -> Group:
    """Rename a group and/or set its permissions; records `GroupChanged`."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    old: dict = {}
    new: dict = {}
    if name is not None and name != group.name:
        old["name"], new["name"] = group.name, name
        group.name = name
        group.full_clean()
        group.save(update_fields=["name"])
    if permissions is not None:
        before = _permission_names(group.permissions.select_related("content_type"))
        after = _permission_names(permissions)
        if before != after:
            old["permissions"], new["permissions"] = before, after
            group.permissions.set(permissions)
    if new:
        event_record(
            event_type=T.GroupChanged,
            actor=actor,
            details={"group": group.name, "old": old, "new": new},
        )
    return group


@transaction.atomic
def group_delete(*, actor: Actor, group: Group) -> None:
    """Delete an operator group (its users leave it); records `GroupDeleted`."""
    event_record(
        event_type=T.GroupDeleted,
        actor=actor,
        details={
            "group": group.name,
            "members": sorted(
                str(pk) for pk in group.user_set.values_list("pk", flat=True)
            ),
        },
    )
    group.delete()
