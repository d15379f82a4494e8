"""The org API: an org key reads exactly what its org's pages show."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.actors import actor_for_request
from audit.keys import key_new
from audit.models import AuditEvent, OrgApiKey
from audit.org_apikeys import org_api_key_create, org_api_key_revoke
from audit.selectors import audit_settings_load
from audit.services import Actor
from tests.factories import AuditEventFactory
from tests.spec import SPEC_EVENT_FIELDS

pytestmark = pytest.mark.django_db

URL = "/api/v1/org/events/"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def org_key(org):
    """A row, not ``org_api_key_create``: its event would be in the org's log."""
    new = key_new(OrgApiKey)
    key = OrgApiKey.objects.create(
        org=org, name="SIEM", prefix=new.prefix, key_hash=new.key_hash
    )
    key.raw_key = new.raw_key
    return key


def client_for(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def key_client(org_key):
    return client_for(org_key.raw_key)


def event_for(org, **fields):
    fields.setdefault("created_at", T0)
    return AuditEventFactory(org_id=org.pk, org_name=org.name, **fields)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [event["id"] for event in response.json()["results"]]


def test_lists_only_what_the_org_pages_show(key_client, org, other_org):
    """Own org only, hidden kinds hidden, no operator events; SPEC fields."""
    settings = audit_settings_load()
    settings.includes_employees = False
    settings.save()
    mine = event_for(org, event_type="OrgUpdated", category="org")
    event_for(other_org)
    event_for(org, caused_by_type="Employee")
    event_for(org, event_type="RoleCreated", category="operator")
    AuditEventFactory(org_id=None)
    results = key_client.get(URL).json()["results"]
    assert [e["id"] for e in results] == [str(mine.uuid)]
    assert set(results[0]) == set(SPEC_EVENT_FIELDS) | {"description"}


def test_same_filters_and_cursor_pages_as_the_operator_api(key_client, org):
    """event_type and date filters apply; next walks every event exactly once."""
    events = [
        event_for(org, created_at=T0 + timedelta(seconds=i), event_type="OrgUpdated")
        for i in range(5)
    ]
    event_for(org, event_type="OrgDeleted")
    response = key_client.get(URL, {"event_type": "OrgUpdated", "page_size": 2})
    seen = ids(response)
    url = response.json()["next"]
    while url:
        response = key_client.get(url)
        seen += ids(response)
        url = response.json()["next"]
    assert seen == [str(e.uuid) for e in reversed(events)]
    after = key_client.get(
        URL, {"created_after": (T0 + timedelta(seconds=3)).isoformat()}
    )
    assert len(ids(after)) == 2


def test_bad_filter_is_a_clear_400(key_client):
    """A malformed date filter is a 400 naming the field."""
    response = key_client.get(URL, {"created_after": "yesterday-ish"})
    assert response.status_code == 400
    assert "created_after" in response.json()


def test_detail_of_own_event_and_404_for_others(key_client, org, other_org):
    """One own event by id; another org's or an operator event is a 404."""
    mine = event_for(org)
    theirs = event_for(other_org)
    operator = event_for(org, event_type="RoleCreated", category="operator")
    assert key_client.get(f"{URL}{mine.uuid}/").json()["id"] == str(mine.uuid)
    assert key_client.get(f"{URL}{theirs.uuid}/").status_code == 404
    assert key_client.get(f"{URL}{operator.uuid}/").status_code == 404


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_revoked_or_expired_key_gets_401(org, org_key, state):
    """A revoked or expired org key is refused with 401."""
    if state == "revoked":
        org_api_key_revoke(actor=Actor.system(), key=org_key)
    else:
        OrgApiKey.objects.filter(pk=org_key.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    response = client_for(org_key.raw_key).get(URL)
    assert response.status_code == 401


def test_no_key_or_wrong_key_gets_401(org):
    """No header, an unknown key or a mangled header: 401."""
    assert APIClient().get(URL).status_code == 401
    assert client_for("ao_deadbeef_nope").get(URL).status_code == 401


def test_operator_key_and_staff_session_are_refused(api_key, staff, org):
    """The org endpoints take only org keys: an operator key or staff gets 401."""
    assert client_for(api_key.raw_key).get(URL).status_code == 401
    client = APIClient()
    client.force_login(staff)
    assert client.get(URL).status_code in (401, 403)


@pytest.mark.parametrize("url", ["/api/v1/events/", "/api/v1/export-locations/"])
def test_org_key_is_refused_everywhere_else(key_client, url):
    """An org key cannot read the operator events API or export locations."""
    assert key_client.get(url).status_code in (401, 403)


def test_org_key_cannot_ingest(key_client):
    """An org key cannot send events."""
    response = key_client.post("/api/v1/events/", {}, format="json")
    assert response.status_code in (401, 403)
    assert not AuditEvent.objects.exists()


def test_org_whose_log_is_off_is_refused(key_client, org):
    """When the org may not view its log, its key is refused (403)."""
    settings = audit_settings_load()
    settings.all_orgs_can_view_audit_log = False
    settings.save()
    assert key_client.get(URL).status_code == 403


def test_rate_limit_is_per_key(org, settings):
    """The operator API's rate applies per org key."""
    settings.AUDITSITE_API_THROTTLE_RATE = "2/min"
    a, raw_a = org_api_key_create(actor=Actor.system(), org=org, name="a")
    b, raw_b = org_api_key_create(actor=Actor.system(), org=org, name="b")
    first = client_for(raw_a)
    assert [first.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    assert client_for(raw_b).get(URL).status_code == 200


def test_last_used_is_recorded(key_client, org_key):
    """A request marks the key used."""
    key_client.get(URL)
    org_key.refresh_from_db()
    assert org_key.last_used_at is not None


def test_actor_of_an_org_key_request(org_key, rf):
    """actor_for_request names the org key: ApiKey, its prefix, name and org."""
    request = rf.get(URL)
    request.auth = org_key
    actor = actor_for_request(request)
    assert actor.type == "ApiKey" and actor.id == org_key.prefix
    assert actor.metadata == {"name": "SIEM", "org": str(org_key.org_id)}
