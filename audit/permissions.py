"""Who may use the operator-level REST API, and for what (SPEC section 10).

Every view under ``/api/v1/`` states what it needs in ONE place, its class
attribute ``required_scopes``: HTTP method -> the ``audit.scopes.Scope`` an
API key must hold. ``IsOperator`` (the default permission class) reads it:

- an API key passes when it holds the scope of the request's method, else
  403 naming the missing scope;
- a staff session passes when the user holds the Django permission that
  matches the request on the view's model (``view_`` for reads, ``add_``,
  ``change_``, ``delete_`` for writes; a POST on one object, such as an
  export location's ``verify``, is a change); superusers hold every one.

A view whose ``required_scopes`` is missing or names no scope for the
method refuses every API key: a new endpoint cannot ship open
(``tests/audit/test_api_scopes.py`` walks the URL configuration).
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

# HEAD and OPTIONS read what GET reads.
_SAME_AS = {"HEAD": "GET", "OPTIONS": "GET"}
# The Django permission (action) a staff session needs per method.
PERMS_MAP = {
    "GET": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def required_scope(view, method: str) -> str | None:
    """The scope ``view`` requires for ``method``, or None when it names none."""
    scopes = getattr(view, "required_scopes", None) or {}
    method = method.upper()
    return scopes.get(method) or scopes.get(_SAME_AS.get(method, ""))


def required_django_perm(view, method: str) -> str | None:
    """``app_label.action_model`` a staff user needs for ``method`` on ``view``."""
    model = getattr(view, "permission_model", None)
    if model is None:
        queryset = getattr(view, "queryset", None)
        if queryset is None and hasattr(view, "get_queryset"):
            queryset = view.get_queryset()
        model = getattr(queryset, "model", None)
    if model is None:
        return None
    method = _SAME_AS.get(method.upper(), method.upper())
    action = PERMS_MAP.get(method)
    if action is None:
        return None
    if method == "POST" and getattr(view, "detail", False):
        action = "change"
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


class IsOperator(BasePermission):
    """A staff session holding the matching Django permission, or an API key
    (``Authorization: Bearer <key>``) holding the view's scope for the method.

    API key authentication puts the key object in ``request.auth``; key
    objects say so with ``is_api_key = True``.
    """

    message = "An API key (Authorization: Bearer <key>) or a staff session is required."

    def has_permission(self, request, view) -> bool:
        if getattr(request.auth, "is_api_key", False) is True:
            scope = required_scope(view, request.method)
            if scope is None:
                self.message = "API keys cannot use this endpoint."
                return False
            if not request.auth.has_scope(scope):
                self.message = f"This API key lacks the scope {scope}."
                return False
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        if user.is_superuser:
            return True
        perm = required_django_perm(view, request.method)
        if perm is None or not user.has_perm(perm):
            self.message = f"Your account lacks the permission {perm or 'needed'}."
            return False
        return True
