"""Portal links: the host product hands a member into one org's audit log.

``portal_link_create`` mints a link (the API); ``portal_link_open`` spends
it (the ``/portal/<token>`` page). A link works once, before it expires;
only the SHA-256 of its token is stored. Opening records `UserLoginAttempt`
with method ``portal_link``: success, or failure with the reason (used,
expired, invalid, no longer allowed).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import selectors
from audit.actors import Actor
from audit.models import Organization, PortalLink, User
from audit.services import signin

METHOD = "portal_link"


class PortalLinkRefused(Exception):
    """Why a portal link cannot be made: ``field`` and ``message`` for a 400."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class LinkProblem(StrEnum):
    """Why a link did not open; the 403 page says which."""

    USED = "used"
    EXPIRED = "expired"
    INVALID = "invalid"
    NOT_ALLOWED = "not_allowed"


class PortalLinkInvalid(Exception):
    def __init__(self, problem: LinkProblem, link: PortalLink | None = None):
        super().__init__(problem.value)
        self.problem = problem
        self.link = link


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def return_host_allowed(url: str) -> bool:
    """Whether ``url`` is http(s) to a host in ``AUDITSITE_PORTAL_RETURN_HOSTS``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    allowed = settings.AUDITSITE_PORTAL_RETURN_HOSTS
    return parts.scheme in ("http", "https") and bool(host) and host in allowed


def _may_view(user: User, org: Organization) -> bool:
    return selectors.orgs_for_viewer(user=user).filter(pk=org.pk).exists()


def portal_link_create(
    *, actor: Actor, org: Organization, user: User, return_url: str = ""
) -> tuple[PortalLink, str]:
    """Mint a one-use link for ``user`` into ``org``; returns the row and token.

    The user must be an enabled member whose role has View Audit Log, and a
    ``return_url`` must go to an allowed host; otherwise
    :class:`PortalLinkRefused` names the field. The link lasts
    ``AUDITSITE_PORTAL_LINK_SECONDS``. Nothing about the user or org changes,
    so no event is recorded here: opening the link records the sign-in.
    """
    if not user.is_active or user.locked:
        raise PortalLinkRefused("user_id", "this user is disabled or locked")
    if not _may_view(user, org):
        raise PortalLinkRefused(
            "user_id",
            "is not a member of this org whose role has View Audit Log",
        )
    if return_url and not return_host_allowed(return_url):
        raise PortalLinkRefused(
            "return_url", "its host is not in AUDITSITE_PORTAL_RETURN_HOSTS"
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    # Spent and expired links only explain a failed sign-in for a while;
    # minting clears those a day past their expiry (an index range).
    PortalLink.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    link = PortalLink.objects.create(
        token_hash=token_hash(token),
        user=user,
        org=org,
        return_url=return_url,
        created_by=actor.id,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.AUDITSITE_PORTAL_LINK_SECONDS),
    )
    return link, token


@transaction.atomic
def portal_link_open(*, actor: Actor, token: str) -> PortalLink:
    """Spend the link whose token is ``token``: it is then used up.

    Raises :class:`PortalLinkInvalid` (used, expired, invalid, or the user
    may no longer see the org); the caller records the failed sign-in with
    ``portal_link_failed`` outside this transaction. The successful sign-in
    is recorded by the login itself (``audit.signin``, method
    ``portal_link``).
    """
    link = (
        PortalLink.objects.select_for_update()
        .select_related("user", "org")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None:
        raise PortalLinkInvalid(LinkProblem.INVALID)
    now = timezone.now()
    if link.used_at is not None:
        raise PortalLinkInvalid(LinkProblem.USED, link)
    if link.expires_at <= now:
        raise PortalLinkInvalid(LinkProblem.EXPIRED, link)
    user = link.user
    if not user.is_active or user.locked or not _may_view(user, link.org):
        raise PortalLinkInvalid(LinkProblem.NOT_ALLOWED, link)
    link.used_at = now
    link.save(update_fields=["used_at"])
    return link


def portal_link_failed(
    *, actor: Actor, problem: LinkProblem, link: PortalLink | None
) -> None:
    """Record the failed `UserLoginAttempt` (method ``portal_link``) of a bad link."""
    user = link.user if link is not None else None
    signin.login_failed(
        actor=actor,
        email=user.email if user else "",
        user=user,
        reason=f"link_{problem.value}",
        method=METHOD,
    )
