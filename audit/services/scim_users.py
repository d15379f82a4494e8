"""SCIM provisioning: an org's identity provider adds, changes and removes members.

Every change goes through the user and membership services, so it records
the same catalog events as any other path (`UserCreated`, `OrgUserAdded`,
`OrgUserRemoved`, `OrgUserRoleChanged`, `UserMetadataChanged`,
`EmailChanged`), with the caller's ``actor`` (``Scim``, the key's id).

Rules (docs/scim.md):
- A user is *active* in the org when they are a member of it. Deactivating
  ends the membership (`OrgUserRemoved`) and keeps a ``ScimMembership`` row,
  so the org's key still reads the user, inactive; reactivating adds them
  back with the role they had. Deleting forgets them for the org.
- Nothing here touches the user's other orgs. The account itself (names,
  email) changes only when this org's SCIM created it: an account that
  already existed is shared with whoever else it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import Membership, Organization, Role, ScimMembership, User
from audit.services.events import Actor
from audit.services.orgs_members import (
    membership_add,
    membership_change_role,
    membership_remove,
)
from audit.services.users import user_create, user_update


class ScimProblem(Exception):
    """A request the SCIM endpoint refuses: HTTP status, SCIM ``scimType``, detail."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


@dataclass(frozen=True)
class ScimUserState:
    """What the identity provider says a user should be (a whole User resource)."""

    email: str
    active: bool = True
    external_id: str = ""
    first_name: str | None = None
    last_name: str | None = None


def _clean_email(email: str) -> str:
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ScimProblem(
            400, "userName must be an email address.", "invalidValue"
        ) from None
    return email


def scim_default_role() -> Role:
    """The role SCIM gives new members: ``AUDITSITE_SCIM_DEFAULT_ROLE``."""
    role = Role.objects.filter(name=settings.AUDITSITE_SCIM_DEFAULT_ROLE).first()
    if role is None:
        raise ScimProblem(
            409,
            f"The role {settings.AUDITSITE_SCIM_DEFAULT_ROLE!r} that new members get "
            "(AUDITSITE_SCIM_DEFAULT_ROLE) does not exist; ask the operator.",
        )
    return role


# Model fields named as the identity provider knows them, in error details.
SCIM_NAMES = {
    "first_name": "name.givenName",
    "last_name": "name.familyName",
    "email": "userName",
}


@contextmanager
def _as_scim_problems() -> Iterator[None]:
    """Model validation and lost races, as SCIM errors: 400, or 409 ``uniqueness``.

    The savepoint lets the caller's transaction go on to answer cleanly.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise ScimProblem(
            409, "Another request changed this user at the same time.", "uniqueness"
        ) from None
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise ScimProblem(400, "; ".join(exc.messages), "invalidValue") from None
        errors = [error for group in exc.error_dict.values() for error in group]
        detail = "; ".join(
            f"{SCIM_NAMES.get(field, field)}: {' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )
        if any(error.code in ("unique", "unique_together") for error in errors):
            raise ScimProblem(409, detail, "uniqueness") from None
        raise ScimProblem(400, detail, "invalidValue") from None


def _names(user: User, state: ScimUserState) -> dict[str, str]:
    changes = {}
    if state.first_name is not None and state.first_name != user.first_name:
        changes["first_name"] = state.first_name
    if state.last_name is not None and state.last_name != user.last_name:
        changes["last_name"] = state.last_name
    return changes


def _is_visible(org: Organization, user: User) -> bool:
    return (
        Membership.objects.filter(org=org, user=user).exists()
        or ScimMembership.objects.filter(org=org, user=user).exists()
    )


@transaction.atomic
def scim_user_create(*, actor: Actor, org: Organization, state: ScimUserState) -> User:
    """Provision a user into ``org``: the account if the email is new, then membership.

    An account that exists (another org's member) is reused untouched. A
    user this org already has is a 409 (``uniqueness``).
    """
    email = _clean_email(state.email)
    role = scim_default_role()
    user = User.objects.filter(email=email).first()
    created_account = user is None
    if user is not None and _is_visible(org, user):
        raise ScimProblem(
            409, f"{email} is already in this organization.", "uniqueness"
        )
    with _as_scim_problems():
        if user is None:
            user = user_create(
                actor=actor,
                email=email,
                first_name=state.first_name or "",
                last_name=state.last_name or "",
            )
        ScimMembership.objects.create(
            org=org,
            user=user,
            external_id=state.external_id[:255],
            created_account=created_account,
            inactive_role=None if state.active else role,
        )
        if state.active:
            membership_add(actor=actor, org=org, user=user, role=role)
    return user


@transaction.atomic
def scim_user_replace(
    *, actor: Actor, org: Organization, user: User, state: ScimUserState
) -> User:
    """Make ``user`` in ``org`` what ``state`` says (SCIM PUT, or a PATCH's result).

    ``active`` adds or ends the membership; ``externalId`` is kept for the
    org; names and email change only on an account this org's SCIM created
    (another account's ``userName`` cannot change: 400 ``mutability``).
    """
    record, _ = ScimMembership.objects.select_for_update().get_or_create(
        org=org, user=user
    )
    email = _clean_email(state.email)
    changes = _names(user, state) if record.created_account else {}
    if email != user.email:
        if not record.created_account:
            raise ScimProblem(
                400,
                "userName cannot change: the account was not created by this "
                "organization's SCIM.",
                "mutability",
            )
        if User.objects.filter(email=email).exclude(pk=user.pk).exists():
            raise ScimProblem(409, f"{email} belongs to another user.", "uniqueness")
        changes["email"] = email
    if changes:
        with _as_scim_problems():
            user = user_update(actor=actor, user=user, changes=changes)
    membership = (
        Membership.objects.filter(org=org, user=user).select_related("role").first()
    )
    if state.active and membership is None:
        role = record.inactive_role or scim_default_role()
        with _as_scim_problems():
            membership_add(actor=actor, org=org, user=user, role=role)
        record.inactive_role = None
    elif not state.active and membership is not None:
        record.inactive_role = membership.role
        membership_remove(actor=actor, membership=membership)
    record.external_id = state.external_id[:255]
    record.updated_at = timezone.now()
    record.save()
    return user


@transaction.atomic
def scim_user_forget(*, actor: Actor, org: Organization, user: User) -> None:
    """SCIM DELETE: end ``user``'s membership of ``org`` and forget them there.

    Records `OrgUserRemoved` if they were still a member; their account and
    other orgs stay as they are.
    """
    membership = Membership.objects.filter(org=org, user=user).first()
    if membership is not None:
        membership_remove(actor=actor, membership=membership)
    ScimMembership.objects.filter(org=org, user=user).delete()


@transaction.atomic
def scim_group_members_change(
    *,
    actor: Actor,
    org: Organization,
    role: Role,
    add: list[User],
    remove: list[User],
) -> None:
    """Give ``role`` in ``org`` to the users in ``add``; take it from ``remove``.

    A member added to the group gets the role (`OrgUserRoleChanged`); one
    removed from it falls back to the default role. For a deactivated user
    the role is kept for their reactivation. Roles themselves never change.
    """
    default = None
    for user in remove:
        membership = Membership.objects.filter(org=org, user=user, role=role).first()
        if membership is not None:
            default = default or scim_default_role()
            membership_change_role(actor=actor, membership=membership, role=default)
        ScimMembership.objects.filter(org=org, user=user, inactive_role=role).update(
            inactive_role=None, updated_at=timezone.now()
        )
    for user in add:
        membership = Membership.objects.filter(org=org, user=user).first()
        if membership is not None:
            membership_change_role(actor=actor, membership=membership, role=role)
        else:
            ScimMembership.objects.filter(org=org, user=user).update(
                inactive_role=role, updated_at=timezone.now()
            )
