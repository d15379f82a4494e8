"""Who may use the operator-level REST API."""

from rest_framework.permissions import BasePermission


class IsOperator(BasePermission):
    """Staff signed in to the admin, or a valid (unrevoked) API key.

    API key authentication puts the key object in ``request.auth``; key
    objects say so with ``is_api_key = True``.
    """

    message = "An API key (Authorization: Bearer <key>) or a staff session is required."

    def has_permission(self, request, view) -> bool:
        if getattr(request.auth, "is_api_key", False) is True:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)
