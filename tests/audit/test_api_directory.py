import uuid

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from audit.models import AuditEvent, Membership, Organization, User
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"
ORGS = "/api/v1/orgs/"


def members_url(org) -> str:
    return f"{ORGS}{org.pk}/members/"


def events(event_type=None):
    found = AuditEvent.objects.order_by("seq")
    if event_type:
        found = found.filter(event_type=event_type)
    return list(found)


def test_create_a_user_records_user_created_caused_by_the_key(api_client, api_key):
    """POST /users/ answers 201 with the row and records UserCreated (ApiKey)."""
    ident = str(uuid.uuid4())
    response = api_client.post(
        USERS,
        {"id": ident, "email": "Ann@Acme.example", "first_name": "Ann"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == ident
    assert body["email"] == "ann@acme.example"
    assert body["enabled"] is True
    assert set(body) >= {"picture_url", "properties", "mfa_enabled", "created_at"}
    [event] = events()
    assert event.event_type == "UserCreated"
    assert str(event.user_id) == ident
    assert event.caused_by_type == "ApiKey"
    assert event.caused_by_id == api_key.prefix
    assert event.details["first_name"] == "Ann"


def test_repeating_a_create_is_200_and_records_nothing(api_client):
    """The same id and fields again: 200 with the stored row, no new event."""
    body = {"id": str(uuid.uuid4()), "email": "ann@acme.example"}
    assert api_client.post(USERS, body, format="json").status_code == 201
    again = api_client.post(USERS, body, format="json")
    assert again.status_code == 200
    assert again.json()["email"] == "ann@acme.example"
    assert len(events()) == 1
    assert User.objects.count() == 1


def test_same_id_other_fields_is_409(api_client):
    """The same id with another email is a conflict; nothing changes."""
    ident = str(uuid.uuid4())
    api_client.post(USERS, {"id": ident, "email": "ann@acme.example"}, format="json")
    response = api_client.post(
        USERS, {"id": ident, "email": "bob@acme.example"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "id"
    assert "email" in response.json()["errors"][0]["message"]
    assert User.objects.get().email == "ann@acme.example"
    assert len(events()) == 1


def test_an_email_in_use_is_400_on_email(api_client):
    """A second user with an email in use is a 400 naming email."""
    UserFactory(email="ann@acme.example")
    response = api_client.post(USERS, {"email": "ANN@acme.example"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "email", "message": "is in use: ann@acme.example"}
    ]
    assert not events()


def test_bulk_create_is_all_or_nothing_with_item_errors(api_client):
    """One bad item of three: 400 listing it by index, nothing stored."""
    batch = [
        {"email": "a@acme.example"},
        {"email": "not an email"},
        {"email": "a@acme.example"},
    ]
    response = api_client.post(USERS, batch, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {(e["index"], e["field"]) for e in errors} == {(1, "email"), (2, "email")}
    assert User.objects.count() == 0
    assert not events()


def test_bulk_create_makes_every_row_and_event(api_client):
    """An array of users: 201 with the rows in order, one UserCreated each."""
    batch = [{"email": f"u{n}@acme.example"} for n in range(50)]
    response = api_client.post(USERS, batch, format="json")
    assert response.status_code == 201
    assert [row["email"] for row in response.json()] == [b["email"] for b in batch]
    assert len(events("UserCreated")) == 50
    assert {e.user_email for e in events()} == {b["email"] for b in batch}


def test_more_than_1000_items_is_413(api_client):
    """1,001 items are refused as ingestion refuses them; nothing stored."""
    batch = [{"email": f"u{n}@acme.example"} for n in range(1001)]
    response = api_client.post(USERS, batch, format="json")
    assert response.status_code == 413
    assert "1000" in response.json()["detail"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@acme.example", "id": "not-a-uuid"}, "id"),
        ({"email": "a@acme.example", "shoe_size": 9}, "shoe_size"),
        ({"email": "a@acme.example", "enabled": "yes"}, "enabled"),
        ({"email": "a@acme.example", "properties": [1]}, "properties"),
        ({"email": 42}, "email"),
        ({"email": "a@acme.example", "created_at": "2026-01-01"}, "created_at"),
        ({"first_name": "Ann"}, "email"),
    ],
)
def test_bad_fields_are_400_naming_the_field(api_client, body, field):
    """Malformed UUIDs, unknown fields, wrong types: 400 on that field, no write."""
    response = api_client.post(USERS, body, format="json")
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not User.objects.exists()
    assert not events()


def test_a_non_json_body_is_400_not_500(api_client):
    """Broken JSON is a 400; another content type a 415."""
    response = api_client.post(USERS, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["detail"]
    assert api_client.post(USERS, "a=b", content_type="text/plain").status_code == 415
    assert (
        api_client.post(USERS, "[]", content_type="application/json").status_code == 400
    )
    assert (
        api_client.post(USERS, "7", content_type="application/json").status_code == 400
    )


def test_patch_records_the_events_of_what_changed(api_client):
    """A PATCH records UserMetadataChanged, EmailChanged, UserDisabled."""
    user = UserFactory(email="ann@acme.example")
    response = api_client.patch(
        f"{USERS}{user.pk}/",
        {"last_name": "Lee", "email": "ann.lee@acme.example", "enabled": False},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["enabled"] is False
    assert {e.event_type for e in events()} == {
        "UserMetadataChanged",
        "EmailChanged",
        "UserDisabled",
    }
    assert all(e.caused_by_type == "ApiKey" for e in events())


def test_a_patch_that_changes_nothing_records_nothing(api_client):
    """Sending the values a user already has records no event."""
    user = UserFactory(email="ann@acme.example", first_name="Ann")
    response = api_client.patch(
        f"{USERS}{user.pk}/", {"first_name": "Ann", "enabled": True}, format="json"
    )
    assert response.status_code == 200
    assert not events()


def test_patch_to_an_email_in_use_is_400(api_client):
    """Changing to another user's email is a 400 on email."""
    UserFactory(email="bob@acme.example")
    user = UserFactory(email="ann@acme.example")
    response = api_client.patch(
        f"{USERS}{user.pk}/", {"email": "bob@acme.example"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "email"
    assert not events()


def test_deleting_a_user_keeps_their_events(api_client):
    """DELETE removes the user; UserDeleted and older events stay."""
    created = api_client.post(USERS, {"email": "ann@acme.example"}, format="json")
    ident = created.json()["id"]
    assert api_client.delete(f"{USERS}{ident}/").status_code == 204
    assert not User.objects.filter(pk=ident).exists()
    assert [e.event_type for e in events()] == ["UserCreated", "UserDeleted"]
    assert all(str(e.user_id) == ident for e in events())
    assert api_client.get(f"{USERS}{ident}/").status_code == 404


def test_staff_accounts_are_not_in_the_directory(api_client, staff):
    """The operator's staff are neither listed nor changeable by a key."""
    assert api_client.get(USERS).json()["results"] == []
    assert api_client.get(f"{USERS}{staff.pk}/").status_code == 404
    response = api_client.patch(
        f"{USERS}{staff.pk}/", {"email": "x@evil.example"}, format="json"
    )
    assert response.status_code == 404


def test_lists_page_with_a_cursor_and_filter(api_client, org):
    """Users page newest first with `next`; email and org filter."""
    for n in range(5):
        UserFactory(email=f"u{n}@acme.example")
    MembershipFactory(org=org, user=User.objects.get(email="u2@acme.example"))
    seen, url = [], f"{USERS}?page_size=2"
    while url:
        page = api_client.get(url).json()
        assert page["page_size"] == 2
        seen += [row["email"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == [f"u{n}@acme.example" for n in range(5)]
    by_email = api_client.get(f"{USERS}?email=U3@acme.example").json()["results"]
    assert [row["email"] for row in by_email] == ["u3@acme.example"]
    by_org = api_client.get(f"{USERS}?org={org.pk}").json()["results"]
    assert [row["email"] for row in by_org] == ["u2@acme.example"]
    assert api_client.get(f"{USERS}?org=nope").status_code == 400
    assert api_client.get(f"{USERS}?cursor=nope").status_code == 400


def test_orgs_create_patch_delete_and_slug_filter(api_client):
    """Orgs: OrgCreated, OrgNameUpdated, a slug in use is 400, OrgDeleted."""
    response = api_client.post(
        ORGS,
        [{"name": "Acme", "slug": "acme"}, {"name": "Globex", "slug": "globex"}],
        format="json",
    )
    assert response.status_code == 201
    acme = response.json()[0]
    dup = api_client.post(ORGS, {"name": "Acme 2", "slug": "acme"}, format="json")
    assert dup.status_code == 400
    assert dup.json()["errors"][0]["field"] == "slug"
    found = api_client.get(f"{ORGS}?slug=acme").json()["results"]
    assert [row["id"] for row in found] == [acme["id"]]
    renamed = api_client.patch(
        f"{ORGS}{acme['id']}/", {"name": "Acme Corp", "max_users": 10}, format="json"
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Acme Corp"
    assert api_client.delete(f"{ORGS}{acme['id']}/").status_code == 204
    assert [e.event_type for e in events() if str(e.org_id) == acme["id"]] == [
        "OrgCreated",
        "OrgNameUpdated",
        "OrgMaxUsersUpdated",
        "OrgDeleted",
    ]


def test_members_add_change_remove(api_client, org):
    """Members: OrgUserAdded, OrgUserRoleChanged, OrgUserRemoved with user and org."""
    ann = UserFactory(email="ann@acme.example")
    bob = UserFactory(email="bob@acme.example")
    response = api_client.post(
        members_url(org),
        [
            {"user_id": str(ann.pk), "role": "Member"},
            {"user_email": "BOB@acme.example", "role": "Admin"},
        ],
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [row["user_email"] for row in response.json()] == [ann.email, bob.email]
    listed = api_client.get(members_url(org)).json()["results"]
    assert {(row["user_email"], row["role"]) for row in listed} == {
        (ann.email, "Member"),
        (bob.email, "Admin"),
    }
    url = f"{members_url(org)}{ann.pk}/"
    assert api_client.patch(url, {"role": "Admin"}, format="json").status_code == 200
    assert api_client.delete(url).status_code == 204
    assert [e.event_type for e in events()] == [
        "OrgUserAdded",
        "OrgUserAdded",
        "OrgUserRoleChanged",
        "OrgUserRemoved",
    ]
    assert all(e.org_id == org.pk and e.user_id for e in events())


def test_an_unknown_role_is_400_listing_the_roles(api_client, org):
    """A role name that does not exist lists the roles there are."""
    ann = UserFactory(email="ann@acme.example")
    response = api_client.post(
        members_url(org), {"user_id": str(ann.pk), "role": "Boss"}, format="json"
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "role"
    assert "Admin" in error["message"] and "Member" in error["message"]
    MembershipFactory(org=org, user=ann)
    patched = api_client.patch(
        f"{members_url(org)}{ann.pk}/", {"role": "Boss"}, format="json"
    )
    assert patched.status_code == 400
    assert "Owner" in patched.json()["errors"][0]["message"]
    assert not events()


def test_a_member_twice_is_409(api_client, org):
    """Adding someone who is already a member is a clear 409; nothing recorded."""
    ann = MembershipFactory(org=org).user
    response = api_client.post(
        members_url(org), {"user_id": str(ann.pk), "role": "Member"}, format="json"
    )
    assert response.status_code == 409
    assert "already a member" in response.json()["errors"][0]["message"]
    assert Membership.objects.count() == 1
    assert not events()


@pytest.mark.parametrize(
    ("user_id", "message"),
    # A fixed id no user has (ids are random uuid4s): every xdist worker must
    # collect the same test names.
    [
        ("6f1c2a7e-9b3d-4c5e-8a1f-2d3e4b5c6a7f", "no user has this id"),
        ("nope", "must be a UUID string"),
    ],
)
def test_an_unknown_user_member_is_400(api_client, org, user_id, message):
    """A member naming no user, or a malformed id, is a 400 on user_id."""
    response = api_client.post(
        members_url(org), {"user_id": user_id, "role": "Member"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "user_id", "message": message}
    ]
    assert not Membership.objects.exists()


def test_staff_need_the_directory_permissions():
    """A staff session needs view_user to list users, add_user to create."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = APIClient()
    client.force_login(user)
    assert client.get(USERS).status_code == 200
    assert client.get(ORGS).status_code == 403
    response = client.post(USERS, {"email": "a@b.example"}, format="json")
    assert response.status_code == 403
    assert "audit.add_user" in response.json()["detail"]


def test_an_ingest_only_key_cannot_touch_the_directory():
    """directory:read lists; a key without directory:write cannot create."""
    from audit.apikeys import api_key_create

    _, raw = api_key_create(name="reader", scopes=["directory:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(ORGS).status_code == 200
    response = client.post(ORGS, {"name": "A", "slug": "a"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key lacks the scope directory:write."
    assert not Organization.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_creates_racing_make_one_row_and_one_event(
    on_postgres, api_key, monkeypatch
):
    """Both requests validate before either inserts: one 201, one 200, one event."""
    import threading

    from django.db import connection

    from audit.services import users as user_services

    barrier = threading.Barrier(2, timeout=10)
    waited = threading.local()
    real = user_services.make_password

    def both_validated(password):
        # Called after the batch's checks, before its INSERT: the first time
        # in each thread, wait for the other so both saw no row.
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return real(password)

    monkeypatch.setattr(user_services, "make_password", both_validated)
    body = {"id": str(uuid.uuid4()), "email": "racer@acme.example"}
    codes = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}")
        try:
            codes.append(client.post(USERS, body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 201]
    assert User.objects.filter(email="racer@acme.example").count() == 1
    assert len(events("UserCreated")) == 1


def test_ingestion_names_the_directory_api_for_unknown_users_and_orgs(api_client):
    """An event about a user or org not in the directory says how to add it."""
    response = api_client.post(
        "/api/v1/events/",
        [
            {"event_type": "UserCreated", "user_id": str(uuid.uuid4())},
            {"event_type": "OrgUpdated", "org_id": str(uuid.uuid4())},
        ],
        format="json",
    )
    assert response.status_code == 400
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "POST /api/v1/users/" in messages["user_id"]
    assert "POST /api/v1/orgs/" in messages["org_id"]
