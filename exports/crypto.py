"""Encryption at rest for export secrets (AWS secret access keys).

The key is ``settings.AUDITSITE_ENCRYPTION_KEY`` (a Fernet key, see
docs/configuration.md).
When it is unset a key is derived from ``SECRET_KEY``: convenient for
development, but rotating SECRET_KEY then makes stored secrets unreadable, so
production sets its own key.
"""

import base64
import hashlib

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.AUDITSITE_ENCRYPTION_KEY
    if not key:
        digest = hashlib.sha256(
            b"auditsite-export-secrets:" + settings.SECRET_KEY.encode()
        ).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def secret_encrypt(plain: str) -> str:
    """A Fernet token for ``plain`` (empty stays empty)."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The plain secret of a Fernet token (empty stays empty)."""
    if not token:
        return ""
    return _fernet().decrypt(token.encode()).decode()
