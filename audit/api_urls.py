"""REST API v1 routes of the audit app (mounted at ``/api/v1/``)."""

from django.urls import path, re_path

from audit import org_api
from audit.api import directory, events, portal

urlpatterns = [
    path("events/", events.EventListView.as_view(), name="api-events"),
    path("events/<uuid:id>/", events.EventDetailView.as_view(), name="api-event"),
    path("org/events/", org_api.OrgEventListView.as_view(), name="api-org-events"),
    path(
        "org/events/<uuid:id>/",
        org_api.OrgEventDetailView.as_view(),
        name="api-org-event",
    ),
    path("users/", directory.UserListView.as_view(), name="api-users"),
    path("users/<uuid:id>/", directory.UserDetailView.as_view(), name="api-user"),
    path("orgs/", directory.OrgListView.as_view(), name="api-orgs"),
    path("orgs/<uuid:id>/", directory.OrgDetailView.as_view(), name="api-org"),
    path(
        "orgs/<uuid:id>/members/",
        directory.MemberListView.as_view(),
        name="api-org-members",
    ),
    path(
        "orgs/<uuid:id>/members/<uuid:user_id>/",
        directory.MemberDetailView.as_view(),
        name="api-org-member",
    ),
    # With or without the trailing slash (SPEC 10): a POST cannot be redirected.
    re_path(
        r"^portal-links/?$", portal.PortalLinkView.as_view(), name="api-portal-links"
    ),
]
