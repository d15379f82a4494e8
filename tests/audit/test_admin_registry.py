"""No admin that can write keeps Django's default save (SPEC 7, issue 9 item 2).

Walks every registered ModelAdmin. One that lets a superuser add or change
must override ``save_model`` (and ``save_related`` when its form has
many-to-many fields); one that lets a superuser delete must override
``delete_model`` and ``delete_queryset`` (the bulk action). The overrides
are where the admin hands the change to a service that records its event.
"""

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.test import RequestFactory

from tests.factories import UserFactory

# Django's own classes: a hook defined on one of these is still the default.
DEFAULT_CLASSES = (ModelAdmin, UserAdmin, GroupAdmin)


def _overrides(model_admin, name: str) -> bool:
    """``name`` is defined by a class of ours, not by Django or a library."""
    for klass in type(model_admin).__mro__:
        if name in vars(klass):
            return not (
                klass in DEFAULT_CLASSES
                or klass.__module__.startswith(("django.", "django_q."))
            )
    return False


def _has_m2m_form_fields(model_admin, request) -> bool:
    form = model_admin.get_form(request, None)
    m2m = {field.name for field in model_admin.model._meta.many_to_many}
    return bool(m2m & set(form.base_fields))


def _registry():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _problems(model_admin, request) -> list[str]:
    problems = []
    can_add = model_admin.has_add_permission(request)
    can_change = model_admin.has_change_permission(request)
    can_delete = model_admin.has_delete_permission(request)
    if can_add or can_change:
        if not _overrides(model_admin, "save_model"):
            problems.append("saves with Django's default save_model")
        if _has_m2m_form_fields(model_admin, request) and not _overrides(
            model_admin, "save_related"
        ):
            problems.append("saves many-to-many fields with the default save_related")
    if can_delete:
        for hook in ("delete_model", "delete_queryset"):
            if not _overrides(model_admin, hook):
                problems.append(f"deletes with Django's default {hook}")
    return problems


@pytest.fixture
def superuser_request(db):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    return request


@pytest.mark.parametrize(
    "label",
    [model._meta.label for model, _ in _registry()],
)
def test_every_admin_that_can_write_goes_through_a_service(label, superuser_request):
    """A registered admin that can add, change or delete overrides the save hooks."""
    model_admin = next(a for m, a in _registry() if m._meta.label == label)
    assert _problems(model_admin, superuser_request) == []


def test_the_registry_check_catches_a_default_admin(superuser_request):
    """A plain ModelAdmin (Django's default saves) is caught."""
    from audit.models import Role

    plain = ModelAdmin(Role, admin.site)
    assert "saves with Django's default save_model" in _problems(
        plain, superuser_request
    )
    assert "deletes with Django's default delete_queryset" in _problems(
        plain, superuser_request
    )


def test_read_only_admin_passes(superuser_request):
    """An admin that can neither add, change nor delete needs no hooks."""
    from django_q.models import Schedule

    model_admin = admin.site._registry[Schedule]
    assert not model_admin.has_add_permission(superuser_request)
    assert _problems(model_admin, superuser_request) == []
