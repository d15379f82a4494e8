import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import AuditEventFactory, UserFactory
from tests.spec import SPEC_EVENT_FIELDS

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

SPEC_FIELDS = set(SPEC_EVENT_FIELDS)


def all_ids(client, url):
    """Follow ``next`` from ``url`` to the end; every id in order."""
    ids = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        ids += [event["id"] for event in response.json()["results"]]
        url = response.json()["next"]
    return ids


def test_list_is_newest_first_in_the_spec_format(api_client):
    """Events come newest first, each with the SPEC fields and a description."""
    user = UserFactory(email="ann@acme.example")
    old = AuditEventFactory(
        created_at=T0, user_id=user.pk, user_email=user.email, caused_by_type="User"
    )
    new = AuditEventFactory(created_at=T0 + timedelta(seconds=1.5))
    response = api_client.get(URL)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [event["id"] for event in results] == [str(new.uuid), str(old.uuid)]
    assert set(results[1]) == SPEC_FIELDS | {"description"}
    assert results[1]["created_at"] == int(T0.timestamp())
    assert results[0]["created_at"] == T0.timestamp() + 1.5
    assert results[1]["user_email"] == "ann@acme.example"
    assert results[1]["description"].startswith("ann@acme.example was created")
    assert response.json()["next"] is None


def test_filters_of_spec_section_5(api_client, org, other_org):
    """user, org, event_type, category, caused_by_type and dates all filter."""
    user = UserFactory(email="ann@acme.example")
    a = AuditEventFactory(
        user_id=user.pk, user_email=user.email, created_at=T0, caused_by_type="ApiKey"
    )
    b = AuditEventFactory(
        org_id=org.pk,
        org_name=org.name,
        event_type="OrgUpdated",
        category="org",
        created_at=T0 + timedelta(days=1),
    )
    c = AuditEventFactory(
        org_id=other_org.pk,
        org_name=other_org.name,
        event_type="OrgDeleted",
        category="org",
        created_at=T0 + timedelta(days=2),
        caused_by_type="Employee",
    )

    def ids(query):
        return set(all_ids(api_client, f"{URL}?{query}"))

    assert ids("user=ann@acme.example") == {str(a.uuid)}
    assert ids(f"user={user.pk}") == {str(a.uuid)}
    assert ids("org=Acme Inc") == {str(b.uuid)}
    assert ids(f"org={other_org.pk}") == {str(c.uuid)}
    assert ids("event_type=OrgUpdated,OrgDeleted") == {str(b.uuid), str(c.uuid)}
    assert ids("category=user") == {str(a.uuid)}
    assert ids("caused_by_type=Employee&caused_by_type=ApiKey") == {
        str(a.uuid),
        str(c.uuid),
    }
    assert ids("created_after=2026-03-02&created_before=2026-03-02") == {str(b.uuid)}


def test_invalid_filter_or_cursor_is_400(api_client):
    """A bad category, date or cursor is a 400, not a server error."""
    assert api_client.get(f"{URL}?category=nope").status_code == 400
    assert api_client.get(f"{URL}?created_after=yesterday").status_code == 400
    assert api_client.get(f"{URL}?cursor=!!!").status_code == 400
    assert api_client.get(f"{URL}?page_size=0").status_code == 400


def test_paging_with_tied_timestamps_never_skips_or_repeats(api_client):
    """Events sharing one created_at are paged in a fixed order, each once."""
    events = [AuditEventFactory(created_at=T0) for _ in range(23)]
    ids = all_ids(api_client, f"{URL}?page_size=5")
    assert ids == [str(event.uuid) for event in reversed(events)]


def test_paging_with_a_concurrent_writer_returns_every_event_once(api_client, ann):
    """New events arriving between pages never make an old one skip or repeat."""
    existing = []
    for n in range(30):
        # Several events per timestamp, so pages end in the middle of ties.
        existing.append(AuditEventFactory(created_at=T0 + timedelta(seconds=n // 3)))
    writer = APIClient()
    writer.credentials(**api_client._credentials)
    url = f"{URL}?page_size=4"
    seen = []
    while url:
        page = api_client.get(url).json()
        seen += [event["id"] for event in page["results"]]
        url = page["next"]
        last = AuditEvent.objects.get(uuid=seen[-1]).created_at
        # A newer event, one tied with the page's last, and one in the past.
        batch = [
            {
                "id": str(uuid.uuid4()),
                "user_id": str(ann.pk),
                "event_type": "UserLoggedOut",
                "created_at": when.timestamp(),
            }
            for when in (T0 + timedelta(hours=1), last, T0 - timedelta(days=1))
        ]
        response = writer.post(
            URL, data=json.dumps(batch), content_type="application/json"
        )
        assert response.status_code == 201
    assert len(seen) == len(set(seen))
    existing_ids = {str(event.uuid) for event in existing}
    assert existing_ids <= set(seen)
    assert [i for i in seen if i in existing_ids] == [
        str(e.uuid) for e in sorted(existing, key=lambda e: (e.created_at, e.seq))[::-1]
    ]


@pytest.fixture
def ann(db):
    return UserFactory(email="ann@acme.example")


def test_event_detail_by_id(api_client):
    """GET /api/v1/events/{id}/ returns that event; an unknown id is 404."""
    event = AuditEventFactory(created_at=T0)
    response = api_client.get(f"{URL}{event.uuid}/")
    assert response.status_code == 200
    assert response.json()["id"] == str(event.uuid)
    assert response.json()["event_data"] == {"UserCreated": {}}
    assert api_client.get(f"{URL}{uuid.uuid4()}/").status_code == 404


def test_reading_needs_a_key(db):
    """Without a key or a staff session the list and detail are 401."""
    event = AuditEventFactory()
    client = APIClient()
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}{event.uuid}/").status_code == 401


def test_an_event_read_back_can_be_ingested_as_is(api_client, ann):
    """The output format is the input format: a read event posts back unchanged."""
    AuditEventFactory(
        user_id=ann.pk,
        user_email=ann.email,
        event_data={"UserCreated": {"email": ann.email}},
        caused_by_metadata={"email": "boss@operator.example"},
        caused_by_source_ip="1.1.1.1",
        created_at=T0,
    )
    event = api_client.get(URL).json()["results"][0]
    event["id"] = str(uuid.uuid4())
    response = api_client.post(
        URL, data=json.dumps(event), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    copy = api_client.get(f"{URL}{event['id']}/").json()
    assert {k: copy[k] for k in SPEC_FIELDS} == {k: event[k] for k in SPEC_FIELDS}


def test_date_filters_with_odd_offsets_work(api_client):
    """created_after with an offset PostgreSQL cannot store still filters."""
    event = AuditEventFactory(created_at=T0)
    response = api_client.get(URL, {"created_after": "2026-02-28T00:00:00-18:49"})
    assert response.status_code == 200
    assert [e["id"] for e in response.json()["results"]] == [str(event.uuid)]
    response = api_client.get(URL, {"created_after": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 200


def test_browsable_api_works_for_staff(staff_client):
    """A staff user can browse the API in HTML with their admin session."""
    AuditEventFactory()
    response = staff_client.get(URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"UserCreated" in response.content


def test_unknown_org_filter_is_400_naming_it(api_client):
    """`org=NoSuchOrg` answers 400 naming the `org` filter, not an empty 200."""
    AuditEventFactory(created_at=T0)
    response = api_client.get(f"{URL}?org=NoSuchOrg")
    assert response.status_code == 400
    assert "NoSuchOrg" in response.json()["org"][0]
    deleted_org_id = uuid.uuid4()  # an id is accepted: events outlive their org
    assert api_client.get(f"{URL}?org={deleted_org_id}").status_code == 200


def test_page_size_over_the_maximum_is_capped_and_said(api_client):
    """`page_size=5000` is capped at 1,000 and the response's `page_size` says so."""
    AuditEventFactory(created_at=T0)
    response = api_client.get(f"{URL}?page_size=5000")
    assert response.status_code == 200
    assert response.json()["page_size"] == 1000
    assert api_client.get(f"{URL}?page_size=7").json()["page_size"] == 7
    assert api_client.get(URL).json()["page_size"] == 100
