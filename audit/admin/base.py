"""What the admins share: creates, deletes and revokes through a service, or
no writes."""

from __future__ import annotations

from django.contrib import messages

from audit.actors import Actor, actor_for_request


def adopt_created(obj, created) -> None:
    """The admin's unsaved ``obj`` stands for the row a service created.

    The admin goes on with ``obj`` (inlines, its log entry, the redirect), so
    it takes the new row's key and counts as saved.
    """
    obj.pk = created.pk
    obj._state.adding = False


def form_values(form, names, *, changed_only: bool = False) -> dict:
    """A bound admin form's cleaned values of the fields among ``names`` (those
    the form changed, with ``changed_only``), for a service's keywords."""
    given = form.changed_data if changed_only else form.cleaned_data
    return {name: form.cleaned_data[name] for name in given if name in names}


class ServiceDeleteMixin:
    """``delete_model`` and the bulk delete action, one service call per row.

    A subclass names its service in ``delete_with_service``; each row deleted
    in bulk then records its own event, as a single delete does.
    """

    def delete_with_service(self, *, actor: Actor, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.delete_with_service(actor=actor_for_request(request), obj=obj)

    def delete_queryset(self, request, queryset):
        actor = actor_for_request(request)
        for obj in queryset:
            self.delete_with_service(actor=actor, obj=obj)


class ServiceRevokeMixin:
    """The revoke action's work for a kind of key, one service call per key.

    A subclass names its service in ``revoke_with_service`` and declares its
    own action (description, permissions) calling ``revoke_selected``: each
    selected key not yet revoked is revoked and records its own event.
    """

    def revoke_with_service(self, *, actor: Actor, obj) -> None:
        raise NotImplementedError

    def revoke_selected(self, request, queryset) -> None:
        actor = actor_for_request(request)
        count = 0
        for obj in queryset.filter(revoked_at__isnull=True):
            self.revoke_with_service(actor=actor, obj=obj)
            count += 1
        noun = self.opts.verbose_name
        self.message_user(request, f"Revoked {count} {noun}(s).", messages.SUCCESS)


class ArchiveDeleteMixin(ServiceDeleteMixin):
    """A delete whose service archives the row and keeps what points at it:
    the confirmation lists the rows themselves (nothing else goes)."""

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        counts = {self.opts.verbose_name_plural: len(objs)}
        return [str(obj) for obj in objs], counts, set(), []


class ReadOnlyAdminMixin:
    """No add, change or delete: a page to look at (records, bookkeeping)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
