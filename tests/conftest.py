import pytest
from django.db import connection

from audit.models import Role
from audit.services import Actor
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix, request, tmp_path_factory
):
    """On SQLite, put the test database in a file when e2e tests will run.

    pytest-django's SQLite test database is in memory, which the real
    processes of e2e tests (qcluster, ``manage.py exports run``) cannot open;
    with a file they share it (tests/exports/e2e_support.py).
    """
    from django.conf import settings

    db = settings.DATABASES["default"]
    wanted = any(item.get_closest_marker("e2e") for item in request.session.items)
    if wanted and db["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("e2e-db") / "test.sqlite3"
        db.setdefault("TEST", {})["NAME"] = str(path)


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
