"""Root URLs: one include() per app."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

# audit.schema registers the API key scheme with drf-spectacular: imported
# with the API's URLs, not at start-up, so commands skip drf-spectacular.
from audit import schema  # noqa: F401

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("exports.api_urls")),
    # Password views that record their events; the rest is Django's.
    path("accounts/", include("audit.auth_urls")),
    path("api/v1/", include("audit.api_urls")),
    # SCIM 2.0 for an org's identity provider, authenticated by the org's key.
    path("scim/v2/", include("audit.scim.urls")),
    # The schema and its docs page are public; the API itself is not.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny]),
        name="api-schema",
    ),
    path(
        "api/docs/",
        # The split view serves its start-up script as a file (?script), so
        # the page runs under the site's CSP without an inline script.
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", permission_classes=[AllowAny]
        ),
        name="api-docs",
    ),
    path("", include("audit.urls")),
    path("", include("exports.urls")),
]
