from django.urls import path

from exports import org_views, views

urlpatterns = [
    path(
        ".well-known/auditsite-export-key",
        views.export_public_key,
        name="export-public-key",
    ),
    path(
        "orgs/<slug:slug>/log-streams/",
        org_views.log_streams,
        name="org-log-streams",
    ),
    path(
        "orgs/<slug:slug>/log-streams/<uuid:stream_id>/<str:action>/",
        org_views.log_stream_action,
        name="org-log-stream-action",
    ),
]
