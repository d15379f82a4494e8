"""What the admins share: creates and deletes through a service, or no writes."""

from __future__ import annotations

from audit.actors import Actor, actor_for_request


def adopt_created(obj, created) -> None:
    """The admin's unsaved ``obj`` stands for the row a service created.

    The admin goes on with ``obj`` (inlines, its log entry, the redirect), so
    it takes the new row's key and counts as saved.
    """
    obj.pk = created.pk
    obj._state.adding = False


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
