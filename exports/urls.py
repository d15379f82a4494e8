from django.urls import path

from exports import views

urlpatterns = [
    path(
        ".well-known/auditsite-export-key",
        views.export_public_key,
        name="export-public-key",
    ),
]
