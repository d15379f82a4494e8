import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from audit.apikeys import api_key_create, api_key_set_scopes
from audit.keys import key_new
from audit.models import ApiKey, AuditEvent
from audit.permissions import required_scope
from audit.scopes import ALL_SCOPES

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
LOCATIONS = "/api/v1/export-locations/"


def key_with(*scopes, legacy=False):
    new = key_new(ApiKey)
    ApiKey.objects.create(
        name="svc",
        prefix=new.prefix,
        key_hash=new.key_hash,
        scopes=list(scopes),
        legacy_all_scopes=legacy,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {new.raw_key}")
    return client


def _api_views(patterns=None, prefix=""):
    """(route, view class, HTTP methods) of every route under /api/v1/."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_views(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
            cls = getattr(entry.callback, "cls", None)
            actions = getattr(entry.callback, "actions", None)
            if actions:
                methods = [m.upper() for m in actions]
            else:
                methods = [
                    m.upper()
                    for m in getattr(cls, "http_method_names", [])
                    if m not in ("options", "head", "trace") and hasattr(cls, m)
                ]
            yield route, cls, methods


def test_every_api_route_declares_a_scope_for_each_method():
    """A route under /api/v1/ whose view names no scope for a method fails here."""
    routes = list(_api_views())
    assert len(routes) >= 4
    missing = []
    for route, cls, methods in routes:
        assert cls is not None, route
        if getattr(cls, "org_key_only", False):
            continue  # org keys authenticate and scope themselves
        view = cls()
        for method in methods:
            if required_scope(view, method) not in ALL_SCOPES:
                missing.append((route, method))
    assert not missing, f"routes without a scope: {missing}"


def test_a_key_without_the_scope_gets_403_naming_it():
    """An ingest-only key cannot read events; the 403 names events:read."""
    client = key_with("events:write")
    response = client.get(EVENTS)
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key lacks the scope events:read."
    assert client.post(EVENTS, {"event_type": "x"}, format="json").status_code != 403


def test_an_ingest_only_key_is_refused_beyond_ingestion():
    """events:write reaches ingestion and nothing else."""
    client = key_with("events:write")
    for method, url in (
        ("get", LOCATIONS),
        ("post", LOCATIONS),
        ("get", "/api/v1/users/"),
        ("post", "/api/v1/users/"),
        ("get", "/api/v1/orgs/"),
        ("post", "/api/v1/orgs/"),
        ("post", "/api/v1/portal-links"),
        ("post", "/api/v1/portal-links/"),
    ):
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 403, (method, url)
        assert "lacks the scope" in response.json()["detail"]


def test_exports_read_reads_but_cannot_write():
    """exports:read lists locations; creating one needs exports:write."""
    client = key_with("exports:read")
    assert client.get(LOCATIONS).status_code == 200
    response = client.post(LOCATIONS, {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "exports:write" in response.json()["detail"]


def test_verify_needs_exports_write(s3_location):
    """The verify action is a write: exports:read alone gets 403."""
    response = key_with("exports:read").post(f"{LOCATIONS}{s3_location.pk}/verify/")
    assert response.status_code == 403
    assert "exports:write" in response.json()["detail"]


@pytest.fixture
def s3_location(db):
    from exports.models import ExportLocation

    return ExportLocation.objects.create(
        name="lake", bucket="bucket", region="us-east-1", access_key_id="AKIA"
    )


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("apikeys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_create_command_takes_repeated_scopes():
    """`apikeys create NAME --scope A --scope B` makes a key with exactly A and B."""
    run_command(
        "create", "crm", "--scope", "directory:write", "--scope", "events:write"
    )
    api_key = ApiKey.objects.get()
    assert api_key.scopes == ["events:write", "directory:write"]
    assert not api_key.legacy_all_scopes
    assert "events:write directory:write" in run_command("list")


def test_create_command_without_scopes_gives_events_write_only():
    """A key made with no scope chosen can only ingest."""
    run_command("create", "plain")
    assert ApiKey.objects.get().scopes == ["events:write"]


def test_create_command_refuses_an_unknown_scope():
    """An unknown scope is a clear error naming it and the known ones; no key."""
    with pytest.raises(CommandError, match="Unknown scope 'events:delete'.*portal"):
        run_command("create", "bad", "--scope", "events:delete")
    assert not ApiKey.objects.exists()


def test_changing_scopes_records_old_and_new():
    """A scope change is an operator event with the old and new scopes."""
    api_key, _ = api_key_create(name="svc", scopes=["events:write"])
    api_key_set_scopes(api_key=api_key, scopes=["events:read", "events:write"])
    api_key_set_scopes(api_key=api_key, scopes=["events:write", "events:read"])
    [event] = AuditEvent.objects.filter(event_type="OperatorAPIKeyScopesChanged")
    details = event.details
    assert details["old"] == ["events:write"]
    assert details["new"] == ["events:write", "events:read"]
    assert details["prefix"] == api_key.prefix
    assert event.category == "operator"


def test_admin_has_one_box_per_scope_and_records_a_change(staff_client):
    """The add form has a checkbox per scope; changing them records the event."""
    page = staff_client.get("/admin/audit/apikey/add/").content.decode()
    for scope in ALL_SCOPES:
        assert f'value="{scope}"' in page
    staff_client.post(
        "/admin/audit/apikey/add/",
        {"name": "crm", "scopes": ["directory:read", "directory:write"]},
    )
    api_key = ApiKey.objects.get()
    assert api_key.scopes == ["directory:write", "directory:read"]
    response = staff_client.post(
        f"/admin/audit/apikey/{api_key.pk}/change/", {"scopes": ["portal"]}
    )
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.scopes == ["portal"]
    event = AuditEvent.objects.get(event_type="OperatorAPIKeyScopesChanged")
    assert event.caused_by_type == "Employee"
    assert event.details["new"] == ["portal"]


def test_admin_marks_legacy_keys(staff_client):
    """A key from before scopes shows as "legacy: all scopes" in the list."""
    key_with(*ALL_SCOPES, legacy=True)
    page = staff_client.get("/admin/audit/apikey/").content.decode()
    assert "legacy: all scopes" in page
