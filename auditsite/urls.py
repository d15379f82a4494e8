"""Root URLs: one include() per app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("exports.api_urls")),
    path("", include("audit.urls")),
    path("", include("exports.urls")),
]
