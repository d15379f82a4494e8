from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import events_delete_for_retention
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db


def test_postgres_refuses_update_of_an_event(on_postgres):
    """A plain SQL UPDATE of an event row fails on PostgreSQL."""
    event = AuditEventFactory(event_type="UserCreated")
    with pytest.raises(DatabaseError, match="immutable"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditevent SET event_type = 'UserDeleted' WHERE seq = %s",
                [event.seq],
            )
    event.refresh_from_db()
    assert event.event_type == "UserCreated"


def test_postgres_refuses_delete_of_an_event(on_postgres):
    """A plain SQL DELETE, and the ORM's delete(), fail on PostgreSQL."""
    event = AuditEventFactory()
    with pytest.raises(DatabaseError, match="immutable"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [event.seq])
    with pytest.raises(DatabaseError, match="immutable"):
        with transaction.atomic():
            AuditEvent.objects.filter(seq=event.seq).delete()
    assert AuditEvent.objects.filter(seq=event.seq).exists()


def _days_ago():
    # The purge function never removes the last day's events.
    return timezone.now() - timedelta(days=2)


def test_retention_path_may_delete_but_not_update(on_postgres):
    """The retention purge's path deletes; UPDATE stays refused even there."""
    keep, purge = AuditEventFactory(), AuditEventFactory(created_at=_days_ago())
    deleted = events_delete_for_retention(seqs=[purge.seq])
    assert deleted == 1
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [keep.seq]
    with pytest.raises(DatabaseError, match="immutable"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL auditsite.allow_event_delete = 'on'")
            cursor.execute("UPDATE audit_auditevent SET event_type = 'X'")


def test_retention_permission_does_not_outlive_its_transaction(on_postgres):
    """After the purge's transaction, a plain DELETE is refused again."""
    first, second = AuditEventFactory(created_at=_days_ago()), AuditEventFactory()
    events_delete_for_retention(seqs=[first.seq])
    with pytest.raises(DatabaseError, match="immutable"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [second.seq])
