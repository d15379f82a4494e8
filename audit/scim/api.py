"""The SCIM 2.0 endpoints (RFC 7644) at ``/scim/v2/``, one org per key.

``Authorization: Bearer <SCIM key>``: the key's org is the tenant, and
anything outside it (another org's member, an unknown id) is 404. Views stay
thin: authenticate, read the request through ``audit.scim.resources``, call
one service of ``audit.services.scim_users`` with the request's actor, answer
``application/scim+json`` with ``Location``, ``meta`` and an ``ETag``.
"""

from __future__ import annotations

import functools
import json
import uuid

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import Context, Group, ResourceType, User

from audit.actors import actor_for_request
from audit.models import Role
from audit.scim import patch, selectors
from audit.scim import resources as r
from audit.services import scim_users
from audit.services.scim_keys import scim_key_for_raw_key
from audit.services.scim_users import ScimProblem

CONTENT_TYPE = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def _json(data, status: int = 200, **headers) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def scim_error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    """A SCIM error body (RFC 7644 3.12): ``status`` as a string."""
    body = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    response = _json(body, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def _resource(resource: dict, status: int = 200) -> HttpResponse:
    meta = resource["meta"]
    return _json(resource, status, Location=meta["location"], ETag=meta["version"])


def _body(request: HttpRequest):
    try:
        return json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ScimProblem(400, "The body is not JSON.", "invalidSyntax") from None


def _check_if_match(request: HttpRequest, resource: dict) -> None:
    wanted = request.headers.get("If-Match")
    if wanted and wanted.strip() != "*":
        tags = {tag.strip() for tag in wanted.split(",")}
        if resource["meta"]["version"] not in tags:
            raise ScimProblem(412, "The resource changed (If-Match).")


def scim_endpoint(*methods: str):
    """Authenticate the SCIM key, allow ``methods``, turn problems into SCIM errors."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, raw_key = header.partition(" ")
            scim_key = (
                scim_key_for_raw_key(raw_key.strip())
                if scheme.lower() == "bearer"
                else None
            )
            if scim_key is None:
                return scim_error(401, "A valid SCIM key is required (Bearer).")
            if request.method not in methods:
                response = scim_error(405, f"{request.method} is not allowed here.")
                response["Allow"] = ", ".join(methods)
                return response
            request.auth = scim_key
            try:
                return view(request, scim_key.org, *args, **kwargs)
            except ScimProblem as problem:
                return scim_error(problem.status, problem.detail, problem.scim_type)

        return wrapper

    return decorate


def _user_or_404(org, user_id):
    user = selectors.scim_user_for_org(org=org, user_id=user_id)
    if user is None:
        raise ScimProblem(404, f"User {user_id} not found.")
    return user


def _role_or_404(group_id) -> Role:
    role = Role.objects.filter(pk=group_id).first() if str(group_id).isdigit() else None
    if role is None:
        raise ScimProblem(404, f"Group {group_id} not found.")
    return role


# --- Users ---------------------------------------------------------------------


@scim_endpoint("GET", "POST")
def users(request: HttpRequest, org) -> HttpResponse:
    """GET: list (filter, startIndex, count); POST: provision a user into the org."""
    if request.method == "POST":
        state = r.user_state(
            _body(request), context=Context.RESOURCE_CREATION_REQUEST, current=None
        )
        user = scim_users.scim_user_create(
            actor=actor_for_request(request), org=org, state=state
        )
        resource = r.user_resource(request, _user_or_404(org, user.pk))
        return _resource(resource, 201)
    start, count = r.page_params(request)
    found = selectors.scim_users_for_org(org=org).filter(
        r.filter_q(request, r.USER_FILTER_FIELDS, uuid.UUID)
    )
    total = found.count()
    page = list(found[start - 1 : start - 1 + count]) if count else []
    return _json(
        r.list_response(
            [r.user_resource(request, u) for u in page], total=total, start=start
        )
    )


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, org, user_id) -> HttpResponse:
    """One user of the key's org: get, replace, patch, delete (forget)."""
    current = _user_or_404(org, user_id)
    resource = r.user_resource(request, current)
    if request.method == "GET":
        if request.headers.get("If-None-Match") == resource["meta"]["version"]:
            return HttpResponse(status=304)
        return _resource(resource)
    _check_if_match(request, resource)
    actor = actor_for_request(request)
    if request.method == "DELETE":
        scim_users.scim_user_forget(actor=actor, org=org, user=current)
        return HttpResponse(status=204)
    if request.method == "PUT":
        state = r.user_state(
            _body(request),
            context=Context.RESOURCE_REPLACEMENT_REQUEST,
            current=current,
        )
    else:
        state = patch.patched_user_state(resource, _body(request), current)
    scim_users.scim_user_replace(actor=actor, org=org, user=current, state=state)
    return _resource(r.user_resource(request, _user_or_404(org, user_id)))


# --- Groups (the operator's roles) ----------------------------------------------


def _group(request, org, role: Role, *, members: bool = True) -> dict:
    return r.group_resource(
        request,
        org,
        role,
        selectors.scim_role_members(org=org, role=role) if members else [],
        members=members,
    )


def _wants_members(request: HttpRequest) -> bool:
    excluded = request.GET.get("excludedAttributes", "").lower().split(",")
    return "members" not in [name.strip() for name in excluded]


ROLES_ARE_SHARED = (
    "Groups are the operator's roles, shared by every organization: "
    "a SCIM key cannot create, rename or delete them."
)


@scim_endpoint("GET", "POST")
def groups(request: HttpRequest, org) -> HttpResponse:
    """GET: the operator's roles (filter by displayName); POST: 403."""
    if request.method == "POST":
        raise ScimProblem(403, ROLES_ARE_SHARED)
    start, count = r.page_params(request)
    found = selectors.scim_roles().filter(
        r.filter_q(request, r.GROUP_FILTER_FIELDS, int)
    )
    total = found.count()
    page = list(found[start - 1 : start - 1 + count]) if count else []
    members = _wants_members(request)
    return _json(
        r.list_response(
            [_group(request, org, role, members=members) for role in page],
            total=total,
            start=start,
        )
    )


def _members_change(request, org, role: Role, before: dict, wanted: set[str]) -> None:
    """Give or take ``role`` so that its members in ``org`` are ``wanted``."""
    have = {m["value"] for m in before.get("members", [])}
    users_by_id = {}
    for user_id in wanted - have:
        users_by_id[user_id] = _user_or_404(org, user_id)
    removed = [_user_or_404(org, user_id) for user_id in have - wanted]
    scim_users.scim_group_members_change(
        actor=actor_for_request(request),
        org=org,
        role=role,
        add=list(users_by_id.values()),
        remove=removed,
    )


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, org, group_id) -> HttpResponse:
    """One role: get; PATCH/PUT its members in this org; DELETE or rename: 403."""
    role = _role_or_404(group_id)
    resource = _group(request, org, role, members=True)
    if request.method == "GET":
        if not _wants_members(request):
            return _resource(_group(request, org, role, members=False))
        return _resource(resource)
    if request.method == "DELETE":
        raise ScimProblem(403, ROLES_ARE_SHARED)
    _check_if_match(request, resource)
    if request.method == "PUT":
        wanted_group = r.group_from_body(_body(request))
    else:
        wanted_group = patch.patched_group(resource, _body(request))
    if wanted_group.display_name and wanted_group.display_name != role.name:
        raise ScimProblem(403, ROLES_ARE_SHARED)
    wanted = {str(m.value) for m in wanted_group.members or [] if m.value}
    _members_change(request, org, role, resource, wanted)
    return _resource(_group(request, org, role))


@scim_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request: HttpRequest, org, rest: str = "") -> HttpResponse:
    """Any other path under ``/scim/v2/`` (``/Bulk``, ``/Me``...): a SCIM 404."""
    raise ScimProblem(404, f"/scim/v2/{rest} is not an endpoint of this service.")


# --- discovery --------------------------------------------------------------------


@scim_endpoint("GET")
def service_provider_config(request: HttpRequest, org) -> HttpResponse:
    """What this SCIM service supports (RFC 7643 5)."""
    url = request.build_absolute_uri(reverse("scim-service-provider-config"))
    return _json(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": request.build_absolute_uri("/"),
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": r.MAX_RESULTS},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": True},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "SCIM key",
                    "description": "The organization's SCIM key as a Bearer token.",
                    "primary": True,
                }
            ],
            "meta": {"resourceType": "ServiceProviderConfig", "location": url},
        }
    )


SCHEMA_MODELS = {"User": User, "Group": Group}


def _with_meta(
    request, items: list[dict], resource_type: str, url_name: str
) -> list[dict]:
    """Discovery ``items`` with their ``meta``: the type and each one's URL."""
    for item in items:
        url = reverse(url_name, args=[item["id"]])
        item["meta"] = {
            "resourceType": resource_type,
            "location": request.build_absolute_uri(url),
        }
    return items


def _all_or_one(found: list[dict], item_id: str | None, what: str) -> HttpResponse:
    """A ListResponse of ``found``, or its item ``item_id`` (404 if none)."""
    if item_id is None:
        return _json(r.list_response(found, total=len(found), start=1))
    for item in found:
        if item["id"] == item_id:
            return _json(item)
    raise ScimProblem(404, f"{what} {item_id} not found.")


def _schemas(request) -> list[dict]:
    schemas = [
        model.to_schema().model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        for model in SCHEMA_MODELS.values()
    ]
    return _with_meta(request, schemas, "Schema", "scim-schema")


@scim_endpoint("GET")
def schemas(request: HttpRequest, org, schema_id: str | None = None) -> HttpResponse:
    """The User and Group schemas (RFC 7643 7)."""
    return _all_or_one(_schemas(request), schema_id, "Schema")


def _resource_types(request) -> list[dict]:
    types = []
    for model in SCHEMA_MODELS.values():
        data = ResourceType.from_resource(model).model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE
        )
        data.pop("schemaExtensions", None)
        types.append(data)
    return _with_meta(request, types, "ResourceType", "scim-resource-type")


@scim_endpoint("GET")
def resource_types(request: HttpRequest, org, type_id: str | None = None):
    """The User and Group resource types (RFC 7643 6)."""
    return _all_or_one(_resource_types(request), type_id, "Resource type")
