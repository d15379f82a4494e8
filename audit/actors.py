"""Who caused a change: the ``Actor`` value and the one request -> actor function.

``actor_for_request`` is the only code that turns a request into an actor
(pages, admin, REST API); commands, tasks and schedules use
``Actor.system()``. A staff user in the admin or the operator API is
``Employee``; a signed-in user on auditsite's own pages is ``User``; a
request authenticated with an operator API key is ``ApiKey`` (its prefix and
name), and so is one with an org's API key (its prefix, name and org); an
org's identity provider calling ``/scim/v2/`` with the org's SCIM key is
``Scim`` (the key's id); nobody signed in (a failed login) is ``User`` with
no id.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from audit.models import CausedByType


@dataclass(frozen=True)
class Actor:
    """Who caused a change, and from where (the ``caused_by_*`` fields)."""

    type: str
    id: str = ""
    metadata: dict[str, Any] | None = None
    source_ip: str | None = None
    user_agent: str = ""
    impersonator_id: str | None = None
    impersonator_metadata: dict[str, Any] | None = field(default=None)

    @classmethod
    def system(cls) -> Actor:
        """auditsite itself: commands, schedules, tasks."""
        return cls(type=CausedByType.SYSTEM, metadata={"name": "auditsite"})

    @classmethod
    def for_user(cls, user) -> Actor:
        """A user acting on their own account or org (customer pages)."""
        return cls._for_account(CausedByType.USER, user)

    @classmethod
    def for_employee(cls, user) -> Actor:
        """A staff user working in the admin or the operator API."""
        return cls._for_account(CausedByType.EMPLOYEE, user)

    @classmethod
    def _for_account(cls, type: str, user) -> Actor:
        """A signed-in account, named by its id and email."""
        return cls(type=type, id=str(user.pk), metadata={"email": user.email})

    @classmethod
    def for_api_key(cls, api_key) -> Actor:
        """A service calling the operator API with an API key."""
        return cls(
            type=CausedByType.API_KEY,
            id=api_key.prefix,
            metadata={"name": api_key.name},
        )

    @classmethod
    def for_org_api_key(cls, key) -> Actor:
        """A customer's service reading its org's log with an org API key."""
        return cls(
            type=CausedByType.API_KEY,
            id=key.prefix,
            metadata={"name": key.name, "org": str(key.org_id)},
        )

    @classmethod
    def for_scim_key(cls, scim_key) -> Actor:
        """An org's identity provider provisioning over SCIM with the org's key."""
        return cls(
            type=CausedByType.SCIM,
            id=str(scim_key.pk),
            metadata={"prefix": scim_key.prefix, "org": scim_key.org.slug},
        )


def request_origin(request: HttpRequest | None) -> dict[str, Any]:
    """``source_ip`` and ``user_agent`` of a request (Django's or DRF's)."""
    if request is None:
        return {}
    request = getattr(request, "_request", request)
    # REMOTE_ADDR is the peer; a proxy's X-Forwarded-For is trusted only when
    # the operator says so (see README), otherwise any client could forge it.
    ip = request.META.get("REMOTE_ADDR") or None
    if settings.AUDITSITE_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            ip = forwarded.split(",")[0].strip() or ip
    return {
        "source_ip": ip,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:1000],
    }


def _is_operator_interface(request: HttpRequest) -> bool:
    """The admin site or the operator REST API (not a customer page).

    Decided by what served the request (DRF wraps it; the admin's URLs
    resolve in the admin site's namespace), never by guessing from the path.
    """
    from django.contrib import admin

    if hasattr(request, "_request") and hasattr(request, "auth"):
        return True
    match = getattr(request, "resolver_match", None)
    return bool(match and admin.site.name in match.namespaces)


def actor_for_request(request: HttpRequest, *, user=None) -> Actor:
    """The actor behind ``request``: ``ApiKey``, ``Scim``, ``Employee`` or ``User``,
    with the request's ``source_ip`` and ``user_agent``.

    ``user`` names the account when ``request.user`` is not (yet) it: a
    login attempt, a password reset asked for by email.
    """
    return replace(_actor_of(request, user), **request_origin(request))


def _actor_of(request: HttpRequest, user) -> Actor:
    """Who is behind ``request`` (its credential or account), without the origin."""
    auth = getattr(request, "auth", None)
    if getattr(auth, "is_api_key", False) is True:
        return Actor.for_api_key(auth)
    if getattr(auth, "is_org_api_key", False) is True:
        return Actor.for_org_api_key(auth)
    if getattr(auth, "is_scim_key", False) is True:
        return Actor.for_scim_key(auth)
    if user is None:
        user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Actor(type=CausedByType.USER)
    if user.is_staff and _is_operator_interface(request):
        return Actor.for_employee(user)
    return Actor.for_user(user)
