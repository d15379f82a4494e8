"""An org's SCIM key: create (shown once, replacing the active one), revoke, look up.

A key looks like ``sc_k3x9q2mw_<43 random url-safe characters>``; only its
SHA-256 and the visible prefix are stored, as for operator API keys
(``audit.apikeys``). An org has one active key at a time: creating a key
revokes the one before it in the same transaction, so an IT admin rotates
by creating a new key and pasting it into the identity provider (the old one
stops working at once). Creating records `OrgSCIMKeyCreated`, revoking
`OrgSCIMKeyRevoked`, in the org's log; neither event holds the key or its
hash.
"""

from __future__ import annotations

import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from audit.apikeys import LAST_USED_RESOLUTION, PREFIX_ALPHABET
from audit.apikeys import _hash as key_hash
from audit.catalog import T
from audit.models import CausedByType, Organization, ScimKey, User
from audit.services.events import Actor, event_record

SCIM_PREFIX = "sc_"
PREFIX_LENGTH = len(SCIM_PREFIX) + 8


def _user_of(actor: Actor) -> User | None:
    if actor.type in (CausedByType.EMPLOYEE, CausedByType.USER) and actor.id:
        return User.objects.filter(pk=actor.id).first()
    return None


def scim_key_active(*, org: Organization) -> ScimKey | None:
    """The org's unrevoked SCIM key, if it has one."""
    return (
        ScimKey.objects.filter(org=org, revoked_at__isnull=True)
        .select_related("created_by")
        .first()
    )


@transaction.atomic
def scim_key_create(*, actor: Actor, org: Organization) -> tuple[ScimKey, str]:
    """Create the org's SCIM key; returns the row and the key (shown once).

    An active key is revoked first (`OrgSCIMKeyRevoked`), then the new one
    records `OrgSCIMKeyCreated`.
    """
    Organization.objects.select_for_update().get(pk=org.pk)
    previous = scim_key_active(org=org)
    if previous is not None:
        scim_key_revoke(actor=actor, scim_key=previous)
    while True:
        prefix = SCIM_PREFIX + "".join(
            secrets.choice(PREFIX_ALPHABET) for _ in range(8)
        )
        if not ScimKey.objects.filter(prefix=prefix).exists():
            break
    raw_key = f"{prefix}_{secrets.token_urlsafe(32)}"
    scim_key = ScimKey.objects.create(
        org=org, prefix=prefix, key_hash=key_hash(raw_key), created_by=_user_of(actor)
    )
    event_record(
        event_type=T.OrgSCIMKeyCreated,
        actor=actor,
        org=org,
        details={"prefix": prefix},
    )
    return scim_key, raw_key


@transaction.atomic
def scim_key_revoke(*, actor: Actor, scim_key: ScimKey) -> ScimKey:
    """Revoke a SCIM key: from now on it gets 401; records `OrgSCIMKeyRevoked`.

    Revoking twice changes nothing and records nothing.
    """
    scim_key = (
        ScimKey.objects.select_for_update().select_related("org").get(pk=scim_key.pk)
    )
    if scim_key.revoked_at is None:
        scim_key.revoked_at = timezone.now()
        scim_key.save(update_fields=["revoked_at"])
        event_record(
            event_type=T.OrgSCIMKeyRevoked,
            actor=actor,
            org=scim_key.org,
            details={"prefix": scim_key.prefix},
        )
    return scim_key


def scim_key_for_raw_key(raw_key: str) -> ScimKey | None:
    """The unrevoked SCIM key whose full value is ``raw_key``, else None.

    Marks it used, at most once a minute.
    """
    prefix = raw_key[:PREFIX_LENGTH]
    if not prefix.startswith(SCIM_PREFIX) or raw_key[PREFIX_LENGTH:][:1] != "_":
        return None
    scim_key = ScimKey.objects.filter(prefix=prefix).select_related("org").first()
    if scim_key is None or not hmac.compare_digest(
        scim_key.key_hash, key_hash(raw_key)
    ):
        return None
    if scim_key.revoked_at is not None:
        return None
    now = timezone.now()
    if scim_key.last_used_at is None or now - scim_key.last_used_at > (
        LAST_USED_RESOLUTION
    ):
        ScimKey.objects.filter(pk=scim_key.pk).update(last_used_at=now)
        scim_key.last_used_at = now
    return scim_key
