"""OpenAPI documentation of the directory and portal endpoints.

Kept apart from the views so they stay thin. Each operation is tagged
(``directory``, ``portal``), summarised and given request and response
examples; the scope it needs is appended to every operation's description
by ``audit.schema.ScopedAutoSchema``, from the view's ``required_scopes``.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)

from audit.api.fields import (
    MEMBER_FIELDS,
    MEMBER_INPUT,
    ORG_FIELDS,
    USER_FIELDS,
    schema_serializer,
)

TAG = "directory"
USER_ID = "9b2f7c1e-4d7a-4a55-9a3e-5f1f6f0c9d21"
ORG_ID = "3c1d2e4f-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
USER_EXAMPLE = {
    "id": USER_ID,
    "email": "ann@acme.example",
    "username": None,
    "first_name": "Ann",
    "last_name": "Lee",
    "picture_url": "",
    "properties": {"plan_seat": "editor"},
    "enabled": True,
    "locked": False,
    "email_confirmed": True,
    "mfa_enabled": False,
    "created_at": "2026-12-05T09:00:00+00:00",
}
ORG_EXAMPLE = {
    "id": ORG_ID,
    "name": "Acme Inc",
    "slug": "acme",
    "plan": "growth",
    "domain": "acme.example",
    "domain_autojoin": False,
    "domain_restrict": False,
    "can_setup_saml": False,
    "max_users": None,
    "auto_logout_seconds": None,
    "require_2fa_by": None,
    "metadata": {},
    "can_view_audit_log": True,
    "created_at": "2026-12-05T09:00:00+00:00",
}
MEMBER_EXAMPLE = {
    "user_id": USER_ID,
    "user_email": "ann@acme.example",
    "role": "Admin",
    "created_at": "2026-12-05T09:00:00+00:00",
}
ERRORS_EXAMPLE = OpenApiExample(
    "Per-item errors",
    value={
        "detail": "1 error(s); nothing was stored.",
        "errors": [{"index": 3, "field": "email", "message": "is in use"}],
    },
    response_only=True,
    status_codes=["400"],
)

User = schema_serializer("DirectoryUser", USER_FIELDS, output=True)
UserInput = schema_serializer(
    "DirectoryUserInput", USER_FIELDS, output=False, required=("email",)
)
UserPatch = schema_serializer("DirectoryUserPatch", USER_FIELDS[1:], output=False)
Org = schema_serializer("DirectoryOrg", ORG_FIELDS, output=True)
OrgInput = schema_serializer(
    "DirectoryOrgInput", ORG_FIELDS, output=False, required=("name", "slug")
)
OrgPatch = schema_serializer("DirectoryOrgPatch", ORG_FIELDS[1:], output=False)
Member = schema_serializer("DirectoryMember", MEMBER_FIELDS, output=True)
MemberInput = schema_serializer(
    "DirectoryMemberInput", MEMBER_INPUT, output=False, required=("role",)
)
MemberPatch = schema_serializer("DirectoryMemberPatch", MEMBER_INPUT[2:], output=False)


def _one_or_many(name: str, serializer) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name=name,
        serializers=[serializer, serializer(many=True)],
        resource_type_field_name=None,
        many=False,
    )


def _example(name: str, value, **kwargs) -> OpenApiExample:
    return OpenApiExample(name, value=value, **kwargs)


CREATE_RULES = (
    " One object, or a JSON array of up to 1,000 (all or nothing: any "
    "invalid item stores nothing and the 400 lists every `{index, field, "
    "message}`). A create may carry its own `id`: repeating it with the same "
    "fields answers 200 with the stored row and records nothing; other "
    "fields answer 409. 201 with the row(s) when something was created."
)
PAGED = " Newest first; follow `next` to page (a cursor, as the events API)."


def _list_and_create(kind, out, inp, example, filters, events, extra=()):
    inbound = {k: v for k, v in example.items() if k != "created_at"}
    return extend_schema_view(
        get=extend_schema(
            tags=[TAG],
            summary=f"List {kind}",
            description=PAGED,
            parameters=[
                OpenApiParameter(name, OpenApiTypes.STR, description=text)
                for name, text in filters
            ],
            responses={200: out(many=True)},
            examples=[_example(f"A page of {kind}", example, response_only=True)],
        ),
        post=extend_schema(
            tags=[TAG],
            summary=f"Create {kind} (one or up to 1,000)",
            description=f"Records {events} for each, caused by the API key."
            + CREATE_RULES,
            request=_one_or_many(f"{inp.__name__}OrBatch", inp),
            responses={
                201: out,
                200: OpenApiResponse(out, description="Already stored (a retry)."),
                400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid."),
                409: OpenApiResponse(
                    OpenApiTypes.OBJECT, description="Clashes with a stored row."
                ),
                413: OpenApiResponse(OpenApiTypes.OBJECT, description="Over 1,000."),
            },
            examples=[
                _example(f"One of the {kind}", inbound, request_only=True),
                _example(f"Created {kind}", example, response_only=True),
                ERRORS_EXAMPLE,
                *extra,
            ],
        ),
    )


def _detail(kind, out, patch, example, changes, events, get=True):
    operations = {
        "patch": extend_schema(
            tags=[TAG],
            summary=f"Change a {kind}",
            description=f"Only the fields sent. Records {events}; a PATCH that "
            "changes nothing records nothing.",
            request=patch,
            responses={200: out, 400: OpenApiResponse(OpenApiTypes.OBJECT)},
            examples=[
                _example("A change", changes, request_only=True),
                _example(f"The {kind}", example, response_only=True),
                ERRORS_EXAMPLE,
            ],
        ),
        "delete": extend_schema(
            tags=[TAG],
            summary=f"Delete a {kind}",
            description="Every event about it stays (events hold ids and "
            "names by value).",
            responses={204: OpenApiResponse(description="Deleted.")},
        ),
    }
    if get:
        operations["get"] = extend_schema(
            tags=[TAG],
            summary=f"Get a {kind}",
            responses={200: out},
            examples=[_example(f"A {kind}", example, response_only=True)],
        )
    return extend_schema_view(**operations)


SCHEMAS = {
    "users": _list_and_create(
        "users",
        User,
        UserInput,
        USER_EXAMPLE,
        [("email", "Only the user with this email."), ("org", "Members of this org.")],
        "`UserCreated`",
    ),
    "user": _detail(
        "user",
        User,
        UserPatch,
        USER_EXAMPLE,
        {"last_name": "Lee-Smith", "enabled": False},
        "`UserMetadataChanged`, `EmailChanged`, `UserDisabled`/`UserEnabled`, "
        "`UserLocked`/`UserUnlocked` as the fields change",
    ),
    "orgs": _list_and_create(
        "orgs",
        Org,
        OrgInput,
        ORG_EXAMPLE,
        [("slug", "Only the org with this slug.")],
        "`OrgCreated`",
    ),
    "org": _detail(
        "org",
        Org,
        OrgPatch,
        ORG_EXAMPLE,
        {"name": "Acme Corp"},
        "`OrgNameUpdated` for a rename and each setting's `Org...` event",
    ),
    "members": _list_and_create(
        "members",
        Member,
        MemberInput,
        MEMBER_EXAMPLE,
        [("email", "Only the member with this email.")],
        "`OrgUserAdded` (with the user and the org)",
    ),
    "member": _detail(
        "member",
        Member,
        MemberPatch,
        MEMBER_EXAMPLE,
        {"role": "Admin"},
        "`OrgUserRoleChanged` (an unknown role is a 400 listing the roles)",
        get=False,
    ),
}


def directory_schema(name: str):
    """The documentation decorator of one directory view."""
    return SCHEMAS[name]
