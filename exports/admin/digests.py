"""Admin for digests, the signing key, and the "verify integrity" action.

``verify_integrity`` is one of ``ExportLocationAdmin``'s actions
(``exports/admin.py``, which imports this module and so registers it).
"""

from django.contrib import admin, messages
from django.urls import reverse

from audit.admin.base import ReadOnlyAdminMixin
from exports.destinations.base import receiver_text
from exports.models import ExportDigest
from exports.signing import current_public_key
from exports.verification import export_location_verify_integrity


@admin.action(description="Verify export integrity (digests, objects, coverage)")
def verify_integrity(modeladmin, request, queryset):
    """Run the verifier on each selected location and show its summary."""
    for location in queryset:
        try:
            report = export_location_verify_integrity(location=location)
        except Exception as exc:  # S3 refused (e.g. no s3:GetObject): say so
            # What S3 (or a custom endpoint) said: status and 200 plain chars.
            said = receiver_text(str(exc))
            messages.error(request, f"{location}: verification failed: {said}")
            continue
        level = messages.SUCCESS if report.ok else messages.ERROR
        messages.add_message(
            request, level, f"{location}: " + " | ".join(report.lines())
        )


@admin.register(ExportDigest)
class ExportDigestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "location", "hour_start", "object_count", "created_at"]
    list_filter = ["location"]
    ordering = ["-hour_start"]
    readonly_fields = [f.name for f in ExportDigest._meta.fields]

    def changelist_view(self, request, extra_context=None):
        key = current_public_key()
        messages.info(
            request,
            f"Digests are signed with Ed25519 key {key.fingerprint} "
            f"(public key, base64: {key.raw_base64}); published at "
            f"{request.build_absolute_uri(reverse('export-public-key'))}",
        )
        return super().changelist_view(request, extra_context)
