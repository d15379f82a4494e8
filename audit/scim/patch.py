"""SCIM PATCH (RFC 7644 3.5.2) on our resources, with the identity providers' forms.

scim2-models applies the operations. Two provider habits are met here:
Entra removes group members with a ``value`` list instead of a path filter,
and Entra and Okta patch attributes we do not keep (phone numbers,
addresses, the enterprise manager) in forms the RFC refuses (``add`` into a
filter that matches nothing, a manager as a bare id). An operation on an
attribute we do not keep that cannot apply is skipped; one on an attribute
we keep (``userName``, ``name``, ``active``, ``externalId``, a group's
``members`` and ``displayName``) that cannot apply is a 400.
"""

from __future__ import annotations

from typing import Any

import pydantic
from scim2_models import Context, Group, PatchOp, SCIMException, ScimFilter

from audit.models import User as Account
from audit.scim.resources import (
    PATCH_SCHEMA,
    ScimUserModel,
    problem_from,
    state_of,
)
from audit.services.scim_users import ScimProblem, ScimUserState

KEPT = {"username", "name", "active", "externalid", "members", "displayname"}


def _attribute(path: str) -> str:
    """The top attribute an operation's path names, lower case, without its URN."""
    head = path.split("[", 1)[0]
    return head.rsplit(":", 1)[-1].split(".", 1)[0].lower()


def _entra_removes(body: dict) -> dict:
    """Entra ID removes members with a value list; RFC 7644 wants a path filter.

    ``{"op": "Remove", "path": "members", "value": [{"value": "id"}]}``
    becomes one ``members[value eq "id"]`` removal per value.
    """
    operations = []
    for op in body.get("Operations") or []:
        if (
            isinstance(op, dict)
            and str(op.get("op", "")).lower() == "remove"
            and str(op.get("path", "")).lower() == "members"
            and isinstance(op.get("value"), list)
        ):
            for item in op["value"]:
                value = item.get("value") if isinstance(item, dict) else item
                path = f"members[value eq {ScimFilter.quote(str(value))}]"
                operations.append({"op": "remove", "path": path})
        else:
            operations.append(op)
    return {**body, "Operations": operations}


def patched(resource: dict, body: Any, model_class) -> Any:
    """``resource`` with the PatchOp ``body`` applied, as a scim2-models object."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        raise ScimProblem(400, "A PatchOp body needs Operations.", "invalidSyntax")
    body = _entra_removes({"schemas": [PATCH_SCHEMA], **body})
    try:
        model = model_class.model_validate(
            {k: v for k, v in resource.items() if k != "meta"}
        )
        # The whole request is checked first: bad syntax or an unknown
        # attribute anywhere is a 400 before anything applies.
        PatchOp[model_class].model_validate(
            body, scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        for raw in body["Operations"]:
            _apply(model, model_class, raw)
    except (pydantic.ValidationError, SCIMException) as exc:
        raise problem_from(exc) from None
    return model


def _apply(model, model_class, raw: dict) -> None:
    def patch(operation: dict) -> None:
        PatchOp[model_class].model_validate(
            {"schemas": [PATCH_SCHEMA], "Operations": [operation]},
            scim_ctx=Context.RESOURCE_PATCH_REQUEST,
        ).patch(model)

    try:
        patch(raw)
        return
    except SCIMException:
        path = raw.get("path")
        value = raw.get("value")
        if path:
            if _attribute(str(path)) in KEPT:
                raise
            return
        if not isinstance(value, dict):
            raise
        kept = {k: v for k, v in value.items() if _attribute(k) in KEPT}
        if kept == value:
            raise
    patch({**raw, "value": kept})


def patched_user_state(resource: dict, body: Any, current: Account) -> ScimUserState:
    """The state a PATCH leaves a user in."""
    return state_of(patched(resource, body, ScimUserModel), current=current)


def patched_group(resource: dict, body: Any) -> Group:
    """The group a PATCH asks for (the caller refuses a rename)."""
    return patched(resource, body, Group)
