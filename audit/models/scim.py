"""SCIM provisioning state: an org's SCIM key and what its identity provider knows."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from audit.models.accounts import Organization, Role, User
from audit.models.keys import SecretKey


class ScimKey(SecretKey):
    """The bearer token an org's identity provider uses for ``/scim/v2/``.

    Like an operator API key it is shown once and stored as its SHA-256 with
    a visible prefix (``sc_`` + 8 characters). An org has at most one active
    (unrevoked) key; the key's org is the only tenant it can see or change.
    """

    KIND = "sc_"
    # ``audit.actors.actor_for_request`` turns a request carrying it into `Scim`.
    is_scim_key = True

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="scim_keys"
    )

    class Meta(SecretKey.Meta):
        verbose_name = "SCIM key"
        constraints = [
            models.UniqueConstraint(
                fields=["org"],
                condition=Q(revoked_at__isnull=True),
                name="scimkey_one_active_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"SCIM key {self.prefix} of {self.org}"


class ScimMembership(models.Model):
    """What an org's SCIM knows of one user: kept while the user is inactive.

    Whether the user is active is not stored here: it is whether they are a
    member of the org (one fact, one place). This row keeps a deactivated
    user visible to the org's key, with the identity provider's
    ``externalId`` and the role to give back on reactivation.
    """

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="scim_memberships"
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="scim_memberships"
    )
    external_id = models.CharField(max_length=255, blank=True, default="")
    created_account = models.BooleanField(
        default=False,
        help_text="This org's SCIM created the account, so it may change its names.",
    )
    inactive_role = models.ForeignKey(
        Role,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The role held when deactivated, given back on reactivation.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "user"], name="scimmembership_org_user_unique"
            )
        ]
        verbose_name = "SCIM membership"

    def __str__(self) -> str:
        return f"{self.user} via SCIM in {self.org}"
