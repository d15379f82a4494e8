"""Admin for operator API keys: created (shown once), scoped, listed, revoked."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse

from audit.actors import actor_for_request
from audit.admin.base import ServiceRevokeMixin
from audit.apikeys import api_key_create, api_key_revoke, api_key_set_scopes
from audit.models import (
    ApiKey,
)
from audit.scopes import DEFAULT_SCOPES, Scope

# --- API keys --------------------------------------------------------------


class ApiKeyScopesField(forms.MultipleChoiceField):
    """One checkbox per scope; none checked means ``events:write`` only."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", Scope.choices)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "What the key may do. None checked: events:write only."
        )
        super().__init__(**kwargs)


class ApiKeyAddForm(forms.ModelForm):
    scopes = ApiKeyScopesField(initial=list(DEFAULT_SCOPES))

    class Meta:
        model = ApiKey
        fields = ["name"]


class ApiKeyChangeForm(forms.ModelForm):
    scopes = ApiKeyScopesField()

    class Meta:
        model = ApiKey
        fields: list[str] = []


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceRevokeMixin, admin.ModelAdmin):
    """Create (the key is shown once, on the page that answers the add form),
    list, change scopes and revoke keys. The hash and the key are never shown
    again."""

    list_display = [
        "prefix",
        "name",
        "scope_list",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "legacy_all_scopes"]
    search_fields = ["name", "prefix"]
    fields = [
        "name",
        "prefix",
        "scopes",
        "legacy_all_scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = [name for name in fields if name != "scopes"]
    actions = ["revoke_keys"]

    @admin.display(description="scopes")
    def scope_list(self, obj) -> str:
        scopes = ", ".join(obj.scopes or [])
        return f"legacy: all scopes ({scopes})" if obj.legacy_all_scopes else scopes

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = ApiKeyAddForm if obj is None else ApiKeyChangeForm
        kwargs["fields"] = ["name", "scopes"] if obj is None else ["scopes"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name", "scopes"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.revoked_at is not None:
            return self.fields
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoke instead: the row stays to explain events caused by the key.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            if "scopes" in form.cleaned_data:
                api_key_set_scopes(
                    api_key=obj,
                    scopes=form.cleaned_data["scopes"],
                    actor=actor_for_request(request),
                )
            return
        api_key, raw_key = api_key_create(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data.get("scopes"),
            actor=actor_for_request(request),
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
        self.revoke_selected(request, queryset)

    def revoke_with_service(self, *, actor, obj):
        api_key_revoke(api_key=obj, actor=actor)
