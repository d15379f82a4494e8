"""Directory API: the host product keeps users, orgs and members in step.

``/api/v1/users/``, ``/api/v1/orgs/`` and ``/api/v1/orgs/{id}/members/``
(SPEC section 10). Reads need ``directory:read``, writes
``directory:write``. Every write goes through the same services as the
admin (``audit.services``), so it records the same events, caused by the
API key. A create takes one object or a JSON array of up to 1,000, all or
nothing. Staff accounts are the operator's, not the product's: the
directory API neither lists nor changes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import services
from audit.actors import actor_for_request
from audit.api.common import (
    BadBody,
    ReleasesRequest,
    error,
    json_body,
    object_parse,
    rejected,
    rejected_by,
)
from audit.api.events import EventPagination
from audit.api.fields import (
    MEMBER_FIELDS,
    MEMBER_INPUT,
    ORG_FIELDS,
    USER_FIELDS,
    ApiField,
    parse_item,
    render,
)
from audit.api.schemas import directory_schema
from audit.models import Membership, Organization, Role, User
from audit.pagination import keyset_rows
from audit.permissions import IsOperator
from audit.scopes import Scope
from audit.services.bulk import MAX_ITEMS, ItemError, ItemsRejected

READ_WRITE = {
    "GET": Scope.DIRECTORY_READ,
    "POST": Scope.DIRECTORY_WRITE,
    "PATCH": Scope.DIRECTORY_WRITE,
    "DELETE": Scope.DIRECTORY_WRITE,
}


def directory_users():
    """The product's users: every account but the operator's staff."""
    return User.objects.filter(is_staff=False)


def _uuid_param(request, name: str) -> uuid.UUID | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise ValidationError({name: ["Must be a UUID."]}) from exc


def _validation_errors(exc: DjangoValidationError) -> list[ItemError]:
    if not hasattr(exc, "error_dict"):
        return [ItemError(0, None, message) for message in exc.messages]
    return [
        ItemError(0, None if name == "__all__" else name, message)
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


class DirectoryView(ReleasesRequest, APIView):
    """What every directory view shares: the scopes, the pages, the writes."""

    permission_classes = [IsOperator]
    required_scopes = READ_WRITE
    fields: tuple[ApiField, ...] = ()
    what = ""

    def page(self, request, queryset, *, time_field: str) -> Response:
        pagination = EventPagination()
        size = pagination.get_page_size(request)
        rows, cursor = keyset_rows(
            queryset,
            time_field=time_field,
            cursor=request.query_params.get("cursor"),
            size=size,
        )
        pagination.request, pagination.used_page_size = request, size
        pagination.next_cursor = cursor
        return pagination.get_paginated_response(
            [render(row, self.fields) for row in rows]
        )

    def create(self, request, service, *, fields=None, **kwargs) -> Response:
        """One object or an array of up to 1,000, all or nothing."""
        fields = fields or self.fields
        try:
            payload = json_body(request)
        except BadBody as bad:
            return bad.response
        single = isinstance(payload, dict)
        items = [payload] if single else payload
        if not isinstance(items, list):
            return error(400, f"Send {self.what} object or an array of them.")
        if not items:
            return error(400, "The array is empty.", errors=[])
        if len(items) > MAX_ITEMS:
            return error(
                413, f"An array holds at most {MAX_ITEMS} items, not {len(items)}."
            )
        errors: list[ItemError] = []
        parsed = [
            parse_item(
                item, fields, index=i, errors=errors, creating=True, what=self.what
            )
            for i, item in enumerate(items)
        ]
        if errors:
            return rejected(errors, fields)
        try:
            created = service(actor=actor_for_request(request), items=parsed, **kwargs)
        except ItemsRejected as exc:
            return rejected_by(exc, fields)
        rows = [render(item.row, self.fields) for item in created]
        code = (
            status.HTTP_201_CREATED
            if any(item.created for item in created)
            else status.HTTP_200_OK
        )
        return Response(rows[0] if single else rows, status=code)

    def update(self, request, service, **kwargs) -> Response:
        """A PATCH: only the fields sent; nothing changed records nothing."""
        try:
            changes, errors = object_parse(
                request, self.fields, creating=False, what=self.what
            )
        except BadBody as bad:
            return bad.response
        if errors:
            return rejected(errors, self.fields)
        try:
            row = service(actor=actor_for_request(request), changes=changes, **kwargs)
        except DjangoValidationError as exc:
            return rejected(_validation_errors(exc), self.fields)
        except IntegrityError:
            return error(409, "Another request changed this row at the same time.")
        return Response(render(row, self.fields))


@directory_schema("users")
class UserListView(DirectoryView):
    """``GET``: users, newest first (filters ``email``, ``org``); ``POST``: create."""

    permission_model = User
    fields = USER_FIELDS
    what = "a user"

    def get(self, request):
        users = directory_users()
        if email := request.query_params.get("email"):
            users = users.filter(email=email.strip().lower())
        if (org := _uuid_param(request, "org")) is not None:
            users = users.filter(memberships__org_id=org)
        return self.page(request, users, time_field="date_joined")

    def post(self, request):
        return self.create(request, services.users_create)


class RowView(DirectoryView):
    """One user or org: read, change (``PATCH``), delete (its events stay).

    A subclass gives its ``rows()`` and the services that change and delete
    one (``update_service``, ``delete_service``), which take the row as the
    keyword ``noun``.
    """

    noun = ""
    update_service: Callable[..., Any]
    delete_service: Callable[..., Any]

    def rows(self) -> QuerySet:
        raise NotImplementedError

    def row(self, id):
        return get_object_or_404(self.rows(), pk=id)

    def get(self, request, id):
        return Response(render(self.row(id), self.fields))

    def patch(self, request, id):
        return self.update(request, self.update_service, **{self.noun: self.row(id)})

    def delete(self, request, id):
        row = self.row(id)
        self.delete_service(actor=actor_for_request(request), **{self.noun: row})
        return Response(status=status.HTTP_204_NO_CONTENT)


@directory_schema("user")
class UserDetailView(RowView):
    """One user: read, change (``PATCH``), delete (its events stay)."""

    permission_model = User
    fields = USER_FIELDS
    what = "a user"
    noun = "user"
    update_service = staticmethod(services.user_update)
    delete_service = staticmethod(services.user_delete)

    def rows(self) -> QuerySet:
        return directory_users()


@directory_schema("orgs")
class OrgListView(DirectoryView):
    """``GET``: orgs, newest first (filter ``slug``); ``POST``: create."""

    permission_model = Organization
    fields = ORG_FIELDS
    what = "an org"

    def get(self, request):
        orgs = Organization.objects.all()
        if slug := request.query_params.get("slug"):
            orgs = orgs.filter(slug=slug)
        return self.page(request, orgs, time_field="created_at")

    def post(self, request):
        return self.create(request, services.orgs_create)


@directory_schema("org")
class OrgDetailView(RowView):
    """One org: read, change (``PATCH``), delete (its events stay)."""

    permission_model = Organization
    fields = ORG_FIELDS
    what = "an org"
    noun = "org"
    update_service = staticmethod(services.org_update)
    delete_service = staticmethod(services.org_delete)

    def rows(self) -> QuerySet:
        return Organization.objects.all()


def _members(org: Organization):
    return Membership.objects.filter(org=org).select_related("user", "role")


@directory_schema("members")
class MemberListView(DirectoryView):
    """``GET``: an org's members (filter ``email``); ``POST``: add members."""

    permission_model = Membership
    fields = MEMBER_FIELDS
    what = "a member"

    def get(self, request, id):
        members = _members(get_object_or_404(Organization, pk=id))
        if email := request.query_params.get("email"):
            members = members.filter(user__email=email.strip().lower())
        return self.page(request, members, time_field="created_at")

    def post(self, request, id):
        org = get_object_or_404(Organization, pk=id)
        return self.create(
            request, services.memberships_create, fields=MEMBER_INPUT, org=org
        )


def _unknown_role(name: Any) -> Response:
    return rejected(
        [
            ItemError(
                0,
                "role",
                f"is not a role: choose from {', '.join(services.role_names())}",
            )
        ],
        MEMBER_FIELDS,
    )


@directory_schema("member")
class MemberDetailView(DirectoryView):
    """One membership: change its role (``PATCH``) or remove it."""

    permission_model = Membership
    fields = MEMBER_FIELDS
    what = "a member"

    def patch(self, request, id, user_id):
        membership = get_object_or_404(_members(Organization(pk=id)), user_id=user_id)
        try:
            payload = json_body(request)
        except BadBody as bad:
            return bad.response
        if not isinstance(payload, dict):
            return error(400, "Send a JSON object.")
        unknown = sorted(set(payload) - {"role"})
        if unknown or not isinstance(payload.get("role"), str):
            errors = [
                ItemError(0, name, "is not a field you can change") for name in unknown
            ]
            if not isinstance(payload.get("role"), str):
                errors.append(ItemError(0, "role", "must be a role's name"))
            return rejected(errors, MEMBER_FIELDS)
        role = Role.objects.filter(name=payload["role"]).first()
        if role is None:
            return _unknown_role(payload["role"])
        membership = services.membership_change_role(
            actor=actor_for_request(request), membership=membership, role=role
        )
        return Response(render(membership, MEMBER_FIELDS))

    def delete(self, request, id, user_id):
        membership = get_object_or_404(_members(Organization(pk=id)), user_id=user_id)
        services.membership_remove(
            actor=actor_for_request(request), membership=membership
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
