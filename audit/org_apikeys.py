"""Services for an org's own API keys (SPEC section 11): create, revoke, look up.

An org key looks like ``ao_k3x9q2mw_<43 random url-safe characters>``: the
operator keys' shape (``audit.keys``) with its own ``ao_`` prefix, so that
each kind of key is recognised by its first characters and an org key is
never looked up as an operator key (or the other way round). Only the
SHA-256 and the prefix are stored; the key is shown once.

Creating and revoking record `OrgAPIKeyCreated` / `OrgAPIKeyDeleted` (org
category, about the key's org, so its members see them in their log; the
prefix, name and expiry, never the key or its hash) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.actors import Actor
from audit.catalog import T
from audit.keys import key_create, key_for_raw_key, key_revoke
from audit.models import Organization, OrgApiKey
from audit.services import event_record


def org_api_key_create(
    *,
    actor: Actor,
    org: Organization,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[OrgApiKey, str]:
    """Create a key for ``org``; returns the row and the key (shown once).

    ``ValidationError`` (nothing saved, no event) for an empty name or an
    expiry that is not in the future. Records `OrgAPIKeyCreated`.
    """
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Give the key a name."
    elif len(name) > 100:
        errors["name"] = "At most 100 characters."
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "The expiry must be in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        key, raw_key = key_create(
            OrgApiKey, actor=actor, org=org, name=name, expires_at=expires_at
        )
        event_record(
            event_type=T.OrgAPIKeyCreated,
            actor=actor,
            org=org,
            details={
                "prefix": key.prefix,
                "name": name,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return key, raw_key


def org_api_key_revoke(*, actor: Actor, key: OrgApiKey) -> OrgApiKey:
    """Revoke (delete) a key: from now on it gets 401; records `OrgAPIKeyDeleted`.

    The row stays, revoked, so the key's prefix in older events still names
    it. Revoking twice changes nothing and records nothing.
    """
    with transaction.atomic():
        return key_revoke(
            OrgApiKey.objects.select_related("org"),
            key,
            actor=actor,
            event_type=T.OrgAPIKeyDeleted,
            details=["prefix", "name"],
        )


def org_api_key_for_raw_key(raw_key: str) -> OrgApiKey | None:
    """The usable (unrevoked, unexpired) org key whose value is ``raw_key``.

    Marks it used, at most once a minute (as operator keys).
    """
    return key_for_raw_key(OrgApiKey.objects.select_related("org"), raw_key)


def org_api_keys_for(*, org: Organization):
    """The org's keys, revoked ones left out, newest first, with their creators."""
    return (
        OrgApiKey.objects.filter(org=org, revoked_at__isnull=True)
        .select_related("created_by")
        .order_by("-created_at")
    )
