"""Admin for the event catalog and the customer audit-log settings."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect

from audit.models import (
    AuditSettings,
    EventType,
)

# --- catalog and settings -----------------------------------------------------


class EventTypeForm(forms.ModelForm):
    class Meta:
        model = EventType
        fields = ["event_type", "name", "category", "template"]

    def clean_event_type(self):
        value = self.cleaned_data["event_type"].strip()
        if not value.isalnum() or not value[:1].isupper():
            raise forms.ValidationError(
                "Use CamelCase letters and digits, capital first: DocumentShared."
            )
        return value


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    form = EventTypeForm
    list_display = ["name", "event_type", "category", "builtin", "template"]
    list_filter = ["category", "builtin"]
    search_fields = ["name", "event_type"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.builtin:
            return ["event_type", "name", "category", "builtin"]
        return ["builtin"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Built-in types are the catalog; events keep their type name forever.
        return obj is None or not obj.builtin


@admin.register(AuditSettings)
class AuditSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "all_orgs_can_view_audit_log",
        "includes_impersonation",
        "includes_api_keys",
        "includes_employees",
    ]

    def has_add_permission(self, request) -> bool:
        return not AuditSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        settings_row = AuditSettings.load()
        return redirect("admin:audit_auditsettings_change", settings_row.pk)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        messages.info(
            request, "The customer-facing audit log uses these settings at once."
        )
