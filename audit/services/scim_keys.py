"""An org's SCIM key: create (shown once, replacing the active one), revoke, look up.

A key looks like ``sc_k3x9q2mw_<43 random url-safe characters>``; only its
SHA-256 and the visible prefix are stored, as for every key (``audit.keys``).
An org has one active key at a time: creating a key revokes the one before
it in the same transaction, so an IT admin rotates by creating a new key and
pasting it into the identity provider (the old one stops working at once).
Creating records `OrgSCIMKeyCreated`, revoking `OrgSCIMKeyRevoked`, in the
org's log; neither event holds the key or its hash.
"""

from __future__ import annotations

from django.db import transaction

from audit.catalog import T
from audit.keys import key_create, key_for_raw_key, key_revoke
from audit.models import Organization, ScimKey
from audit.services.events import Actor, event_record


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
    scim_key, raw_key = key_create(ScimKey, actor=actor, org=org)
    event_record(
        event_type=T.OrgSCIMKeyCreated,
        actor=actor,
        org=org,
        details={"prefix": scim_key.prefix},
    )
    return scim_key, raw_key


@transaction.atomic
def scim_key_revoke(*, actor: Actor, scim_key: ScimKey) -> ScimKey:
    """Revoke a SCIM key: from now on it gets 401; records `OrgSCIMKeyRevoked`.

    Revoking twice changes nothing and records nothing.
    """
    return key_revoke(
        ScimKey.objects.select_related("org"),
        scim_key,
        actor=actor,
        event_type=T.OrgSCIMKeyRevoked,
        details=["prefix"],
    )


def scim_key_for_raw_key(raw_key: str) -> ScimKey | None:
    """The unrevoked SCIM key whose full value is ``raw_key``, else None.

    Marks it used, at most once a minute.
    """
    return key_for_raw_key(ScimKey.objects.select_related("org"), raw_key)
