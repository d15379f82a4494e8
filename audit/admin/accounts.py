"""Admin for users, orgs (with members inline), roles, permissions and groups.

Every save and delete goes through ``audit.services`` so that changes made
here record their events with ``caused_by_type`` ``Employee``.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db import transaction

from audit import services
from audit.actors import actor_for_request
from audit.admin.base import ServiceDeleteMixin, adopt_created, form_values
from audit.models import (
    Membership,
    Organization,
    OrgPermission,
    Role,
    User,
)

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
class UserAdmin(ServiceDeleteMixin, DjangoUserAdmin):
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
        actor = actor_for_request(request)
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
        adopt_created(obj, user)

    def save_related(self, request, form, formsets, change):
        # Groups and Django permissions are operator access: each change goes
        # through its service (and its event), never the form's save_m2m().
        actor = actor_for_request(request)
        if "groups" in form.cleaned_data:
            services.user_groups_set(
                actor=actor, user=form.instance, groups=form.cleaned_data["groups"]
            )
        if "user_permissions" in form.cleaned_data:
            services.user_permissions_set(
                actor=actor,
                user=form.instance,
                permissions=form.cleaned_data["user_permissions"],
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def user_change_password(self, request, id, form_url=""):
        # Django's view saves the new password itself; wrapping it lets the
        # PasswordChanged event commit in the same transaction, or not at all.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                services.user_password_changed(
                    actor=actor_for_request(request),
                    user=self.get_object(request, unquote(id)),
                )
        return response

    def delete_with_service(self, *, actor, obj):
        services.user_delete(actor=actor, user=obj)


# --- orgs, roles, memberships -----------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Organization)
class OrganizationAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "can_view_audit_log", "created_at"]
    list_filter = ["plan", "can_view_audit_log"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    readonly_fields = ["id", "created_at"]

    def save_model(self, request, obj, form, change):
        actor = actor_for_request(request)
        fields = form_values(form, services.ORG_EDITABLE_FIELDS, changed_only=True)
        if change:
            services.org_update(actor=actor, org=obj, changes=fields)
            return
        fields.pop("name", None)
        fields.pop("slug", None)
        org = services.org_create(actor=actor, name=obj.name, slug=obj.slug, **fields)
        adopt_created(obj, org)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        actor = actor_for_request(request)
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

    def delete_with_service(self, *, actor, obj):
        services.org_delete(actor=actor, org=obj)


def _name_and_permissions(form) -> dict:
    """What a role or group form sets: its name and its chosen permissions."""
    return {
        "name": form.cleaned_data["name"],
        "permissions": form.cleaned_data.get("permissions", []),
    }


def _create_with_permissions(create, request, obj, form) -> None:
    """Add a role or group through ``create``, its service, with the form's name
    and permissions (one created event); ``obj`` stands for the new row."""
    created = create(actor=actor_for_request(request), **_name_and_permissions(form))
    adopt_created(obj, created)


@admin.register(Role)
class RoleAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "permission_list"]
    filter_horizontal = ["permissions"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("permissions")

    @admin.display(description="permissions")
    def permission_list(self, obj: Role) -> str:
        return ", ".join(p.name for p in obj.permissions.all()) or "-"

    def save_model(self, request, obj, form, change):
        if change:
            services.role_update(
                actor=actor_for_request(request),
                role=obj,
                changes={"name": form.cleaned_data["name"]},
            )
            return
        _create_with_permissions(services.role_create, request, obj, form)

    def save_related(self, request, form, formsets, change):
        # The M2M save: one RolePermissionAdded / Removed per permission.
        services.role_permissions_set(
            actor=actor_for_request(request),
            role=form.instance,
            permissions=form.cleaned_data.get("permissions", []),
        )

    def delete_with_service(self, *, actor, obj):
        services.role_delete(actor=actor, role=obj)


@admin.register(OrgPermission)
class OrgPermissionAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "codename"]
    search_fields = ["name", "codename"]

    def save_model(self, request, obj, form, change):
        actor = actor_for_request(request)
        fields = {name: form.cleaned_data[name] for name in ("codename", "name")}
        if change:
            services.org_permission_update(actor=actor, permission=obj, changes=fields)
            return
        permission = services.org_permission_create(actor=actor, **fields)
        adopt_created(obj, permission)

    def delete_with_service(self, *, actor, obj):
        services.org_permission_delete(actor=actor, permission=obj)


# --- Django's operator groups -------------------------------------------------

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ServiceDeleteMixin, DjangoGroupAdmin):
    """Django's group admin, with every write through ``audit.services``."""

    def save_model(self, request, obj, form, change):
        if change:
            return  # save_related changes name and permissions in one event
        _create_with_permissions(services.group_create, request, obj, form)

    def save_related(self, request, form, formsets, change):
        services.group_update(
            actor=actor_for_request(request),
            group=form.instance,
            **_name_and_permissions(form),
        )

    def delete_with_service(self, *, actor, obj):
        services.group_delete(actor=actor, group=obj)
