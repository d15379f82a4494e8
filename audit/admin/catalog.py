"""Admin for the event catalog and the customer audit-log settings."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect

from audit import services
from audit.actors import actor_for_request
from audit.admin.base import ServiceDeleteMixin, adopt_created
from audit.models import (
    AuditSettings,
    Category,
    EventType,
)
from audit.selectors import audit_settings_load

# --- catalog and settings -----------------------------------------------------


class EventTypeForm(forms.ModelForm):
    class Meta:
        model = EventType
        fields = ["event_type", "name", "category", "template"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only auditsite records operator events: no custom type joins them.
        if "category" in self.fields:
            self.fields["category"].choices = [
                choice
                for choice in self.fields["category"].choices
                if choice[0] != Category.OPERATOR
            ]

    def clean_event_type(self):
        value = self.cleaned_data["event_type"].strip()
        if not value.isalnum() or not value[:1].isupper():
            raise forms.ValidationError(
                "Use CamelCase letters and digits, capital first: DocumentShared."
            )
        return value


@admin.register(EventType)
class EventTypeAdmin(ServiceDeleteMixin, admin.ModelAdmin):
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

    def has_change_permission(self, request, obj=None) -> bool:
        # A built-in's page shows its template, but nothing on it saves.
        if obj is not None and obj.builtin:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        actor = actor_for_request(request)
        if change:
            services.event_type_update(
                actor=actor,
                event_type=obj,
                changes={name: form.cleaned_data[name] for name in form.changed_data},
            )
            return
        row = services.event_type_create(
            actor=actor,
            **{name: form.cleaned_data[name] for name in EventTypeForm.Meta.fields},
        )
        adopt_created(obj, row)

    def delete_with_service(self, *, actor, obj):
        services.event_type_delete(actor=actor, event_type=obj)

    def delete_queryset(self, request, queryset):
        # Built-in types are never deleted, even when selected in bulk.
        super().delete_queryset(request, queryset.filter(builtin=False))


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
        # The single row exists from the first migration on (``load``).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        settings_row = audit_settings_load()
        return redirect("admin:audit_auditsettings_change", settings_row.pk)

    def save_model(self, request, obj, form, change):
        services.settings_update(
            actor=actor_for_request(request),
            changes={name: form.cleaned_data[name] for name in form.changed_data},
        )
        messages.info(
            request, "The customer-facing audit log uses these settings at once."
        )
