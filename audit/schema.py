"""drf-spectacular extensions: the API's authentication and scopes, documented."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from audit.permissions import required_scope


class ScopedAutoSchema(AutoSchema):
    """Every operation's description ends with the API key scope it needs,
    read from the view's ``required_scopes`` (the one place it is stated)."""

    def get_operation(self, *args, **kwargs):
        # Here, not in get_description: extend_schema(description=...)
        # replaces that method, and the scope must follow every description.
        operation = super().get_operation(*args, **kwargs)
        scope = required_scope(self.view, self.method)
        if operation is not None and getattr(self.view, "org_key_only", False):
            line = (
                "Org API key only (`Authorization: Bearer ao_...`): operator "
                "keys and staff sessions are refused."
            )
        elif operation is None or scope is None:
            return operation
        else:
            line = f"Scope: `{scope}` (API keys); staff need the matching permission."
        description = operation.get("description")
        operation["description"] = f"{description}\n\n{line}" if description else line
        return operation


class _BearerKeyScheme:
    """An API's key sent as ``Authorization: Bearer``; ``description`` says which."""

    description = ""

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": self.description}


class ApiKeyAuthenticationScheme(_BearerKeyScheme, OpenApiAuthenticationExtension):
    target_class = "audit.authentication.ApiKeyAuthentication"
    name = "apiKey"
    description = "An API key: `Authorization: Bearer as_...`."


class OrgApiKeyAuthenticationScheme(_BearerKeyScheme, OpenApiAuthenticationExtension):
    target_class = "audit.org_api.OrgApiKeyAuthentication"
    name = "orgApiKey"
    description = (
        "An org's API key (its org pages make it): `Authorization: Bearer ao_...`."
    )
