import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from audit.keys import key_new
from audit.models import ApiKey, Role
from audit.scopes import ALL_SCOPES
from audit.services import Actor
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


def pytest_configure(config):
    """A fast password hasher first: PBKDF2's cost is for production, not tests.

    Every ``UserFactory`` user and every sign-in hashes a password; the
    default hashers stay listed after it, so any stored hash still verifies.
    """
    from django.conf import settings

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


def pytest_collection_modifyitems(items):
    """Every transactional test restores the database it found (serialized_rollback).

    A transactional test ends by flushing every table, which would also wipe
    the rows data migrations made (the event catalog, roles, permissions, the
    settings row) and break the tests after it; and mixing flushed and
    serialized tests collides on content types. So all of them restore.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        transactional = kwargs.get("transaction") or (
            "transactional_db" in getattr(item, "fixturenames", ())
            or "live_server" in getattr(item, "fixturenames", ())
        )
        if not transactional or kwargs.get("serialized_rollback"):
            continue
        kwargs.update(transaction=True, serialized_rollback=True)
        args = marker.args if marker else ()
        item.add_marker(pytest.mark.django_db(*args, **kwargs), append=False)


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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, let the test database TRUNCATE events between tests.

    Migration 0007's trigger refuses TRUNCATE of events, and Django empties
    tables after transactional tests with TRUNCATE; only this test database
    opts out (``auditsite.allow_event_truncate``).
    """
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT quote_ident(current_database())")
                name = cursor.fetchone()[0]
                cursor.execute(
                    f"ALTER DATABASE {name} SET auditsite.allow_event_truncate = 'on'"
                )
                cursor.execute("SET auditsite.allow_event_truncate = 'on'")


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
    """An operator API key holding every scope; the full key is in ``api_key.raw_key``.

    Made as a row, not through ``api_key_create``: tests that count the
    events a request records must not see this set-up's OperatorAPIKeyCreated.
    """
    new = key_new(ApiKey)
    api_key = ApiKey.objects.create(
        name="billing service",
        prefix=new.prefix,
        key_hash=new.key_hash,
        scopes=list(ALL_SCOPES),
    )
    api_key.raw_key = new.raw_key
    return api_key


@pytest.fixture
def api_client(api_key):
    """A DRF test client that sends ``Authorization: Bearer <api_key>``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}")
    return client


# --- headless Chromium (tests marked ``browser``) --------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class CspWatchedBrowser:
    """A Playwright browser whose pages report Content-Security-Policy
    violations (Chromium logs each one to the console) in ``violations``."""

    def __init__(self, browser):
        self._browser = browser
        self.violations: list[str] = []

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_page(self, **kwargs):
        page = self._browser.new_page(**kwargs)
        page.context.on("console", self._console)
        return page

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.on("console", self._console)
        return context

    def _console(self, message):
        if "Content Security Policy" in message.text:
            where = (message.location or {}).get("url", "")
            self.violations.append(f"{where}: {message.text}")


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium (never downloaded); the test fails on any CSP
    violation any of its pages logged."""
    # Playwright's sync API runs an event loop in this thread; the test's own
    # database setup is synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        watched = CspWatchedBrowser(launched)
        yield watched
        launched.close()
    assert watched.violations == [], "CSP violations in the browser console"
