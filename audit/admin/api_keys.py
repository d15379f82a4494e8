"""Admin for operator API keys: created (shown once), listed, revoked."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from audit.actors import actor_for_request
from audit.apikeys import api_key_create, api_key_revoke
from audit.models import (
    ApiKey,
)

# --- API keys --------------------------------------------------------------


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Create (the key is shown once, on the page that answers the add form),
    list and revoke keys. The hash and the key are never shown again."""

    list_display = [
        "prefix",
        "name",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    fields = [
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields
    actions = ["revoke_keys"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
            kwargs["fields"] = ["name"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoke instead: the row stays to explain events caused by the key.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        api_key, raw_key = api_key_create(
            name=form.cleaned_data["name"], actor=actor_for_request(request)
        )
        for model_field in ApiKey._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(api_key, model_field.attname))
        obj._raw_key = raw_key

    def response_add(self, request, obj, post_url_continue=None):
        # Rendered, not redirected: the key is never put in a message, a
        # cookie or the session, and this page is the only time it is shown.
        return TemplateResponse(
            request,
            "admin/audit/apikey/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "API key created",
                "api_key": obj,
                "raw_key": obj._raw_key,
            },
        )

    @admin.action(description="Revoke selected API keys")
    def revoke_keys(self, request, queryset):
        actor = actor_for_request(request)
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key, actor=actor)
            count += 1
        self.message_user(request, f"Revoked {count} API key(s).", messages.SUCCESS)
