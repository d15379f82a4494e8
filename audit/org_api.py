"""The org API (SPEC section 11): an org's own key reads its org's log.

``GET /api/v1/org/events/`` and ``/api/v1/org/events/{id}/`` answer exactly
what the org's pages show (``selectors.events_for_viewer``), with the
operator events API's filters, cursor pagination, fields and per-key rate.
Only an org key (``ao_...``) opens them; no other endpoint accepts one (the
operator endpoints authenticate operator keys only).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.permissions import BasePermission

from audit.api.events import EventDetail, EventList
from audit.authentication import ApiKeyRateThrottle, BearerKeyAuthentication
from audit.models import AuditEvent
from audit.org_apikeys import org_api_key_for_raw_key
from audit.selectors import (
    audit_settings_load,
    events_for_viewer,
)
from audit.serializers import EventSerializer


class OrgApiKeyAuthentication(BearerKeyAuthentication):
    """``Authorization: Bearer ao_...``; puts the ``OrgApiKey`` in ``request.auth``.

    Anything else (no key, an operator key, a revoked or expired org key) is
    a 401: these endpoints know no other way in.
    """

    refused = "Invalid, expired or revoked org API key."

    def key_for(self, raw_key: str):
        return org_api_key_for_raw_key(raw_key)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="auditsite-org"'


class IsOrgApiKey(BasePermission):
    """A valid org key whose org may show its log (as its pages would)."""

    message = "An org API key (Authorization: Bearer ao_...) is required."

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if getattr(key, "is_org_api_key", False) is not True:
            return False
        settings = audit_settings_load()
        return settings.all_orgs_can_view_audit_log or key.org.can_view_audit_log


class OrgApiKeyRateThrottle(ApiKeyRateThrottle):
    """The operator API's rate (``AUDITSITE_API_THROTTLE_RATE``), per org key."""

    def get_cache_key(self, request, view) -> str | None:
        ident = f"orgkey:{request.auth.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class OrgKeyView:
    """What every org-key view shares: the key, its org's visible events."""

    authentication_classes = [OrgApiKeyAuthentication]
    permission_classes = [IsOrgApiKey]
    throttle_classes = [OrgApiKeyRateThrottle]
    # Read by the lead's scope walker: no operator scope applies here.
    required_scopes = None
    org_key_only = True

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, no request
            return AuditEvent.objects.none()
        return events_for_viewer(
            org=self.request.auth.org, settings=audit_settings_load()
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="org_events_list",
        tags=["org events"],
        summary="List your org's events",
        description="With an org API key: the events your org's audit log "
        "shows, newest first, with the events API's filters and cursor pages.",
    )
)
class OrgEventListView(OrgKeyView, EventList):
    """``GET``: the org's visible events newest first, filtered, keyset-paged."""


@extend_schema_view(
    get=extend_schema(
        operation_id="org_events_retrieve",
        tags=["org events"],
        summary="Get one of your org's events",
        responses={200: EventSerializer},
    )
)
class OrgEventDetailView(OrgKeyView, EventDetail):
    """One of the org's visible events by its ``id``; any other id is a 404."""
