from django.urls import include, path

from auditsite.security import embeddable_pages
from exports import org_views, views

# The org's log streams pages, embeddable like the audit app's (SPEC 10).
org_pages = embeddable_pages(
    ("log-streams/", org_views.log_streams, "org-log-streams"),
    (
        "log-streams/<uuid:stream_id>/edit/",
        org_views.log_stream_edit,
        "org-log-stream-edit",
    ),
    (
        "log-streams/<uuid:stream_id>/<str:action>/",
        org_views.log_stream_action,
        "org-log-stream-action",
    ),
)

urlpatterns = [
    path(
        ".well-known/auditsite-export-key",
        views.export_public_key,
        name="export-public-key",
    ),
    path("orgs/<slug:slug>/", include(org_pages)),
]
