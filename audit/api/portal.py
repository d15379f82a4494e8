"""``POST /api/v1/portal-links``: the host product hands a member into their
org's audit log with a one-use, short-lived link (SPEC section 10)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actors import actor_for_request
from audit.api.common import BadBody, object_parse, rejected
from audit.api.fields import ApiField
from audit.models import Organization, PortalLink, User
from audit.permissions import IsOperator
from audit.scopes import Scope
from audit.services import portal
from audit.services.bulk import ItemError

FIELDS = (
    ApiField("org_id", "org_id", "uuid"),
    ApiField("user_id", "user_id", "uuid"),
    ApiField("user_email", "user_email", "str"),
    ApiField("return_url", "return_url", "str"),
)


class PortalLinkView(APIView):
    """Mint a portal link for a member of an org."""

    permission_classes = [IsOperator]
    required_scopes = {"POST": Scope.PORTAL}
    permission_model = PortalLink

    @extend_schema(
        operation_id="portal_links_create",
        tags=["portal"],
        summary="Mint a portal link",
        description="A link that signs the user into the org's audit log, once, "
        "within `AUDITSITE_PORTAL_LINK_SECONDS` (default 300). The user "
        "(`user_id` or `user_email`) must be a member of the org whose role "
        "has View Audit Log; `return_url` (optional) must be on a host in "
        "`AUDITSITE_PORTAL_RETURN_HOSTS`: the org's pages link back to it. "
        "The session the link opens reaches only that org's pages. Opening "
        "records `UserLoginAttempt` (method `portal_link`).",
        request=inline_serializer(
            "PortalLinkRequest",
            {
                "org_id": serializers.UUIDField(),
                "user_id": serializers.UUIDField(required=False),
                "user_email": serializers.EmailField(required=False),
                "return_url": serializers.URLField(required=False),
            },
        ),
        responses={
            201: inline_serializer(
                "PortalLink",
                {
                    "url": serializers.URLField(),
                    "expires_at": serializers.DateTimeField(),
                },
            ),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description="Not a member, bad return_url."
            ),
        },
        examples=[
            OpenApiExample(
                "A link back to the product",
                value={
                    "org_id": "3c1d2e4f-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
                    "user_email": "ann@acme.example",
                    "return_url": "https://app.example.com/settings/audit",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The link",
                value={
                    "url": "https://audit.example.com/portal/q2Yk...",
                    "expires_at": "2026-12-05T09:05:00+00:00",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request):
        try:
            data, errors = object_parse(request, FIELDS, creating=True, what="a link")
        except BadBody as bad:
            return bad.response
        if not errors:
            org, user = self._resolve(data, errors)
        if errors:
            return rejected(errors, FIELDS)
        try:
            link, token = portal.portal_link_create(
                actor=actor_for_request(request),
                org=org,
                user=user,
                return_url=data.get("return_url") or "",
            )
        except portal.PortalLinkRefused as refused:
            return rejected([ItemError(0, refused.field, refused.message)], FIELDS)
        url = request.build_absolute_uri(reverse("portal-open", args=[token]))
        return Response(
            {"url": url, "expires_at": link.expires_at.isoformat()},
            status=status.HTTP_201_CREATED,
        )

    @staticmethod
    def _resolve(data: dict, errors: list[ItemError]):
        org = user = None
        if data.get("org_id") is None:
            errors.append(ItemError(0, "org_id", "is required"))
        else:
            org = Organization.objects.filter(pk=data["org_id"]).first()
            if org is None:
                errors.append(ItemError(0, "org_id", "no org has this id"))
        if data.get("user_id") is not None:
            user = User.objects.filter(pk=data["user_id"]).first()
            if user is None:
                errors.append(ItemError(0, "user_id", "no user has this id"))
        elif data.get("user_email"):
            email = data["user_email"].strip().lower()
            user = User.objects.filter(email=email).first()
            if user is None:
                errors.append(ItemError(0, "user_email", "no user has this email"))
        else:
            errors.append(ItemError(0, "user_id", "user_id or user_email is required"))
        return org, user
