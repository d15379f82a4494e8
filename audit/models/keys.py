"""Keys and links that open auditsite to a caller: operator and org API keys
(``audit.models.scim`` holds an org's SCIM key), portal links.

Every key is one scheme (``audit.keys``): ``<kind>_<8 characters>_<secret>``,
shown once; a row keeps the visible prefix and the SHA-256 of the whole key.
:class:`SecretKey` states the fields and behaviour the kinds share.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from audit.models.accounts import Organization, User
from audit.scopes import default_scopes


def _user_who() -> models.ForeignKey:
    """Who made or revoked a key: a user, kept as None once they are deleted."""
    return models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )


class SecretKey(models.Model):
    """What every kind of key stores: its prefix, its hash, who made it, when
    it was made, last used and revoked. ``KIND`` starts each key's prefix."""

    KIND = ""

    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = _user_who()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_usable(self, now: datetime) -> bool:
        """Whether the key opens anything at ``now``: not revoked."""
        return self.revoked_at is None


class ApiKey(SecretKey):
    """An operator API key for services that send and read events.

    The key itself is shown once, when it is created; only its SHA-256 and a
    visible prefix (``as_`` + 8 characters, used to find the row) are stored.
    """

    KIND = "as_"
    # ``audit.permissions.IsOperator`` accepts any ``request.auth`` with this.
    is_api_key = True

    name = models.CharField(max_length=100, help_text="Who or what uses this key.")
    revoked_by = _user_who()
    # The ``audit.scopes.Scope`` values this key holds (SPEC section 10).
    scopes = models.JSONField(default=default_scopes, blank=True)
    legacy_all_scopes = models.BooleanField(
        "legacy: all scopes",
        default=False,
        editable=False,
        help_text="Made before keys had scopes, so it was given every scope.",
    )

    class Meta(SecretKey.Meta):
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or ())


class OrgApiKey(SecretKey):
    """An org's own API key: reads that org's log over ``/api/v1/org/events/``.

    Shown once, when it is created; only its SHA-256 and a visible prefix
    (``ao_`` + 8 characters) are stored. It is not an operator key: it has no
    ``is_api_key`` flag, so no operator endpoint accepts it.
    """

    KIND = "ao_"
    is_org_api_key = True

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100, help_text="Who or what uses this key.")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(SecretKey.Meta):
        verbose_name = "org API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_usable(self, now: datetime) -> bool:
        """Neither revoked nor past its expiry at ``now``."""
        if not super().is_usable(now):
            return False
        return self.expires_at is None or self.expires_at > now


class PortalLink(models.Model):
    """A one-use link that signs a member into one org's pages (SPEC 10).

    Minted by the host product's backend (``POST /api/v1/portal-links``);
    only the SHA-256 of its token is stored, so the table cannot be turned
    back into working links.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    return_url = models.URLField(max_length=2000, blank=True)
    created_by = models.CharField(
        max_length=100, blank=True, help_text="The API key prefix that minted it."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="portallink_expiry")]

    def __str__(self) -> str:
        return f"portal link for {self.user_id} in {self.org_id}"
