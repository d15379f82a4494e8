import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from audit.apikeys import api_key_create
from audit.models import Role
from audit.services import Actor
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


def pytest_collection_modifyitems(items):
    """Every transactional test restores the database it found (serialized_rollback).

    A transactional test ends by flushing every table, which would also wipe
    the rows data migrations made (the event catalog, roles, permissions, the
    settings row) and break the tests after it; and mixing flushed and
    serialized tests collides on content types. So all of them restore.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if marker.kwargs.get("serialized_rollback"):
            continue
        kwargs = {**marker.kwargs, "serialized_rollback": True}
        item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@operator.example", is_staff=True, is_superuser=True)


@pytest.fixture
def employee(staff):
    return Actor.for_employee(staff)


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme Inc", slug="acme")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Globex", slug="globex")


@pytest.fixture
def member(org):
    """A member of ``org`` whose role (Owner) has View Audit Log."""
    return MembershipFactory(org=org, user=UserFactory(email="owner@acme.example")).user


@pytest.fixture
def plain_member(org):
    """A member of ``org`` whose role (Member) lacks View Audit Log."""
    role = Role.objects.get(name="Member")
    return MembershipFactory(
        org=org, role=role, user=UserFactory(email="intern@acme.example")
    ).user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """API throttle counters live in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_key(db):
    """An operator API key; the full key is in ``api_key.raw_key``."""
    api_key, raw_key = api_key_create(name="billing service")
    api_key.raw_key = raw_key
    return api_key


@pytest.fixture
def api_client(api_key):
    """A DRF test client that sends ``Authorization: Bearer <api_key>``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}")
    return client
