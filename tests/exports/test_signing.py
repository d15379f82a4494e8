import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from exports import signing


def test_dev_key_is_stable_and_follows_secret_key(settings):
    """Without AUDITSITE_SIGNING_KEY the key is derived from SECRET_KEY, stably."""
    settings.AUDITSITE_SIGNING_KEY = ""
    first = signing.current_public_key().fingerprint
    assert signing.current_public_key().fingerprint == first
    settings.SECRET_KEY = "another-secret"
    assert signing.current_public_key().fingerprint != first


def test_configured_seed_is_used(settings):
    """A base64 seed in AUDITSITE_SIGNING_KEY signs, and its public key verifies."""
    seed = bytes(range(32))
    settings.AUDITSITE_SIGNING_KEY = base64.b64encode(seed).decode()
    expected = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    signature = base64.b64decode(signing.sign(b"payload"))
    expected.verify(signature, b"payload")
    assert signing.current_public_key().fingerprint == signing.fingerprint(expected)


def test_bad_key_is_refused(settings):
    """A key of the wrong length is a configuration error, not a silent dev key."""
    settings.AUDITSITE_SIGNING_KEY = base64.b64encode(b"short").decode()
    with pytest.raises(ImproperlyConfigured):
        signing.signing_key()


def test_well_known_publishes_current_and_previous_keys(client, settings):
    """/.well-known/auditsite-export-key returns the public key, PEM and fingerprint."""
    old = Ed25519PrivateKey.generate().public_key()
    old_info = signing.public_key_info(old)
    settings.AUDITSITE_SIGNING_PREVIOUS_PUBLIC_KEYS = old_info.raw_base64
    response = client.get(reverse("export-public-key"))
    assert response.status_code == 200
    data = response.json()
    assert data["fingerprint"] == signing.current_public_key().fingerprint
    assert data["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert base64.b64decode(data["public_key"]) != b""
    assert [key["fingerprint"] for key in data["previous_keys"]] == [
        old_info.fingerprint
    ]
    assert "private" not in response.content.decode().lower()
