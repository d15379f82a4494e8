"""The Ed25519 key that signs export digests, and its published public half.

The private key comes from ``AUDITSITE_SIGNING_KEY`` (base64 of the 32-byte
seed, or a PEM private key). When unset, a key is derived from ``SECRET_KEY``
so development works with no setup: that is for development only, since
anyone who knows SECRET_KEY could then sign digests. The key is kept out of
the database on purpose: someone able to alter the database (the thing the
digests prove) should not also be able to read the key that signs them.

Keys rotate: a digest names its key by fingerprint (SHA-256 of the raw public
key, hex); ``AUDITSITE_SIGNING_PREVIOUS_PUBLIC_KEYS`` (comma-separated base64
raw public keys) keeps older keys published so older digests still verify.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from auditsite_verify.keys import fingerprint as raw_fingerprint
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_DEV_DERIVATION_LABEL = b"auditsite export digest signing key (development only)"


@dataclass(frozen=True)
class PublicKeyInfo:
    """A public key as published: raw base64, PEM and fingerprint."""

    raw_base64: str
    pem: str
    fingerprint: str

    def as_dict(self) -> dict[str, str]:
        return {
            "algorithm": "Ed25519",
            "public_key": self.raw_base64,
            "public_key_pem": self.pem,
            "fingerprint": self.fingerprint,
        }


def _load_private_key(value: str) -> Ed25519PrivateKey:
    value = value.strip()
    if value.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(value.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("AUDITSITE_SIGNING_KEY must be an Ed25519 key")
        return key
    try:
        seed = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured("AUDITSITE_SIGNING_KEY is not base64") from exc
    if len(seed) != 32:
        raise ImproperlyConfigured("AUDITSITE_SIGNING_KEY must decode to 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_key() -> Ed25519PrivateKey:
    """The current private key (from the environment, or the dev derivation)."""
    configured = settings.AUDITSITE_SIGNING_KEY
    if configured:
        return _load_private_key(configured)
    seed = hashlib.sha256(_DEV_DERIVATION_LABEL + settings.SECRET_KEY.encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: how a digest names its key."""
    return raw_fingerprint(raw_public_bytes(public_key))


def public_key_info(public_key: Ed25519PublicKey) -> PublicKeyInfo:
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return PublicKeyInfo(
        raw_base64=base64.b64encode(raw_public_bytes(public_key)).decode(),
        pem=pem,
        fingerprint=fingerprint(public_key),
    )


def current_public_key() -> PublicKeyInfo:
    """The public half of the current signing key."""
    return public_key_info(signing_key().public_key())


def previous_public_keys() -> list[PublicKeyInfo]:
    """Older public keys still published so that older digests verify."""
    configured = settings.AUDITSITE_SIGNING_PREVIOUS_PUBLIC_KEYS
    keys = []
    for item in configured.split(","):
        if item.strip():
            raw = base64.b64decode(item.strip())
            keys.append(public_key_info(Ed25519PublicKey.from_public_bytes(raw)))
    return keys


def published_keys() -> list[PublicKeyInfo]:
    """Every public key a verifier should accept, the current one first."""
    return [current_public_key(), *previous_public_keys()]


def sign(data: bytes) -> str:
    """Sign ``data`` with the current key; the signature as base64."""
    return base64.b64encode(signing_key().sign(data)).decode()
