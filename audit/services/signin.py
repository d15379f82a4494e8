"""Sign-in to auditsite's own pages and admin: what each step records (SPEC 7)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import transaction

from audit.actors import Actor
from audit.catalog import T
from audit.models import User
from audit.services.events import event_record


class LoginFailure:
    """Why a login failed: the ``reason`` in `UserLoginAttempt`'s data."""

    UNKNOWN_EMAIL = "unknown_email"
    WRONG_PASSWORD = "wrong_password"
    DISABLED = "disabled"
    LOCKED = "locked"
    LOCKED_OUT = "too_many_failures"
    # The client address failed across too many accounts (slowed or refused).
    THROTTLED = "throttled"


def _login_record(
    *, actor: Actor, user: User | None, outcome: str, reason: str | None, **extra: Any
) -> None:
    """Record `UserLoginAttempt` with its ``outcome`` and ``reason``."""
    details: dict[str, Any] = {"outcome": outcome, "reason": reason, **extra}
    # What the catalog's description shows: "... tried to log in (failure: ...)".
    details["result"] = outcome if reason is None else f"{outcome}: {reason}"
    event_record(event_type=T.UserLoginAttempt, actor=actor, user=user, details=details)


@transaction.atomic
def login_succeeded(*, actor: Actor, user: User, method: str | None = None) -> None:
    """Record `UserLoginAttempt` with outcome ``success`` (and how, if not a
    password: ``portal_link``)."""
    extra = {"method": method} if method else {}
    _login_record(actor=actor, user=user, outcome="success", reason=None, **extra)


@transaction.atomic
def login_failed(
    *,
    actor: Actor,
    email: str,
    user: User | None,
    reason: str | None = None,
    method: str | None = None,
) -> None:
    """Record `UserLoginAttempt` with outcome ``failure`` and its ``reason``.

    An unknown email is recorded with no user and the email tried; a known
    one names the user. The password is never recorded.
    """
    if reason is None:
        if user is None:
            reason = LoginFailure.UNKNOWN_EMAIL
        elif user.locked:
            reason = LoginFailure.LOCKED
        elif not user.is_active:
            reason = LoginFailure.DISABLED
        else:
            reason = LoginFailure.WRONG_PASSWORD
    extra = {"email": email} if user is None else {}
    if method:
        extra["method"] = method
    _login_record(actor=actor, user=user, outcome="failure", reason=reason, **extra)


@transaction.atomic
def login_locked_out(
    *, actor: Actor, email: str, user: User | None, failures: int, cooloff_seconds: int
) -> None:
    """Record `UserLocked`: too many failed logins lock the account for a while.

    Caused by ``System`` (auditsite locked it), from the request's IP.
    """
    details: dict[str, Any] = {
        "reason": LoginFailure.LOCKED_OUT,
        "failures": failures,
        "cooloff_seconds": cooloff_seconds,
    }
    if user is None:
        details["email"] = email
    system = replace(
        Actor.system(), source_ip=actor.source_ip, user_agent=actor.user_agent
    )
    event_record(event_type=T.UserLocked, actor=system, user=user, details=details)


@transaction.atomic
def logged_out(*, actor: Actor, user: User) -> None:
    """Record `UserLoggedOut`."""
    event_record(event_type=T.UserLoggedOut, actor=actor, user=user)


@transaction.atomic
def password_reset_requested(*, actor: Actor, user: User) -> None:
    """Record `ForgotPassword` for a known account that asked for a reset link."""
    event_record(event_type=T.ForgotPassword, actor=actor, user=user)
