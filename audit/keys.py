"""The one scheme of every key: operator API keys, org API keys, SCIM keys.

A key looks like ``<kind>k3x9q2mw_<43 random url-safe characters>``, where
the kind (``as_``, ``ao_``, ``sc_``: the model's ``KIND``) says which table
holds it, so a key of one kind is never looked up as another. The part
before the second underscore is the visible ``prefix`` that finds the row;
the whole key is stored only as its SHA-256 (keys are 256-bit random, so a
fast hash is enough: there is nothing to brute-force) and shown once.

``key_new`` makes a key for a model, ``key_create`` stores one,
``key_revoke`` revokes one and records the event it is given (both inside the
caller's transaction), ``key_for_raw_key`` finds the usable row a presented
key belongs to. The services of each kind (``audit.apikeys``,
``audit.org_apikeys``, ``audit.services.scim_keys``) validate, name their own
events and record their creation events.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from datetime import timedelta
from typing import NamedTuple, TypeVar

from django.db.models import QuerySet
from django.utils import timezone

from audit.actors import Actor
from audit.models import CausedByType, SecretKey, User
from audit.services.events import event_record

PREFIX_ALPHABET = string.ascii_lowercase + string.digits
PREFIX_RANDOM_LENGTH = 8
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)

K = TypeVar("K", bound=SecretKey)


class NewKey(NamedTuple):
    """A key just made: the row's prefix and hash, and the key (shown once)."""

    prefix: str
    key_hash: str
    raw_key: str


def key_hash(raw_key: str) -> str:
    """What a row stores of its key: the SHA-256 of the whole key, in hex."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def key_new(model: type[SecretKey]) -> NewKey:
    """A new key of ``model``'s kind, with a prefix no row of it holds yet."""
    while True:
        prefix = model.KIND + "".join(
            secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_RANDOM_LENGTH)
        )
        if not model.objects.filter(prefix=prefix).exists():
            break
    raw_key = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix=prefix, key_hash=key_hash(raw_key), raw_key=raw_key)


def key_create(model: type[K], *, actor: Actor, **fields: object) -> tuple[K, str]:
    """Store a new key of ``model``'s kind with ``fields``; returns the row and
    the key (shown once).

    The row names the actor's user (if a person) as ``created_by``. Runs in
    the caller's transaction, where the caller records its own event.
    """
    new = key_new(model)
    key = model.objects.create(
        prefix=new.prefix,
        key_hash=new.key_hash,
        created_by=key_user_of(actor),
        **fields,
    )
    return key, new.raw_key


def key_revoke(
    keys: QuerySet[K], key: K, *, actor: Actor, event_type: str, details: list[str]
) -> K:
    """Lock ``key``'s row (read through ``keys``), revoke it now and record
    ``event_type`` with the key's ``details`` fields; returns the row.

    The event is about the key's org, if it has one. Revoking a revoked key
    changes nothing and records nothing. A kind that keeps who revoked it
    (``revoked_by``: operator keys) gets the actor's user there. Runs in the
    caller's transaction: the revocation and its event commit together.
    """
    key = keys.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        return key
    key.revoked_at = timezone.now()
    update_fields = ["revoked_at"]
    if any(field.name == "revoked_by" for field in key._meta.concrete_fields):
        key.revoked_by = key_user_of(actor)
        update_fields.append("revoked_by")
    key.save(update_fields=update_fields)
    event_record(
        event_type=event_type,
        actor=actor,
        org=getattr(key, "org", None),
        details={name: getattr(key, name) for name in details},
    )
    return key


def key_for_raw_key(keys: QuerySet[K], raw_key: str) -> K | None:
    """The row of ``keys`` whose whole key is ``raw_key``, if it is usable now.

    Anything else (another kind, an unknown prefix, a wrong secret, a revoked
    or expired key) is None. Marks the key used, at most once a minute, so a
    busy key does not turn every request into a row update.
    """
    kind = keys.model.KIND
    # The secret part may itself contain "_": the prefix has a fixed length.
    length = len(kind) + PREFIX_RANDOM_LENGTH
    prefix = raw_key[:length]
    if not prefix.startswith(kind) or raw_key[length : length + 1] != "_":
        return None
    key = keys.filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.key_hash, key_hash(raw_key)):
        return None
    now = timezone.now()
    if not key.is_usable(now):
        return None
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        keys.model.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def key_user_of(actor: Actor) -> User | None:
    """The user a key's ``created_by`` / ``revoked_by`` names: a person, or None."""
    if actor.type in (CausedByType.EMPLOYEE, CausedByType.USER) and actor.id:
        return User.objects.filter(pk=actor.id).first()
    return None
