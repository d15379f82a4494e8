"""Services for operator API keys: create (shown once), scopes, revoke, look up.

A key looks like ``as_k3x9q2mw_<43 random url-safe characters>``: the one
scheme of every key (``audit.keys``), shown once, stored as its SHA-256.

Creating and revoking a key records the ``operator`` events
`OperatorAPIKeyCreated` / `OperatorAPIKeyRevoked` (prefix and name; never
the key or its hash) in the same transaction. The key row itself also keeps
who created and who revoked it, and when. A key holds scopes
(``audit.scopes.Scope``); changing them records
`OperatorAPIKeyScopesChanged` with the old and new scopes.
"""

from __future__ import annotations

from django.db import transaction

from audit.actors import Actor
from audit.catalog import T
from audit.keys import key_create, key_for_raw_key, key_revoke
from audit.models import ApiKey
from audit.scopes import scopes_clean
from audit.services import event_record


@transaction.atomic
def api_key_create(
    *, name: str, scopes: list[str] | None = None, actor: Actor | None = None
) -> tuple[ApiKey, str]:
    """Create a key named ``name``; returns the row and the key (shown once).

    The key holds ``scopes`` (``events:write`` only when none are given; an
    unknown scope is a ``ValueError``). Records `OperatorAPIKeyCreated` with
    the scopes. ``actor`` None is the command line (``System``).
    """
    actor = actor or Actor.system()
    name = (name or "").strip()
    if not name:
        raise ValueError("An API key needs a name.")
    scopes = scopes_clean(scopes)
    api_key, raw_key = key_create(ApiKey, actor=actor, name=name[:100], scopes=scopes)
    event_record(
        event_type=T.OperatorAPIKeyCreated,
        actor=actor,
        details={"prefix": api_key.prefix, "name": api_key.name, "scopes": scopes},
    )
    return api_key, raw_key


@transaction.atomic
def api_key_set_scopes(
    *, api_key: ApiKey, scopes: list[str], actor: Actor | None = None
) -> ApiKey:
    """Give a key exactly ``scopes``; records `OperatorAPIKeyScopesChanged`.

    The event holds the old and new scopes. Setting the scopes a key already
    holds changes nothing and records nothing. A legacy key whose scopes are
    chosen is no longer marked "legacy: all scopes". ``actor`` None is the
    command line (``System``).
    """
    actor = actor or Actor.system()
    scopes = scopes_clean(scopes)
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    old = list(api_key.scopes or [])
    if old == scopes:
        return api_key
    api_key.scopes = scopes
    api_key.legacy_all_scopes = False
    api_key.save(update_fields=["scopes", "legacy_all_scopes"])
    event_record(
        event_type=T.OperatorAPIKeyScopesChanged,
        actor=actor,
        details={
            "prefix": api_key.prefix,
            "name": api_key.name,
            "old": old,
            "new": scopes,
        },
    )
    return api_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Actor | None = None) -> ApiKey:
    """Revoke a key: from now on it gets 401; records `OperatorAPIKeyRevoked`.

    Revoking twice changes nothing and records nothing. ``actor`` None is
    the command line (``System``).
    """
    actor = actor or Actor.system()
    return key_revoke(
        ApiKey.objects.all(),
        api_key,
        actor=actor,
        event_type=T.OperatorAPIKeyRevoked,
        details=["prefix", "name"],
    )


def api_key_for_raw_key(raw_key: str) -> ApiKey | None:
    """The unrevoked key whose full value is ``raw_key``, else None.

    Marks it used (at most once a minute, so a busy key does not turn every
    request into a row update).
    """
    return key_for_raw_key(ApiKey.objects.all(), raw_key)
