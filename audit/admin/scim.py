"""Admin for orgs' SCIM keys: listed (prefix only) and revoked, never created.

An org's key is created on the org's own SCIM page, where it is shown once;
the operator sees which orgs provision over SCIM and may revoke a key.
"""

from __future__ import annotations

from django.contrib import admin

from audit.admin.base import ReadOnlyAdminMixin, ServiceRevokeMixin
from audit.models import ScimKey
from audit.services.scim_keys import scim_key_revoke


@admin.register(ScimKey)
class ScimKeyAdmin(ServiceRevokeMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only list of SCIM keys with a revoke action; the hash is never shown.

    No delete: revoke instead, the row stays to explain events caused by the key.
    """

    list_display = [
        "prefix",
        "org",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["org", "created_by"]
    search_fields = ["prefix", "org__name", "org__slug"]
    fields = ["prefix", "org", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke_keys"]

    @admin.action(description="Revoke selected SCIM keys", permissions=["view"])
    def revoke_keys(self, request, queryset):
        self.revoke_selected(request, queryset)

    def revoke_with_service(self, *, actor, obj):
        scim_key_revoke(actor=actor, scim_key=obj)
