"""Operator access: a user's Django groups and permissions, and the groups.

``is_staff`` and ``is_superuser`` go through ``user_update`` (users.py).
Each change records its ``operator`` event with the old and new values.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet

from audit.catalog import T
from audit.models import User
from audit.services.events import Actor, event_record
from audit.services.updates import recorded_create, recorded_delete


def _group_names(groups) -> list[str]:
    return sorted(group.name for group in groups)


def _permission_names(permissions) -> list[str]:
    if isinstance(permissions, QuerySet):
        permissions = permissions.select_related("content_type")
    return sorted(
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in permissions
    )


def _user_set_exactly(*, actor: Actor, user: User, relation: str, items) -> User:
    """Make ``user.<relation>`` exactly ``items``; record the relation's event
    with the old and new names when they differ."""
    names, event_type = _USER_RELATIONS[relation]
    user = User.objects.select_for_update().get(pk=user.pk)
    manager = getattr(user, relation)
    old = names(manager.all())
    new = names(items)
    if old != new:
        manager.set(items)
        event_record(
            event_type=event_type,
            actor=actor,
            user=user,
            details={"old": old, "new": new},
        )
    return user


# A user's operator access: each relation, how its members are named, its event.
_USER_RELATIONS = {
    "groups": (_group_names, T.UserGroupsChanged),
    "user_permissions": (_permission_names, T.UserPermissionsChanged),
}


@transaction.atomic
def user_groups_set(*, actor: Actor, user: User, groups) -> User:
    """Put ``user`` in exactly ``groups``; records `UserGroupsChanged`."""
    return _user_set_exactly(actor=actor, user=user, relation="groups", items=groups)


@transaction.atomic
def user_permissions_set(*, actor: Actor, user: User, permissions) -> User:
    """Give ``user`` exactly ``permissions``; records `UserPermissionsChanged`."""
    return _user_set_exactly(
        actor=actor, user=user, relation="user_permissions", items=permissions
    )


@transaction.atomic
def group_create(*, actor: Actor, name: str, permissions=()) -> Group:
    """Create an operator group; records `GroupCreated` with its permissions."""
    group = recorded_create(
        Group(name=name),
        actor=actor,
        event_type=T.GroupCreated,
        details={"group": name, "permissions": _permission_names(permissions)},
    )
    group.permissions.set(permissions)
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
        before = _permission_names(group.permissions.all())
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
    recorded_delete(
        group,
        actor=actor,
        event_type=T.GroupDeleted,
        details={
            "group": group.name,
            "members": sorted(
                str(pk) for pk in group.user_set.values_list("pk", flat=True)
            ),
        },
    )
