"""drf-spectacular extensions: the API's authentication and scopes, documented."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from audit.permissions import required_scope


class ScopedAutoSchema(AutoSchema):
    """Every operation's description ends with the API key scope it needs,
    read from the view's ``required_scopes`` (the one place it is stated)."""

    def get_description(self) -> str:
        description = super().get_description() or ""
        scope = required_scope(self.view, self.method)
        if scope is None:
            return description
        line = f"Scope: `{scope}` (API keys); staff need the matching permission."
        return f"{description}\n\n{line}" if description else line


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "audit.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key: `Authorization: Bearer as_...`.",
        }
