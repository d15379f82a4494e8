"""Admin for users, orgs, roles, the catalog and the (read-only) audit log.

Every save and delete goes through ``audit.services`` so that changes made
here record their events with ``caused_by_type`` ``Employee``.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.html import format_html

from audit import services
from audit.admin_filters import (
    CreatedAfterFilter,
    CreatedBeforeFilter,
    EventTypeFilter,
    OrgFilter,
    UserFilter,
)
from audit.apikeys import api_key_create, api_key_revoke
from audit.models import (
    ApiKey,
    AuditEvent,
    AuditSettings,
    EventType,
    Membership,
    Organization,
    OrgPermission,
    Role,
    User,
)
from audit.selectors import estimated_row_count, event_describe_many, events_all
from audit.services import Actor

admin.site.site_header = "auditsite"
admin.site.site_title = "auditsite admin"
admin.site.index_title = "Audit log administration"


def _pretty_json(value) -> str:
    if value in (None, "", {}):
        return "-"
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0;">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False),
    )


# --- audit events ----------------------------------------------------------


class EstimatedCountPaginator(Paginator):
    """Never an unbounded ``COUNT(*)`` over the event table.

    With no filter, PostgreSQL's planner estimate is used; with a filter the
    count stops at ``COUNT_CAP`` rows (the page shows "10,000+"-style
    totals). Paging itself is by LIMIT/OFFSET within that bound.
    """

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            estimate = estimated_row_count(queryset.model)
            if estimate is not None and estimate > self.COUNT_CAP:
                return estimate
        capped = queryset.order_by().values("pk")[: self.COUNT_CAP + 1]
        return min(capped.count(), self.COUNT_CAP + 1)


class AuditEventChangeList(ChangeList):
    """Attaches each row's description with one catalog query per page."""

    def get_results(self, request):
        super().get_results(request)
        descriptions = event_describe_many(self.result_list)
        for event in self.result_list:
            event.description_text = descriptions[event.seq]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event_type",
        "description_column",
        "user_email",
        "org_name",
        "caused_by_type",
        "actor_column",
        "caused_by_source_ip",
    ]
    list_display_links = ["created_at", "event_type"]
    list_filter = [
        UserFilter,
        OrgFilter,
        EventTypeFilter,
        "category",
        "caused_by_type",
        CreatedAfterFilter,
        CreatedBeforeFilter,
    ]
    search_fields = ["user_email"]
    search_help_text = (
        "Email of the user the event is about (full address or its start)."
    )
    list_per_page = 50
    show_full_result_count = False
    # Facet counts would run one COUNT per filter choice over millions of rows.
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    actions = None
    fieldsets = [
        (
            None,
            {"fields": ["description_detail", "event_type", "category", "uuid", "seq"]},
        ),
        ("About", {"fields": ["user_id", "user_email", "org_id", "org_name"]}),
        ("Details", {"fields": ["event_data_pretty"]}),
        (
            "Caused by",
            {
                "fields": [
                    "caused_by_type",
                    "caused_by_id",
                    "caused_by_metadata_pretty",
                    "caused_by_source_ip",
                    "caused_by_user_agent",
                    "impersonator_id",
                    "impersonator_metadata_pretty",
                ]
            },
        ),
        ("Time", {"fields": ["created_at", "recorded_at"]}),
    ]

    def get_queryset(self, request):
        return events_all()

    def get_changelist(self, request, **kwargs):
        return AuditEventChangeList

    def get_search_results(self, request, queryset, search_term):
        # Emails are stored lowercase, so a prefix match on the lowercased term
        # can use the pattern index; Django's default icontains scans every row.
        term = search_term.strip().lower()
        if not term:
            return queryset, False
        return queryset.filter(user_email__startswith=term), False

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="description")
    def description_column(self, obj: AuditEvent) -> str:
        return getattr(obj, "description_text", None) or obj.description()

    @admin.display(description="description")
    def description_detail(self, obj: AuditEvent) -> str:
        return obj.description()

    @admin.display(description="caused by")
    def actor_column(self, obj: AuditEvent) -> str:
        return obj.actor_label

    @admin.display(description="event data")
    def event_data_pretty(self, obj: AuditEvent) -> str:
        return _pretty_json(obj.event_data)

    @admin.display(description="caused by metadata")
    def caused_by_metadata_pretty(self, obj: AuditEvent) -> str:
        return _pretty_json(obj.caused_by_metadata)

    @admin.display(description="impersonator metadata")
    def impersonator_metadata_pretty(self, obj: AuditEvent) -> str:
        return _pretty_json(obj.impersonator_metadata)


# --- users -----------------------------------------------------------------


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_active",
        "locked",
        "is_staff",
    ]
    list_filter = ["is_staff", "is_active", "locked", "email_confirmed", "mfa_enabled"]
    search_fields = ["email", "first_name", "last_name", "username"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Profile",
            {
                "fields": [
                    "username",
                    "first_name",
                    "last_name",
                    "picture_url",
                    "properties",
                ]
            },
        ),
        (
            "Flags",
            {
                "fields": [
                    "is_active",
                    "locked",
                    "email_confirmed",
                    "mfa_enabled",
                    "time_zone",
                ]
            },
        ),
        (
            "Operator access",
            {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "usable_password", "password1", "password2"],
            },
        ),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        actor = Actor.for_employee(request.user, request)
        if change:
            changes = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in services.USER_EDITABLE_FIELDS
            }
            services.user_update(actor=actor, user=obj, changes=changes)
            return
        usable = form.cleaned_data.get("usable_password", "true") not in (
            False,
            "false",
        )
        user = services.user_create(
            actor=actor,
            email=obj.email,
            password=form.cleaned_data.get("password1") if usable else None,
        )
        obj.pk = user.pk
        obj._state.adding = False

    def user_change_password(self, request, id, form_url=""):
        # Django's view saves the new password itself; wrapping it lets the
        # PasswordChanged event commit in the same transaction, or not at all.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                services.user_password_changed(
                    actor=Actor.for_employee(request.user, request),
                    user=self.get_object(request, unquote(id)),
                )
        return response

    def delete_model(self, request, obj):
        services.user_delete(actor=Actor.for_employee(request.user, request), user=obj)

    def delete_queryset(self, request, queryset):
        actor = Actor.for_employee(request.user, request)
        for user in queryset:
            services.user_delete(actor=actor, user=user)


# --- orgs, roles, memberships -----------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "can_view_audit_log", "created_at"]
    list_filter = ["plan", "can_view_audit_log"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    readonly_fields = ["id", "created_at"]

    def save_model(self, request, obj, form, change):
        actor = Actor.for_employee(request.user, request)
        fields = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.ORG_EDITABLE_FIELDS
        }
        if change:
            services.org_update(actor=actor, org=obj, changes=fields)
            return
        fields.pop("name", None)
        fields.pop("slug", None)
        org = services.org_create(actor=actor, name=obj.name, slug=obj.slug, **fields)
        obj.pk = org.pk
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        actor = Actor.for_employee(request.user, request)
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.membership_remove(actor=actor, membership=membership)
        for membership, changed in formset.changed_objects:
            stored = Membership.objects.select_related("user", "org", "role").get(
                pk=membership.pk
            )
            if "user" in changed:
                services.membership_remove(actor=actor, membership=stored)
                services.membership_add(
                    actor=actor,
                    org=form.instance,
                    user=membership.user,
                    role=membership.role,
                )
            elif "role" in changed:
                services.membership_change_role(
                    actor=actor, membership=stored, role=membership.role
                )
        for membership in formset.new_objects:
            added = services.membership_add(
                actor=actor,
                org=form.instance,
                user=membership.user,
                role=membership.role,
            )
            membership.pk = added.pk

    def delete_model(self, request, obj):
        services.org_delete(actor=Actor.for_employee(request.user, request), org=obj)

    def delete_queryset(self, request, queryset):
        actor = Actor.for_employee(request.user, request)
        for org in queryset:
            services.org_delete(actor=actor, org=org)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "permission_list"]
    filter_horizontal = ["permissions"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("permissions")

    @admin.display(description="permissions")
    def permission_list(self, obj: Role) -> str:
        return ", ".join(p.name for p in obj.permissions.all()) or "-"


@admin.register(OrgPermission)
class OrgPermissionAdmin(admin.ModelAdmin):
    list_display = ["name", "codename"]
    search_fields = ["name", "codename"]


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
            name=form.cleaned_data["name"], created_by=request.user
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
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key, revoked_by=request.user)
            count += 1
        self.message_user(request, f"Revoked {count} API key(s).", messages.SUCCESS)
