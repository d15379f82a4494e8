import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from audit.apikeys import api_key_revoke
from audit.models import AuditEvent, EventType
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def post(client, payload, **extra):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(URL, data=body, content_type="application/json", **extra)


@pytest.fixture
def ann(db):
    return UserFactory(email="ann@acme.example")


def user_event(user, **fields):
    return {
        "id": str(uuid.uuid4()),
        "user_id": str(user.pk),
        "event_type": "UserLoggedOut",
        "event_data": {"UserLoggedOut": {}},
        **fields,
    }


def test_single_event_is_stored_as_sent_and_caused_by_the_key(api_client, api_key, ann):
    """One event object is stored with the SPEC fields and ApiKey as its cause."""
    event_id = str(uuid.uuid4())
    response = post(
        api_client,
        {
            "id": event_id,
            "user_email": "Ann@Acme.example",
            "event_type": "UserMetadataChanged",
            "event_data": {"UserMetadataChanged": {"new": {"firstName": "Ann"}}},
            "created_at": 1745598561,
        },
        HTTP_USER_AGENT="billing/1.0",
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {"stored": 1, "already_stored": [], "ids": [event_id]}
    event = AuditEvent.objects.get(uuid=event_id)
    assert event.user_id == ann.pk
    assert event.user_email == "ann@acme.example"
    assert event.category == "user"
    assert event.created_at == datetime.fromtimestamp(1745598561, tz=UTC)
    assert event.event_data == {"UserMetadataChanged": {"new": {"firstName": "Ann"}}}
    assert event.caused_by_type == "ApiKey"
    assert event.caused_by_id == api_key.prefix
    assert event.caused_by_metadata == {"name": "billing service"}
    assert event.caused_by_user_agent == "billing/1.0"


def test_batch_with_one_bad_item_writes_nothing_and_names_it(api_client, ann, org):
    """An invalid item rejects the whole batch with its index and field."""
    batch = [
        user_event(ann),
        user_event(ann, event_type="NoSuchEvent", event_data=None),
        {"org_name": "Acme Inc", "event_type": "OrgUpdated"},
    ]
    response = post(api_client, batch)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "field": "event_type", "message": "is not a known event type"}
    ]
    assert AuditEvent.objects.count() == 0


def test_every_invalid_item_is_reported(api_client, ann):
    """Errors list each bad item and field, not just the first one."""
    future = (timezone.now() + timedelta(hours=1)).timestamp()
    batch = [
        user_event(ann, user_id=str(uuid.uuid4())),
        user_event(ann, created_at=future),
        user_event(ann, event_data={"UserCreated": {}}),
        "not an object",
        user_event(ann, colour="blue"),
        user_event(ann, caused_by_type="Robot"),
    ]
    response = post(api_client, batch)
    assert response.status_code == 400
    fields = [(e["index"], e["field"]) for e in response.json()["errors"]]
    assert fields == [
        (3, None),
        (4, "colour"),
        (0, "user_id"),
        (1, "created_at"),
        (2, "event_data"),
        (5, "caused_by_type"),
    ]


@pytest.mark.parametrize("value", [[], {}, 7, ["Employee"]])
def test_a_cause_type_that_is_not_text_is_a_clear_error(api_client, ann, value):
    """A caused_by_type of the wrong JSON type is a 400 on its field, not a 500."""
    response = post(api_client, [user_event(ann, caused_by_type=value)])
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (0, "caused_by_type")
    assert error["message"].startswith("must be one of ")
    assert AuditEvent.objects.count() == 0


def test_same_batch_twice_is_stored_once(api_client, ann):
    """A retried batch stores nothing new and says which ids were stored."""
    batch = [user_event(ann), user_event(ann)]
    first = post(api_client, batch)
    second = post(api_client, batch)
    ids = [item["id"] for item in batch]
    assert first.status_code == 201
    assert first.json()["already_stored"] == []
    assert second.status_code == 200
    assert second.json() == {"stored": 0, "already_stored": ids, "ids": ids}
    assert AuditEvent.objects.count() == 2


def test_partly_new_batch_stores_only_the_new_ids(api_client, ann):
    """Items already stored are skipped; the rest of the batch is stored."""
    old = user_event(ann)
    post(api_client, [old])
    new = user_event(ann)
    response = post(api_client, [old, new])
    assert response.status_code == 201
    assert response.json()["stored"] == 1
    assert response.json()["already_stored"] == [old["id"]]
    assert AuditEvent.objects.filter(uuid=new["id"]).exists()


def test_repeated_id_within_a_batch_is_an_error(api_client, ann):
    """Two items with the same id in one batch are rejected."""
    item = user_event(ann)
    response = post(api_client, [item, item])
    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 1
    assert response.json()["errors"][0]["field"] == "id"


def test_events_without_id_get_a_fresh_one(api_client, ann):
    """Items without an id are stored under a generated UUID that is returned."""
    item = user_event(ann)
    del item["id"]
    response = post(api_client, item)
    assert response.status_code == 201
    (event_id,) = response.json()["ids"]
    assert AuditEvent.objects.filter(uuid=event_id).exists()


def test_org_is_found_by_name_and_user_by_id(api_client, ann, org):
    """Org by name and user by id resolve to both halves of each reference."""
    response = post(
        api_client,
        {
            "user_id": str(ann.pk),
            "org_name": "Acme Inc",
            "event_type": "OrgUserAdded",
            "event_data": {"OrgUserAdded": {"role": "Member"}},
            "created_at": "2025-04-25T16:29:21Z",
        },
    )
    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.get()
    assert (event.org_id, event.org_name) == (org.pk, "Acme Inc")
    assert event.user_email == "ann@acme.example"
    assert event.category == "org"
    assert event.created_at == datetime(2025, 4, 25, 16, 29, 21, tzinfo=UTC)


def test_ambiguous_org_name_and_mismatched_user_are_rejected(api_client, ann, org):
    """An org name shared by two orgs, or an email of another user, is an error."""
    OrganizationFactory(name="Acme Inc", slug="acme-2")
    other = UserFactory(email="bob@acme.example")
    response = post(
        api_client,
        [
            {"org_name": "Acme Inc", "event_type": "OrgUpdated"},
            user_event(ann, user_email=other.email),
            {"event_type": "OrgUpdated"},
        ],
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [
        (0, "org_name"),
        (1, "user_email"),
        (2, "org_id"),
    ]
    assert "several orgs" in errors[0]["message"]


def test_payload_cause_replaces_the_api_key(api_client, ann):
    """An event that names its cause is stored with that cause."""
    response = post(
        api_client,
        user_event(
            ann,
            caused_by_type="Employee",
            caused_by_id="emp-7",
            caused_by_metadata={"email": "boss@operator.example"},
            caused_by_source_ip="1.1.1.1",
        ),
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get()
    assert event.caused_by_type == "Employee"
    assert event.caused_by_id == "emp-7"
    assert event.caused_by_metadata == {"email": "boss@operator.example"}
    assert event.caused_by_source_ip == "1.1.1.1"


def test_custom_event_types_are_accepted(api_client, org):
    """A custom catalog type added in the admin can be ingested."""
    EventType.objects.create(
        event_type="OrgBillingChanged",
        name="Org Billing Changed",
        category="org",
        template="{org} billing changed",
    )
    item = {"org_id": str(org.pk), "event_type": "OrgBillingChanged"}
    response = post(api_client, item)
    assert response.status_code == 201
    assert AuditEvent.objects.get().event_data == {"OrgBillingChanged": {}}


def test_small_clock_skew_is_accepted(api_client, ann):
    """created_at up to a few minutes ahead (clock skew) is accepted."""
    soon = (timezone.now() + timedelta(minutes=2)).timestamp()
    response = post(api_client, user_event(ann, created_at=soon))
    assert response.status_code == 201


def test_nul_characters_are_a_400_not_a_crash(api_client, ann):
    """Text the database cannot store is rejected as invalid input."""
    response = post(
        api_client,
        [
            user_event(ann, event_data={"UserLoggedOut": {"note": "a\u0000b"}}),
            user_event(ann, caused_by_user_agent="x\u0000"),
        ],
    )
    assert response.status_code == 400
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["event_data", "caused_by_user_agent"]


def test_malformed_json_is_a_400_with_a_clear_message(api_client):
    """Broken JSON is answered 400 saying it is malformed."""
    response = post(api_client, '[{"event_type": "UserCreated",')
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Malformed JSON")


def test_non_json_content_type_is_415(api_client):
    """A form-encoded body is refused: the API speaks JSON only."""
    response = api_client.post(URL, data={"event_type": "UserCreated"})
    assert response.status_code == 415


def test_more_than_1000_items_is_413(api_client, ann):
    """A batch of 1,001 events is too large and stores nothing."""
    response = post(api_client, [user_event(ann) for _ in range(1001)])
    assert response.status_code == 413
    assert AuditEvent.objects.count() == 0


def test_body_over_5_mb_is_413(api_client, ann):
    """A body over 5 MB is refused before it is parsed."""
    big = user_event(ann, event_data={"UserLoggedOut": {"pad": "x" * 5_300_000}})
    response = post(api_client, big)
    assert response.status_code == 413
    assert AuditEvent.objects.count() == 0


def test_body_between_django_limit_and_5_mb_is_accepted(api_client, ann):
    """A 4 MB batch (over Django's 2.5 MB form limit) is ingested."""
    batch = [
        user_event(ann, event_data={"UserLoggedOut": {"pad": "x" * 4000}})
        for _ in range(1000)
    ]
    response = post(api_client, batch)
    assert response.status_code == 201
    assert AuditEvent.objects.count() == 1000


def test_missing_or_unknown_key_is_401(db):
    """No key, an unknown key and a malformed header all get 401 Bearer."""
    client = APIClient()
    assert post(client, {}).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer as_nothere0_abcdef")
    response = post(client, {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    client.credentials(HTTP_AUTHORIZATION="Bearer")
    assert post(client, {}).status_code == 401


def test_revoked_key_is_401(api_client, api_key, ann):
    """A revoked key is refused and stores nothing."""
    api_key_revoke(api_key=api_key)
    response = post(api_client, user_event(ann))
    assert response.status_code == 401
    assert not AuditEvent.objects.exclude(event_type="OperatorAPIKeyRevoked").exists()


def test_staff_session_may_ingest_as_employee(client, staff, ann):
    """A staff user of the browsable API ingests events caused by Employee."""
    client.force_login(staff)
    response = post(client, user_event(ann))
    assert response.status_code == 201
    event = AuditEvent.objects.get()
    assert event.caused_by_type == "Employee"
    assert event.caused_by_metadata == {"email": staff.email}


def test_non_staff_session_is_refused(client, ann):
    """A signed-in customer cannot use the operator API."""
    client.force_login(ann)
    response = post(client, user_event(ann))
    assert response.status_code in (401, 403)
    assert AuditEvent.objects.count() == 0


@override_settings(AUDITSITE_API_THROTTLE_RATE="2/min")
def test_throttled_key_gets_429_with_retry_after(api_client, ann):
    """Past its rate a key gets 429 and Retry-After."""
    assert post(api_client, user_event(ann)).status_code == 201
    assert post(api_client, user_event(ann)).status_code == 201
    response = post(api_client, user_event(ann))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert AuditEvent.objects.count() == 2


def test_odd_offsets_and_nul_in_references_are_handled(api_client, ann):
    """A -18:49 offset is stored in UTC; a NUL in an email is a 400 error."""
    good = user_event(ann, created_at="2025-01-01T00:00:00-18:49")
    response = post(api_client, good)
    assert response.status_code == 201
    assert AuditEvent.objects.get().created_at == datetime(
        2025, 1, 1, 18, 49, tzinfo=UTC
    )
    bad = user_event(ann, user_email="ann\u0000@acme.example", user_id=None)
    response = post(
        api_client, [bad, user_event(ann, created_at="0001-01-01T00:00+01:00")]
    )
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [
        (0, "user_email"),
        (1, "created_at"),
    ]


def test_a_racing_duplicate_is_reported_as_already_stored(api_client, ann, monkeypatch):
    """If another request stores an id between our check and our insert, the
    batch still succeeds and reports that id as already stored."""
    from audit.ingest import store
    from tests.factories import AuditEventFactory

    racing, fresh = user_event(ann), user_event(ann)
    real_checked = store._checked

    def check_then_race(**kwargs):
        result = real_checked(**kwargs)
        AuditEventFactory(uuid=racing["id"])
        return result

    monkeypatch.setattr(store, "_checked", check_then_race)
    response = post(api_client, [racing, fresh])
    assert response.status_code == 201
    assert response.json()["stored"] == 1
    assert response.json()["already_stored"] == [racing["id"]]
    assert AuditEvent.objects.filter(uuid=fresh["id"]).exists()
    assert AuditEvent.objects.filter(uuid=racing["id"]).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_of_one_batch_store_it_once(on_postgres, api_key):
    """Two clients racing with the same batch store each event exactly once."""
    import threading

    from django.db import connection

    from audit.ingest import events_ingest
    from audit.services import Actor

    user = UserFactory(email="racer@acme.example")
    batch = [user_event(user) for _ in range(300)]
    barrier = threading.Barrier(2)
    results = []

    def send():
        try:
            barrier.wait()
            results.append(events_ingest(actor=Actor.for_api_key(api_key), items=batch))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    assert AuditEvent.objects.count() == 300
    assert sum(result.stored for result in results) == 300
    for result in results:
        assert result.stored + len(result.already_stored) == 300


def test_a_batch_response_is_freed_without_waiting_for_the_garbage_collector(
    api_key, ann
):
    """Once answered, a batch's response is freed with the last reference to it.

    DRF ties view, request and response in reference cycles; the response of
    each batch (its 1,000 ids) would stay in memory until a full collection.
    """
    import gc
    import weakref

    from rest_framework.test import APIRequestFactory

    from audit.api.events import EventListView

    body = json.dumps([user_event(ann) for _ in range(3)])
    request = APIRequestFactory().post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}",
    )
    gc.disable()
    try:
        response = EventListView.as_view()(request)
        if not response.is_rendered:
            response.render()  # as Django's handler would
        assert response.status_code == 201
        assert json.loads(response.content)["stored"] == 3
        freed = weakref.ref(response)
        del response
        assert freed() is None
    finally:
        gc.enable()
