"""Admin for export locations: write-only secret, verify/run/replay actions."""

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from audit.services import Actor
from exports import services
from exports.admin_digests import verify_integrity
from exports.models import ExportLocation, ExportObject, ExportRun
from exports.selectors import export_location_lag


class ExportLocationForm(forms.ModelForm):
    secret_access_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: leave empty to keep the stored secret.",
    )

    class Meta:
        model = ExportLocation
        fields = sorted(services.EDITABLE_FIELDS)


class ExportRunInline(admin.TabularInline):
    model = ExportRun
    extra = 0
    can_delete = False
    max_num = 0
    fields = readonly_fields = [
        "started_at",
        "status",
        "events",
        "bytes",
        "object_count",
        "duration",
        "error",
        "replay",
    ]
    ordering = ["-started_at"]

    def get_queryset(self, request):
        recent = timezone.now() - timedelta(days=7)
        return super().get_queryset(request).filter(started_at__gte=recent)


@admin.register(ExportLocation)
class ExportLocationAdmin(admin.ModelAdmin):
    form = ExportLocationForm
    list_display = [
        "name",
        "bucket",
        "interval",
        "file_format",
        "enabled",
        "connection_status",
        "in_error",
    ]
    list_filter = ["enabled", "in_error", "interval"]
    readonly_fields = [
        "id",
        "connection_status",
        "connection_checked_at",
        "in_error",
        "last_error",
        "consecutive_failures",
        "cursor",
        "last_checked_at",
        "lag",
        "bucket_policy",
        "trust_policy",
    ]
    inlines = [ExportRunInline]
    actions = ["verify", "run_now", "replay_last_7_days", verify_integrity]

    @admin.display(description="Lag (not yet exported)")
    def lag(self, obj):
        if obj.pk is None:
            return "-"
        lag = export_location_lag(location=obj)
        return (
            f"{lag['pending_events']} events pending; oldest recorded "
            f"{lag['oldest_pending_age_seconds']} s ago; newest at "
            f"{lag['newest_pending_at'] or '-'}"
        )

    @admin.display(description="Minimal bucket policy")
    def bucket_policy(self, obj):
        return format_html(
            "<pre>{}</pre>", json.dumps(services.bucket_policy_for(obj), indent=2)
        )

    @admin.display(description="Role trust policy (ExternalId = id)")
    def trust_policy(self, obj):
        return format_html(
            "<pre>{}</pre>", json.dumps(services.trust_policy_for(obj), indent=2)
        )

    def save_model(self, request, obj, form, change):
        actor = Actor.for_employee(request.user, request)
        data = {f: form.cleaned_data[f] for f in services.EDITABLE_FIELDS}
        secret = form.cleaned_data.get("secret_access_key") or ""
        if change:
            services.export_location_update(
                actor=actor,
                location=ExportLocation.objects.get(pk=obj.pk),
                secret_access_key=secret,
                **data,
            )
        else:
            created = services.export_location_create(
                actor=actor, secret_access_key=secret, **data
            )
            obj.pk = created.pk

    def delete_model(self, request, obj):
        services.export_location_delete(
            actor=Actor.for_employee(request.user, request), location=obj
        )

    @admin.action(description="Verify (write a test object)")
    def verify(self, request, queryset):
        actor = Actor.for_employee(request.user, request)
        for location in queryset:
            status = services.export_location_verify(actor=actor, location=location)
            self.message_user(request, f"{location}: {status}")

    @admin.action(description="Run now")
    def run_now(self, request, queryset):
        actor = Actor.for_employee(request.user, request)
        for location in queryset:
            services.export_location_run_soon(actor=actor, location=location)
        self.message_user(request, "Runs queued.", messages.SUCCESS)

    @admin.action(description="Replay the last 7 days")
    def replay_last_7_days(self, request, queryset):
        actor = Actor.for_employee(request.user, request)
        since = (timezone.now() - timedelta(days=7)).date()
        for location in queryset:
            count = services.export_location_replay(
                actor=actor, location=location, since=since
            )
            self.message_user(request, f"{location}: re-sending {count} objects")


@admin.register(ExportRun)
class ExportRunAdmin(admin.ModelAdmin):
    list_display = [
        "location",
        "started_at",
        "status",
        "events",
        "bytes",
        "object_count",
        "duration",
        "replay",
        "error",
    ]
    list_filter = ["status", "replay"]
    list_select_related = ["location"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExportObject)
class ExportObjectAdmin(admin.ModelAdmin):
    list_display = ["key", "location", "event_count", "size_bytes", "created_at"]
    list_select_related = ["location"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
