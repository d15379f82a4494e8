"""DRF authentication and throttling for operator API keys."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from audit.apikeys import api_key_for_raw_key


class BearerKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>``: the key ``key_for`` finds goes in
    ``request.auth``; a key it does not find is a 401 with ``refused``.

    A request with no Bearer header is left to the next class.
    """

    keyword = b"bearer"
    refused = "Invalid or revoked API key."

    def key_for(self, raw_key: str):
        raise NotImplementedError

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: expected 'Bearer <key>'."
            )
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid API key.") from exc
        key = self.key_for(raw_key)
        if key is None:
            raise exceptions.AuthenticationFailed(self.refused)
        return AnonymousUser(), key


class ApiKeyAuthentication(BearerKeyAuthentication):
    """An operator key; puts the ``ApiKey`` in ``request.auth``.

    A missing header lets the next class (the staff session) try; a Bearer
    header with an unknown or revoked key is a 401 straight away.
    """

    def key_for(self, raw_key: str):
        return api_key_for_raw_key(raw_key)

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) with this challenge.
        return 'Bearer realm="auditsite"'


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (per staff user for the browsable API).

    The rate is ``AUDITSITE_API_THROTTLE_RATE`` (e.g. ``600/min``), read on
    each request. Counts live in Django's cache: per process with the
    default local-memory cache, shared when CACHES points at Redis.
    """

    scope = "api_key"

    def get_rate(self) -> str | None:
        return settings.AUDITSITE_API_THROTTLE_RATE or None

    def get_cache_key(self, request, view) -> str | None:
        if getattr(request.auth, "is_api_key", False):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
