"""Wires Django's and django-axes' sign-in signals to ``audit.services.signin``.

Django sends ``user_logged_in``, ``user_login_failed`` and
``user_logged_out`` from ``authenticate``/``login``/``logout`` whatever the
page (``/accounts/login/`` or ``/admin/login/``); django-axes counts the
failures and sends ``user_locked_out`` when an account reaches
``AXES_FAILURE_LIMIT``. These receivers only translate the signal into one
service call: the events are recorded there.

django-axes locks the pair (account, client address). ``LoginThrottleMiddleware``
adds the other half of SPEC 12's rule: one address failing across many
accounts is slowed, then refused for a while (``AUDITSITE_LOGIN_IP_*``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.db.models import Count, Max
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone

from audit.actors import actor_for_request, request_origin
from audit.middleware import PORTAL_SESSION_KEY
from audit.models import User
from audit.services import signin


def login_email(request, credentials: dict | None) -> str:
    """The email a login tried, as accounts store it (``AXES_USERNAME_CALLABLE``)."""
    credentials = credentials or {}
    email = credentials.get("username") or credentials.get("email")
    if email is None and request is not None:
        email = request.POST.get("username", "")
    return (email or "").strip().lower()


def login_client_ip(request) -> str | None:
    """The client IP, trusted as for every event (``AXES_CLIENT_IP_CALLABLE``)."""
    return request_origin(request).get("source_ip")


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first() if email else None


def _from_a_form(request) -> bool:
    """Sign-in and sign-out are POSTs to a view; ``force_login`` (tests, tools)
    calls ``login()`` with a bare request and is nobody signing in."""
    return request is not None and request.method == "POST"


@receiver(user_logged_in, dispatch_uid="audit.signin.logged_in")
def _logged_in(sender, request, user, **kwargs):
    if not _from_a_form(request):
        return
    # A portal link's view says so; any other sign-in ends a portal session's
    # hold on one org (audit.middleware).
    method = getattr(request, "login_method", None)
    if method is None and hasattr(request, "session"):
        request.session.pop(PORTAL_SESSION_KEY, None)
    signin.login_succeeded(
        actor=actor_for_request(request, user=user), user=user, method=method
    )


@receiver(user_login_failed, dispatch_uid="audit.signin.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    email = login_email(request, credentials)
    user = _user(email)
    failures = getattr(request, "axes_failures_since_start", None) or 0
    reason = None
    if failures > settings.AXES_FAILURE_LIMIT:
        # Axes refused before checking the password: already locked out.
        reason = signin.LoginFailure.LOCKED_OUT
    signin.login_failed(
        actor=actor_for_request(request, user=user),
        email=email,
        user=user,
        reason=reason,
    )


@receiver(user_logged_out, dispatch_uid="audit.signin.logged_out")
def _logged_out(sender, request, user, **kwargs):
    if user is None or not _from_a_form(request):
        return
    signin.logged_out(actor=actor_for_request(request, user=user), user=user)


def _locked_out(sender, request, username, ip_address, **kwargs):
    # Axes repeats the signal for each attempt during a lockout; the account
    # is locked once, when its failures reach the limit.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None and failures != settings.AXES_FAILURE_LIMIT:
        return
    user = _user(username)
    cooloff = settings.AXES_COOLOFF_TIME
    signin.login_locked_out(
        actor=actor_for_request(request, user=user),
        email=username,
        user=user,
        failures=settings.AXES_FAILURE_LIMIT,
        cooloff_seconds=int(cooloff.total_seconds()) if cooloff else 0,
    )


def connect_axes() -> None:
    """Connect the lockout receiver (axes' signal module needs the app registry)."""
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="audit.signin.locked_out")


# The sign-in forms (auditsite's own and the admin's), by URL name.
LOGIN_VIEWS = {"login", "admin:login"}


@dataclass(frozen=True)
class Throttle:
    """An address held back from signing in: ``slowed`` or ``refused``."""

    state: str
    retry_after: int


def login_throttle(ip: str | None, *, now: datetime | None = None) -> Throttle | None:
    """Whether ``ip`` must wait before its next sign-in, from its recent failures.

    Counts axes' failure log for the address over the window: from
    ``AUDITSITE_LOGIN_IP_SLOW_AFTER`` failures one try per
    ``AUDITSITE_LOGIN_IP_SLOW_SECONDS``, from ``AUDITSITE_LOGIN_IP_REFUSE_AFTER``
    none until ``AUDITSITE_LOGIN_IP_REFUSE_MINUTES`` after the last failure.
    """
    from axes.models import AccessFailureLog

    if not ip:
        return None
    now = now or timezone.now()
    window = timedelta(minutes=settings.AUDITSITE_LOGIN_IP_WINDOW_MINUTES)
    recent = AccessFailureLog.objects.filter(
        ip_address=ip, attempt_time__gte=now - window
    ).aggregate(count=Count("id"), last=Max("attempt_time"))
    count, last = recent["count"], recent["last"]
    if count < settings.AUDITSITE_LOGIN_IP_SLOW_AFTER or last is None:
        return None
    if count >= settings.AUDITSITE_LOGIN_IP_REFUSE_AFTER:
        state = "refused"
        until = last + timedelta(minutes=settings.AUDITSITE_LOGIN_IP_REFUSE_MINUTES)
    else:
        state = "slowed"
        until = last + timedelta(seconds=settings.AUDITSITE_LOGIN_IP_SLOW_SECONDS)
    wait = (until - now).total_seconds()
    return Throttle(state, math.ceil(wait)) if wait > 0 else None


class LoginThrottleMiddleware:
    """Answers 429 with ``Retry-After`` to a sign-in from a throttled address.

    The attempt is recorded as a failed `UserLoginAttempt` (reason
    ``throttled``) and never reaches the password check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "POST" or not match or match.view_name not in LOGIN_VIEWS:
            return None
        throttle = login_throttle(login_client_ip(request))
        if throttle is None:
            return None
        email = login_email(request, None)
        user = _user(email)
        signin.login_failed(
            actor=actor_for_request(request, user=user),
            email=email,
            user=user,
            reason=signin.LoginFailure.THROTTLED,
        )
        response = HttpResponse(
            "Too many failed sign-ins from your address: try again in "
            f"{throttle.retry_after} seconds.\n",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(throttle.retry_after)
        return response
