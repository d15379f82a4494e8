"""The site's URL names and paths, and which pages a host product may frame."""

import uuid

import pytest
from django.urls import resolve, reverse

ID = uuid.UUID(int=7)

# name -> (reverse()'s arguments, the path it names)
ORG_PAGES = {
    "org-audit-log": (["acme"], "/orgs/acme/audit-log/"),
    "org-audit-log-export": (["acme", "csv"], "/orgs/acme/audit-log/export.csv"),
    "org-customer-export": (["acme", ID], f"/orgs/acme/audit-log/exports/{ID}/"),
    "org-customer-export-download": (
        ["acme", "tok"],
        "/orgs/acme/audit-log/exports/download/tok",
    ),
    "org-audit-event": (["acme", ID], f"/orgs/acme/audit-log/{ID}/"),
    "org-members": (["acme"], "/orgs/acme/members/"),
    "org-api-keys": (["acme"], "/orgs/acme/api-keys/"),
    "org-api-key-delete": (["acme", 3], "/orgs/acme/api-keys/3/delete/"),
    "org-scim": (["acme"], "/orgs/acme/scim/"),
    "org-log-streams": (["acme"], "/orgs/acme/log-streams/"),
    "org-log-stream-edit": (["acme", ID], f"/orgs/acme/log-streams/{ID}/edit/"),
    "org-log-stream-action": (
        ["acme", ID, "pause"],
        f"/orgs/acme/log-streams/{ID}/pause/",
    ),
}
OTHER_PAGES = {
    "home": ([], "/"),
    "healthz": ([], "/healthz"),
    "account": ([], "/account/"),
    "portal-open": (["tok"], "/portal/tok"),
    "export-public-key": ([], "/.well-known/auditsite-export-key"),
    "password_change": ([], "/accounts/password_change/"),
    "password_reset": ([], "/accounts/password_reset/"),
    "password_reset_confirm": (["uid", "tok"], "/accounts/reset/uid/tok/"),
    "login": ([], "/accounts/login/"),
    "api-schema": ([], "/api/schema/"),
    "api-docs": ([], "/api/docs/"),
}
API = {
    "api-events": ([], "/api/v1/events/"),
    "api-event": ([ID], f"/api/v1/events/{ID}/"),
    "api-org-events": ([], "/api/v1/org/events/"),
    "api-org-event": ([ID], f"/api/v1/org/events/{ID}/"),
    "api-users": ([], "/api/v1/users/"),
    "api-user": ([ID], f"/api/v1/users/{ID}/"),
    "api-orgs": ([], "/api/v1/orgs/"),
    "api-org": ([ID], f"/api/v1/orgs/{ID}/"),
    "api-org-members": ([ID], f"/api/v1/orgs/{ID}/members/"),
    "api-org-member": ([ID, ID], f"/api/v1/orgs/{ID}/members/{ID}/"),
    "api-portal-links": ([], "/api/v1/portal-links"),
    "export-location-list": ([], "/api/v1/export-locations/"),
    "scim-users": ([], "/scim/v2/Users"),
    "scim-resource-type": (["User"], "/scim/v2/ResourceTypes/User"),
}
ALL = {**ORG_PAGES, **OTHER_PAGES, **API}


@pytest.mark.parametrize("name", ALL)
def test_every_url_name_names_its_path(name):
    """reverse() gives each name its path, and the path resolves to that name."""
    args, path = ALL[name]
    assert reverse(name, args=args) == path
    assert resolve(path).url_name == name


def test_password_views_are_the_ones_that_record_events():
    """The password URLs reach the audit app's views, not Django's own."""
    for name in ("password_change", "password_reset", "password_reset_confirm"):
        assert resolve(reverse(name, args=ALL[name][0])).func.__module__ == (
            "audit.auth_views"
        )


@pytest.mark.parametrize("name", ORG_PAGES)
def test_every_org_page_is_embeddable(client, db, settings, name):
    """With embed origins set, every page under /orgs/<slug>/ lets them frame it."""
    settings.AUDITSITE_EMBED_ORIGINS = ["https://app.example.com"]
    response = client.get(ORG_PAGES[name][1])
    assert (
        "frame-ancestors https://app.example.com" in response["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response


@pytest.mark.parametrize("name", ["home", "account", "portal-open", "login"])
def test_other_pages_stay_unframeable(client, db, settings, name):
    """Embed origins do not reach the pages outside /orgs/<slug>/."""
    settings.AUDITSITE_EMBED_ORIGINS = ["https://app.example.com"]
    response = client.get(OTHER_PAGES[name][1])
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
