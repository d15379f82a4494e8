"""``/accounts/``: the password views that record their events; the rest is Django's."""

from django.urls import include, path

from audit.auth_views import (
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetView,
)

urlpatterns = [
    path("password_change/", PasswordChangeView.as_view(), name="password_change"),
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("", include("django.contrib.auth.urls")),
]
