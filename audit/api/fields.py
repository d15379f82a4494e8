"""The directory API's fields, stated once: what a user, org and member are.

One table per kind (SPEC section 10's field lists) drives the three things
the API does with a field: type-check a request's value (plain Python, so a
batch of 1,000 costs milliseconds, as ingestion does), render a row, and
document both in the OpenAPI schema (``schema_serializer``). Values that
pass here are then validated by the model's own validators in the service.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from audit.services.bulk import ItemError


class ApiField(NamedTuple):
    """One field: its API name, model attribute, kind, and how it is written."""

    name: str
    attr: str
    kind: str  # uuid | str | bool | int | object | datetime
    nullable: bool = False
    writable: bool = True
    help: str = ""


USER_FIELDS: tuple[ApiField, ...] = (
    ApiField("id", "id", "uuid", help="The host product's id; made up if omitted."),
    ApiField("email", "email", "str", help="Unique; stored in lower case."),
    ApiField("username", "username", "str", nullable=True),
    ApiField("first_name", "first_name", "str"),
    ApiField("last_name", "last_name", "str"),
    ApiField("picture_url", "picture_url", "str"),
    ApiField("properties", "properties", "object"),
    ApiField("enabled", "is_active", "bool"),
    ApiField("locked", "locked", "bool"),
    ApiField("email_confirmed", "email_confirmed", "bool"),
    ApiField("mfa_enabled", "mfa_enabled", "bool"),
    ApiField("created_at", "date_joined", "datetime", writable=False),
)
ORG_FIELDS: tuple[ApiField, ...] = (
    ApiField("id", "id", "uuid", help="The host product's id; made up if omitted."),
    ApiField("name", "name", "str"),
    ApiField("slug", "slug", "str", help="Unique; the org's pages live under it."),
    ApiField("plan", "plan", "str", help="free, growth or growth_plus."),
    ApiField("domain", "domain", "str"),
    ApiField("domain_autojoin", "domain_autojoin", "bool"),
    ApiField("domain_restrict", "domain_restrict", "bool"),
    ApiField("can_setup_saml", "can_setup_saml", "bool"),
    ApiField("max_users", "max_users", "int", nullable=True),
    ApiField("auto_logout_seconds", "auto_logout_seconds", "int", nullable=True),
    ApiField("require_2fa_by", "require_2fa_by", "datetime", nullable=True),
    ApiField("metadata", "metadata", "object"),
    ApiField("can_view_audit_log", "can_view_audit_log", "bool"),
    ApiField("created_at", "created_at", "datetime", writable=False),
)
MEMBER_FIELDS: tuple[ApiField, ...] = (
    ApiField("user_id", "user_id", "uuid", help="The user, by id ..."),
    ApiField("user_email", "user.email", "str", help="... or by email."),
    ApiField("role", "role.name", "str", help="The role's name, e.g. Member."),
    ApiField("created_at", "created_at", "datetime", writable=False),
)
# What adding a member takes (the user by id or email, the role by name).
MEMBER_INPUT: tuple[ApiField, ...] = (
    ApiField("user_id", "user_id", "uuid", help="The user, by id ..."),
    ApiField("user_email", "user_email", "str", help="... or by email."),
    ApiField("role", "role", "str", help="The role's name, e.g. Member."),
)
_TYPE_NAMES = {
    "uuid": "a UUID string",
    "str": "a string",
    "bool": "true or false",
    "int": "an integer",
    "object": "a JSON object",
    "datetime": "an ISO 8601 date/time string",
}


def _typed(kind: str, value: Any) -> tuple[bool, Any]:
    """(ok, the value as the model takes it) for a JSON value of ``kind``."""
    if kind == "str":
        return isinstance(value, str) and "\x00" not in value, value
    if kind == "bool":
        return isinstance(value, bool), value
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool), value
    if kind == "object":
        return isinstance(value, dict), value
    if kind == "uuid":
        try:
            return True, uuid.UUID(value)
        except (TypeError, ValueError, AttributeError):
            return False, None
    if kind == "datetime":
        parsed = parse_datetime(value) if isinstance(value, str) else None
        return parsed is not None, parsed
    raise ValueError(kind)


def parse_item(
    item: Any,
    fields: tuple[ApiField, ...],
    *,
    index: int,
    errors: list[ItemError],
    creating: bool,
    what: str,
) -> dict[str, Any]:
    """One JSON item as model-attribute -> value; problems go to ``errors``.

    Unknown and read-only fields, wrong types and malformed UUIDs are named;
    ``id`` is accepted only when ``creating``.
    """
    if not isinstance(item, dict):
        errors.append(ItemError(index, None, "must be a JSON object"))
        return {}
    by_name = {f.name: f for f in fields}
    values: dict[str, Any] = {}
    for name, value in item.items():
        field = by_name.get(name)
        if field is None:
            errors.append(ItemError(index, name, f"is not a field of {what}"))
            continue
        if not field.writable or (name == "id" and not creating):
            errors.append(ItemError(index, name, "is read-only"))
            continue
        if value is None and (field.nullable or name == "id"):
            values[field.attr] = None
            continue
        ok, typed = _typed(field.kind, value)
        if not ok:
            errors.append(ItemError(index, name, f"must be {_TYPE_NAMES[field.kind]}"))
            continue
        values[field.attr] = typed
    return values


def api_name(fields: tuple[ApiField, ...], attr: str | None) -> str | None:
    """The API name of a model attribute (``is_active`` -> ``enabled``)."""
    for field in fields:
        if field.attr == attr:
            return field.name
    return attr


def _value(obj: Any, attr: str) -> Any:
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def render(obj: Any, fields: tuple[ApiField, ...]) -> dict[str, Any]:
    """A row as the API answers it."""
    out = {}
    for field in fields:
        value = _value(obj, field.attr)
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[field.name] = value
    return out


_SCHEMA_FIELDS = {
    "uuid": serializers.UUIDField,
    "str": serializers.CharField,
    "bool": serializers.BooleanField,
    "int": serializers.IntegerField,
    "object": serializers.DictField,
    "datetime": serializers.DateTimeField,
}


def schema_serializer(
    name: str, fields: tuple[ApiField, ...], *, output: bool, required=()
) -> type[serializers.Serializer]:
    """A DRF serializer documenting ``fields`` (input or output) in OpenAPI."""
    declared = {}
    for field in fields:
        if not output and not field.writable:
            continue
        options = {"read_only": True} if output else {}
        if not output:
            options["required"] = field.name in required
        declared[field.name] = _SCHEMA_FIELDS[field.kind](
            allow_null=field.nullable, help_text=field.help or None, **options
        )
    return type(name, (serializers.Serializer,), declared)
