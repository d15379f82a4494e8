"""SCIM resources: our users and roles as RFC 7643 JSON, and requests read back.

scim2-models does the SCIM work (filter grammar, PATCH semantics, schemas,
case-insensitive attribute names, Entra's capitalised ops and string
booleans); this module maps its resources to ours and a parsed filter to a
Django ``Q`` over the few attributes we keep.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pydantic
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from scim2_models import (
    Context,
    EnterpriseUser,
    Group,
    SCIMException,
    ScimFilter,
    User,
)
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from audit.models import Organization, Role
from audit.models import User as Account
from audit.services.scim_users import ScimProblem, ScimUserState

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RESULTS = 200
# Entra sends the enterprise extension (department, manager...) by default:
# it is read, so the request is valid, and not kept.
ScimUserModel = User[EnterpriseUser]


def etag(data: dict[str, Any]) -> str:
    """A weak ETag of a resource's content (its ``meta.version``)."""
    digest = hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str).encode()
    ).hexdigest()
    return f'W/"{digest[:20]}"'


def _with_meta(
    request: HttpRequest, data: dict, *, kind: str, url: str, created, modified
):
    data = {k: v for k, v in data.items() if v not in (None, "", [])}
    data["meta"] = {
        "resourceType": kind,
        "created": created.isoformat(),
        "lastModified": modified.isoformat(),
        "location": request.build_absolute_uri(url),
        "version": etag(data),
    }
    return data


def user_resource(request: HttpRequest, user: Account) -> dict[str, Any]:
    """A user as ``org``'s key sees them (from ``scim_users_for_org``)."""
    groups = []
    if user.scim_active and user.scim_role_id:
        groups.append(
            {
                "value": str(user.scim_role_id),
                "display": user.scim_role_name,
                "$ref": request.build_absolute_uri(
                    reverse("scim-group", args=[user.scim_role_id])
                ),
            }
        )
    name = {"givenName": user.first_name, "familyName": user.last_name}
    data = {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "externalId": user.scim_external_id or None,
        "userName": user.email,
        "name": {k: v for k, v in name.items() if v} or None,
        "displayName": user.get_full_name(),
        "active": bool(user.scim_active),
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "groups": groups,
    }
    times = [t for t in (user.scim_created_at, user.scim_member_since) if t]
    changed = [t for t in (user.scim_updated_at, user.scim_member_since) if t]
    return _with_meta(
        request,
        data,
        kind="User",
        url=reverse("scim-user", args=[user.pk]),
        created=min(times, default=user.date_joined),
        modified=max(changed, default=user.date_joined),
    )


def group_resource(
    request: HttpRequest, org: Organization, role: Role, memberships, *, members=True
) -> dict[str, Any]:
    """A role as a SCIM group: its members are ``org``'s members with that role."""
    rows = list(memberships) if members else []
    data = {
        "schemas": [GROUP_SCHEMA],
        "id": str(role.pk),
        "displayName": role.name,
        "members": [
            {
                "value": str(m.user_id),
                "display": m.user.email,
                "$ref": request.build_absolute_uri(
                    reverse("scim-user", args=[m.user_id])
                ),
            }
            for m in rows
        ],
    }
    return _with_meta(
        request,
        data,
        kind="Group",
        url=reverse("scim-group", args=[role.pk]),
        created=org.created_at,
        modified=max((m.created_at for m in rows), default=org.created_at),
    )


def list_response(resources: list[dict], *, total: int, start: int) -> dict:
    """A SCIM ListResponse page."""
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def page_params(request: HttpRequest) -> tuple[int, int]:
    """``startIndex`` (1-based) and ``count`` as RFC 7644 3.4.2.4 reads them."""

    def number(name: str, default: int) -> int:
        raw = request.GET.get(name, "")
        try:
            return int(raw) if raw.strip() else default
        except ValueError:
            raise ScimProblem(
                400, f"{name} must be a number.", "invalidValue"
            ) from None

    start = max(number("startIndex", 1), 1)
    count = min(max(number("count", 100), 0), MAX_RESULTS)
    return start, count


# --- filters -------------------------------------------------------------------

USER_FILTER_FIELDS = {
    "username": "email",
    "emails": "email",
    "emails.value": "email",
    "id": "pk",
    "externalid": "scim_external_id",
    "active": "scim_active",
    "name.givenname": "first_name",
    "name.familyname": "last_name",
}
GROUP_FILTER_FIELDS = {"displayname": "name", "id": "pk"}
# Case-exact attributes (RFC 7643: id and externalId); the rest ignore case.
CASE_EXACT = {"scim_external_id"}
LOOKUPS = {
    CompareOperator.eq: ("exact", "iexact"),
    CompareOperator.co: ("contains", "icontains"),
    CompareOperator.sw: ("startswith", "istartswith"),
    CompareOperator.ew: ("endswith", "iendswith"),
}


class _ToQ(FilterVisitor[Q]):
    def __init__(self, fields: dict[str, str], id_type: type):
        self.fields = fields
        self.id_type = id_type

    def _field(self, attr_path, prefix: str = "") -> str:
        key = (prefix + str(attr_path).split(":")[-1]).lower()
        if key not in self.fields:
            raise ScimProblem(
                400, f"Filtering on {attr_path} is not supported.", "invalidFilter"
            )
        return self.fields[key]

    def visit_comparison(self, node: Comparison, prefix: str = "") -> Q:
        field = self._field(node.attr_path, prefix)
        if field == "scim_active":
            if node.op not in (CompareOperator.eq, CompareOperator.ne):
                raise ScimProblem(400, "active takes eq or ne.", "invalidFilter")
            value = (
                node.value
                if isinstance(node.value, bool)
                else str(node.value).lower() == "true"
            )
            q = Q(scim_active=value)
            return ~q if node.op == CompareOperator.ne else q
        if field == "pk":
            # Ids compare whole; one that cannot be an id matches nothing.
            if node.op not in (CompareOperator.eq, CompareOperator.ne):
                raise ScimProblem(400, "id takes eq or ne.", "invalidFilter")
            try:
                q = Q(pk=self.id_type(str(node.value)))
            except ValueError:
                q = Q(pk__in=[])
            return ~q if node.op == CompareOperator.ne else q
        if node.op == CompareOperator.ne:
            lookup = "exact" if field in CASE_EXACT else "iexact"
            return ~Q(**{f"{field}__{lookup}": str(node.value)})
        if node.op not in LOOKUPS:
            raise ScimProblem(
                400, f"The operator {node.op.value} is not supported.", "invalidFilter"
            )
        exact, insensitive = LOOKUPS[node.op]
        lookup = exact if field in CASE_EXACT else insensitive
        return Q(**{f"{field}__{lookup}": str(node.value)})

    def visit_present(self, node: Present) -> Q:
        field = self._field(node.attr_path)
        if field in ("pk", "scim_active"):
            return Q()  # always there
        return ~Q(**{f"{field}__isnull": True}) & ~Q(**{field: ""})

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        qs = [self.visit(term) for term in node.terms]
        result = qs[0]
        for q in qs[1:]:
            result = result & q if node.op == LogicalOperator.and_ else result | q
        return result

    def visit_value_path(self, node: ValuePath) -> Q:
        # emails[value eq "x"] and emails[type eq "work"]: our one email is work.
        prefix = f"{node.attr_path}.".lower()
        inner = node.val_filter
        if isinstance(inner, Comparison) and str(inner.attr_path).lower() == "type":
            return Q() if str(inner.value).lower() == "work" else Q(pk__in=[])
        if isinstance(inner, Comparison):
            return self.visit_comparison(inner, prefix)
        raise ScimProblem(400, f"The filter {node} is not supported.", "invalidFilter")


def filter_q(request: HttpRequest, fields: dict[str, str], id_type: type) -> Q:
    """The ``filter`` query parameter as a ``Q`` over ``fields``; Q() if none."""
    expression = request.GET.get("filter", "").strip()
    if not expression:
        return Q()
    try:
        ast = ScimFilter(expression).ast
    except (SCIMException, ValueError) as exc:
        raise ScimProblem(400, f"Invalid filter: {exc}", "invalidFilter") from None
    return _ToQ(fields, id_type).visit(ast)


# --- request bodies -------------------------------------------------------------


def problem_from(exc: Exception) -> ScimProblem:
    scim_type = "invalidValue"
    detail = str(exc)
    if isinstance(exc, pydantic.ValidationError):
        errors = exc.errors()
        if errors and str(errors[0]["type"]).startswith("scim_"):
            scim_type = str(errors[0]["type"])[len("scim_") :]
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
            for e in errors
        )
    elif isinstance(exc, SCIMException):
        scim_type = exc.scim_type or scim_type
    return ScimProblem(400, detail, scim_type if scim_type != "error" else None)


def user_state(
    body: Any, *, context: Context, current: Account | None
) -> ScimUserState:
    """The ``ScimUserState`` a POST or PUT body asks for; 400 naming the field."""
    if not isinstance(body, dict):
        raise ScimProblem(400, "The body must be a JSON object.", "invalidSyntax")
    body = _without_unknown_extensions(body)
    try:
        model = ScimUserModel.model_validate(body, scim_ctx=context)
    except (pydantic.ValidationError, SCIMException) as exc:
        raise problem_from(exc) from None
    return state_of(model, current=current)


def _without_unknown_extensions(body: dict) -> dict:
    """``body`` minus extension schemas we do not know (ignored, not refused)."""
    known = {USER_SCHEMA, ENTERPRISE_SCHEMA}
    body = {
        key: value
        for key, value in body.items()
        if not key.lower().startswith("urn:") or key in known
    }
    schemas = body.get("schemas")
    if isinstance(schemas, list):
        body["schemas"] = [s for s in schemas if s in known] or [USER_SCHEMA]
    else:
        body["schemas"] = [USER_SCHEMA]
    return body


def state_of(model: ScimUserModel, *, current: Account | None) -> ScimUserState:
    if not model.user_name:
        raise ScimProblem(400, "userName is required.", "invalidValue")
    active = model.active
    if active is None:
        # A PUT without active keeps the user as they are; a POST makes them active.
        active = bool(current.scim_active) if current is not None else True
    name = model.name
    return ScimUserState(
        email=model.user_name,
        active=active,
        external_id=model.external_id or "",
        first_name=name.given_name if name else None,
        last_name=name.family_name if name else None,
    )


def group_from_body(body: Any) -> Group:
    """A PUT body read as a Group."""
    if not isinstance(body, dict):
        raise ScimProblem(400, "The body must be a JSON object.", "invalidSyntax")
    try:
        return Group.model_validate(
            {"schemas": [GROUP_SCHEMA], **body},
            scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST,
        )
    except (pydantic.ValidationError, SCIMException) as exc:
        raise problem_from(exc) from None
