"""REST API v1 routes of the audit app (mounted at ``/api/v1/``)."""

from django.urls import path

from audit import api, org_api

urlpatterns = [
    path("events/", api.EventListView.as_view(), name="api-events"),
    path("events/<uuid:id>/", api.EventDetailView.as_view(), name="api-event"),
    path("org/events/", org_api.OrgEventListView.as_view(), name="api-org-events"),
    path(
        "org/events/<uuid:id>/",
        org_api.OrgEventDetailView.as_view(),
        name="api-org-event",
    ),
]
