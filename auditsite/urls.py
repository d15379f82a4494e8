"""Root URLs: one include() per app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("exports.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("audit.urls")),
    path("", include("exports.urls")),
]
