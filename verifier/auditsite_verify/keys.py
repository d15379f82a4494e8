"""Public keys a digest may be signed with, by fingerprint.

A digest names its key by fingerprint: the SHA-256 of the raw 32-byte
Ed25519 public key, hex. Keys come as base64 of the raw key, a PEM file (or
text), or the URL of auditsite's ``/.well-known/auditsite-export-key``,
whose ``previous_keys`` are accepted too (rotation).
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request


def fingerprint(raw: bytes) -> str:
    """How a digest names its key: SHA-256 of the raw public key, hex."""
    return hashlib.sha256(raw).hexdigest()


def load_public_keys(values: list[str]) -> dict:
    """Public keys by fingerprint, from base64, PEM files or auditsite's URL."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys = {}

    def add_raw(raw: bytes) -> None:
        keys[fingerprint(raw)] = Ed25519PublicKey.from_public_bytes(raw)

    for value in values:
        value = value.strip()
        if value.startswith(("http://", "https://")):
            with urllib.request.urlopen(value, timeout=30) as response:  # noqa: S310
                published = json.load(response)
            for item in [published, *published.get("previous_keys", [])]:
                add_raw(base64.b64decode(item["public_key"]))
        elif value.startswith("-----BEGIN") or value.endswith(".pem"):
            text = value if value.startswith("-----BEGIN") else open(value).read()
            key = serialization.load_pem_public_key(text.encode())
            add_raw(
                key.public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                )
            )
        else:
            add_raw(base64.b64decode(value))
    return keys
