"""``/scim/v2/``: SCIM 2.0 for an org's identity provider (docs/scim.md)."""

from django.urls import path, re_path

from audit.scim import api

urlpatterns = [
    path("Users", api.users, name="scim-users"),
    path("Users/<str:user_id>", api.user, name="scim-user"),
    path("Groups", api.groups, name="scim-groups"),
    path("Groups/<str:group_id>", api.group, name="scim-group"),
    path(
        "ServiceProviderConfig",
        api.service_provider_config,
        name="scim-service-provider-config",
    ),
    path("Schemas", api.schemas, name="scim-schemas"),
    path("Schemas/<str:schema_id>", api.schemas, name="scim-schema"),
    path("ResourceTypes", api.resource_types, name="scim-resource-types"),
    path("ResourceTypes/<str:type_id>", api.resource_types, name="scim-resource-type"),
    re_path(r"^(?P<rest>.*)$", api.not_found),
]
