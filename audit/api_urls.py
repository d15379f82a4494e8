"""REST API v1 routes of the audit app (mounted at ``/api/v1/``)."""

from django.urls import path

from audit.api import events

urlpatterns = [
    path("events/", events.EventListView.as_view(), name="api-events"),
    path("events/<uuid:id>/", events.EventDetailView.as_view(), name="api-event"),
]
