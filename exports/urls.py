from django.urls import path

from auditsite.security import embeddable
from exports import org_views, views

urlpatterns = [
    path(
        ".well-known/auditsite-export-key",
        views.export_public_key,
        name="export-public-key",
    ),
    path(
        "orgs/<slug:slug>/log-streams/",
        embeddable(org_views.log_streams),
        name="org-log-streams",
    ),
    path(
        "orgs/<slug:slug>/log-streams/<uuid:stream_id>/edit/",
        embeddable(org_views.log_stream_edit),
        name="org-log-stream-edit",
    ),
    path(
        "orgs/<slug:slug>/log-streams/<uuid:stream_id>/<str:action>/",
        embeddable(org_views.log_stream_action),
        name="org-log-stream-action",
    ),
]
