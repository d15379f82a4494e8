"""The one key scheme (audit.keys): old keys keep working, kinds stay apart."""

import hashlib
import re

import pytest
from django.db import connection
from rest_framework.test import APIClient

from audit.apikeys import api_key_for_raw_key
from audit.catalog import T
from audit.keys import key_create, key_for_raw_key, key_new, key_revoke
from audit.models import ApiKey, AuditEvent, OrgApiKey, ScimKey
from audit.org_apikeys import org_api_key_for_raw_key
from audit.scopes import ALL_SCOPES
from audit.services.scim_keys import scim_key_for_raw_key

pytestmark = pytest.mark.django_db

# Keys as the code before the shared scheme made them: the SHA-256 hex of the
# whole key, computed here by hand, beside the prefix up to the 2nd "_".
SECRET = "Zq0-Vt_8mW3xYp1rB7nK2sD5fG9hJ4lC6vE0uA2iO8e"
OLD_OPERATOR = f"as_k3x9q2mw_{SECRET}"
OLD_ORG = f"ao_p7d2r8ts_{SECRET}"
OLD_SCIM = f"sc_m4n6b1vz_{SECRET}"


def _stored(raw_key: str) -> dict:
    return {
        "prefix": raw_key[:11],
        "key_hash": hashlib.sha256(raw_key.encode()).hexdigest(),
    }


def _bearer(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def old_keys(org):
    return {
        "operator": ApiKey.objects.create(
            name="old", scopes=list(ALL_SCOPES), **_stored(OLD_OPERATOR)
        ),
        "org": OrgApiKey.objects.create(org=org, name="old", **_stored(OLD_ORG)),
        "scim": ScimKey.objects.create(org=org, **_stored(OLD_SCIM)),
    }


def test_keys_stored_before_the_shared_scheme_still_open_their_apis(old_keys):
    """An operator, org and SCIM key stored as before each still get a 200."""
    assert _bearer(OLD_OPERATOR).get("/api/v1/events/").status_code == 200
    assert _bearer(OLD_ORG).get("/api/v1/org/events/").status_code == 200
    assert _bearer(OLD_SCIM).get("/scim/v2/Users").status_code == 200


def test_keys_stored_before_are_found_by_their_raw_value(old_keys):
    """Each kind's lookup finds its old row and marks it used."""
    assert api_key_for_raw_key(OLD_OPERATOR) == old_keys["operator"]
    assert org_api_key_for_raw_key(OLD_ORG) == old_keys["org"]
    assert scim_key_for_raw_key(OLD_SCIM) == old_keys["scim"]
    for key in old_keys.values():
        key.refresh_from_db()
        assert key.last_used_at is not None


def test_a_key_of_one_kind_is_never_taken_for_another(old_keys):
    """An org or SCIM key is no operator key, and the other way round."""
    assert api_key_for_raw_key(OLD_ORG) is None
    assert api_key_for_raw_key(OLD_SCIM) is None
    assert org_api_key_for_raw_key(OLD_OPERATOR) is None
    assert scim_key_for_raw_key(OLD_OPERATOR) is None
    assert _bearer(OLD_ORG).get("/api/v1/events/").status_code == 401
    assert _bearer(OLD_OPERATOR).get("/api/v1/org/events/").status_code == 401


def test_a_wrong_secret_or_a_revoked_key_is_refused(old_keys):
    """The right prefix with another secret, or a revoked key, finds nothing."""
    assert api_key_for_raw_key(OLD_OPERATOR[:-1] + "x") is None
    assert scim_key_for_raw_key(OLD_SCIM[:12]) is None
    ScimKey.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert scim_key_for_raw_key(OLD_SCIM) is None


@pytest.mark.parametrize(
    "model,kind", [(ApiKey, "as_"), (OrgApiKey, "ao_"), (ScimKey, "sc_")]
)
def test_new_keys_keep_each_kinds_shape_and_hash(model, kind):
    """A new key is ``<kind><8 characters>_<43 characters>``, stored as its SHA-256."""
    new = key_new(model)
    assert re.fullmatch(rf"{kind}[a-z0-9]{{8}}_[A-Za-z0-9_-]{{43}}", new.raw_key)
    assert new.prefix == new.raw_key[:11]
    assert new.key_hash == hashlib.sha256(new.raw_key.encode()).hexdigest()


@pytest.mark.parametrize(
    "model,named,of_org,revoked_type",
    [
        (ApiKey, True, False, T.OperatorAPIKeyRevoked),
        (OrgApiKey, True, True, T.OrgAPIKeyDeleted),
        (ScimKey, False, True, T.OrgSCIMKeyRevoked),
    ],
)
def test_a_created_key_opens_until_it_is_revoked_once(
    model, named, of_org, revoked_type, org, staff, employee
):
    """Every kind is made, found by its key, and revoked once with one event."""
    fields = {"name": "ci"} if named else {}
    if of_org:
        fields["org"] = org
    key, raw_key = key_create(model, actor=employee, **fields)
    assert key.created_by == staff
    assert key_for_raw_key(model.objects.all(), raw_key) == key

    for _ in range(2):
        revoked = key_revoke(
            model.objects.all(),
            key,
            actor=employee,
            event_type=revoked_type,
            details=["prefix"],
        )

    assert revoked.revoked_at is not None
    assert key_for_raw_key(model.objects.all(), raw_key) is None
    event = AuditEvent.objects.get(event_type=revoked_type)
    assert event.details == {"prefix": key.prefix}
    assert event.org_id == (org.pk if of_org else None)
    stored = model.objects.get(pk=key.pk)
    assert stored.revoked_at == revoked.revoked_at
    assert getattr(stored, "revoked_by", None) == (staff if model is ApiKey else None)


def test_the_key_tables_keep_their_names_and_columns():
    """The abstract base changed no table: names and columns as migrated."""
    shared = {
        "id",
        "prefix",
        "key_hash",
        "created_by_id",
        "created_at",
        "last_used_at",
        "revoked_at",
    }
    expected = {
        "audit_apikey": shared
        | {"name", "revoked_by_id", "scopes", "legacy_all_scopes"},
        "audit_orgapikey": shared | {"org_id", "name", "expires_at"},
        "audit_scimkey": shared | {"org_id"},
    }
    with connection.cursor() as cursor:
        for table, columns in expected.items():
            described = connection.introspection.get_table_description(cursor, table)
            assert {column.name for column in described} == columns
