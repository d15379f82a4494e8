"""REST API v1 routes of the audit app (mounted at ``/api/v1/``)."""

from django.urls import path

from audit import api

urlpatterns = [
    path("events/", api.EventListView.as_view(), name="api-events"),
    path("events/<uuid:id>/", api.EventDetailView.as_view(), name="api-event"),
]
