"""Reads scoped to one org's SCIM tenant: the users and roles its key may see."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from audit.models import (
    Membership,
    Organization,
    OrgPermission,
    Role,
    ScimMembership,
    User,
)


def scim_users_for_org(*, org: Organization) -> QuerySet[User]:
    """The users ``org``'s SCIM key sees: its members and the ones SCIM deactivated.

    Each user carries ``scim_active`` (a member of the org now),
    ``scim_external_id``, ``scim_role_id`` / ``scim_role_name`` (their role
    here, when active) and the times of the membership and the SCIM record.
    """
    member = Membership.objects.filter(org=org, user=OuterRef("pk"))
    known = ScimMembership.objects.filter(org=org, user=OuterRef("pk"))
    return (
        User.objects.annotate(
            scim_active=Exists(member),
            scim_known=Exists(known),
            scim_external_id=Subquery(known.values("external_id")[:1]),
            scim_created_at=Subquery(known.values("created_at")[:1]),
            scim_updated_at=Subquery(known.values("updated_at")[:1]),
            scim_member_since=Subquery(member.values("created_at")[:1]),
            scim_role_id=Subquery(member.values("role_id")[:1]),
            scim_role_name=Subquery(member.values("role__name")[:1]),
        )
        .filter(Q(scim_active=True) | Q(scim_known=True))
        .order_by("email")
    )


def scim_user_for_org(*, org: Organization, user_id: str) -> User | None:
    """One user ``org``'s key may see, by id; None for anyone else (a 404)."""
    try:
        pk = uuid.UUID(str(user_id))
    except ValueError:
        return None
    return scim_users_for_org(org=org).filter(pk=pk).first()


def scim_roles() -> QuerySet[Role]:
    """The operator's roles, which SCIM shows as groups, by name."""
    return Role.objects.order_by("name")


def scim_role_members(*, org: Organization, role: Role) -> QuerySet[Membership]:
    """``org``'s memberships with ``role``, by email."""
    return (
        Membership.objects.filter(org=org, role=role)
        .select_related("user")
        .order_by("user__email")
    )


def org_for_scim_manager(*, user, slug: str) -> Organization:
    """The org at ``slug`` if ``user``'s role there has `Manage SCIM`; else 403.

    An unknown slug is refused like a forbidden one (no hint that it exists).
    """
    org = (
        Organization.objects.filter(
            slug=slug,
            memberships__user=user,
            memberships__role__permissions__codename=OrgPermission.MANAGE_SCIM,
        )
        .distinct()
        .first()
    )
    if org is None:
        raise PermissionDenied("You cannot manage this organization's SCIM.")
    return org
