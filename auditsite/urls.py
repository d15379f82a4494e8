"""Root URLs: one include() per app."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("exports.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("audit.api_urls")),
    # The schema and its docs page are public; the API itself is not.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny]),
        name="api-schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="api-schema", permission_classes=[AllowAny]
        ),
        name="api-docs",
    ),
    path("", include("audit.urls")),
    path("", include("exports.urls")),
]
