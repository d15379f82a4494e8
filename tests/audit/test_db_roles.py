"""PostgreSQL: the app role cannot erase history, and the purge still works (item 8)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from exports.retention import events_purge
from tests.factories import AuditEventFactory, OrganizationFactory

APP_ROLE = "auditsite_app_test"


def _as_app_role():
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {APP_ROLE}")


def _reset_role():
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def _refused(statement):
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)


@pytest.fixture
def app_role(on_postgres, db):
    """The app role, made (idempotently) by the command operators run."""
    call_command("db_app_role", APP_ROLE)
    call_command("db_app_role", APP_ROLE)  # a second run changes nothing
    yield APP_ROLE
    _reset_role()


def test_app_role_cannot_update_delete_truncate_or_disable_the_trigger(app_role):
    """As the app role, UPDATE, DELETE, TRUNCATE and DISABLE TRIGGER all fail."""
    event = AuditEventFactory(created_at=timezone.now() - timedelta(days=400))
    _as_app_role()
    _refused(f"UPDATE audit_auditevent SET event_type = 'X' WHERE seq = {event.seq}")
    _refused(f"DELETE FROM audit_auditevent WHERE seq = {event.seq}")
    _refused("TRUNCATE audit_auditevent")  # no TRUNCATE right, whatever the GUC
    _refused("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_immutable")
    _refused("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
    # The purge function refuses to erase the last day, even for its callers.
    recent = AuditEventFactory(created_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("SELECT audit_events_purge(%s::bigint[])", [[recent.seq]])
        assert cursor.fetchone()[0] == 0
    _reset_role()
    assert AuditEvent.objects.filter(seq__in=[event.seq, recent.seq]).count() == 2


def test_truncate_is_refused_even_for_the_owner(on_postgres, db):
    """The TRUNCATE trigger refuses the table's owner too."""
    AuditEventFactory()
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        with connection.cursor() as cursor:
            # The test database allows it for Django's flush; production doesn't.
            cursor.execute("SET LOCAL auditsite.allow_event_truncate = 'off'")
            cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.exists()


def test_purge_works_as_the_app_role(app_role):
    """As the app role, purge_events removes what its windows say, and no more."""
    org = OrganizationFactory(plan="free")
    now = timezone.now()
    old = AuditEventFactory(org_id=org.pk, created_at=now - timedelta(days=40))
    kept = AuditEventFactory(org_id=org.pk, created_at=now - timedelta(days=10))
    _as_app_role()
    report = events_purge(now=now)
    _reset_role()
    assert report.removed == 1
    left = set(AuditEvent.objects.values_list("seq", flat=True))
    assert old.seq not in left and kept.seq in left
    assert AuditEvent.objects.filter(event_type="RetentionPurgeRun").exists()
