import uuid

import psycopg
import pytest
from django.db import connection

from audit.models import AuditEvent
from exports import formats, services
from exports.selectors import export_horizon
from tests.exports.conftest import bucket_objects
from tests.factories import AuditEventFactory


def _open_connection():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(
        **{k: v for k, v in params.items() if k != "prepare_threshold"}
    )


def _insert_raw(conn, event_uuid):
    return conn.execute(
        "INSERT INTO audit_auditevent (uuid, user_email, org_name, event_type,"
        " category, event_data, created_at, caused_by_type, caused_by_id,"
        " caused_by_user_agent, recorded_at)"
        " VALUES (%s, '', '', 'UserCreated', 'user', '{}', now(), 'System', '',"
        " '', now()) RETURNING seq",
        [event_uuid],
    ).fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_event_committed_late_still_lands_once(on_postgres, make_location, aws):
    """An event whose transaction commits after a run is exported later, once."""
    location = make_location()
    slow = _open_connection()
    slow_uuid = uuid.uuid4()
    try:
        slow_seq = _insert_raw(slow, slow_uuid)  # seq taken, not committed
        fast = AuditEventFactory()  # a later seq, committed at once
        assert fast.seq > slow_seq
        services.export_location_run(location_id=location.pk)
        assert not AuditEvent.objects.filter(uuid=slow_uuid).exists()
        slow.commit()
    finally:
        slow.close()
    services.export_location_run(location_id=location.pk)
    ids = [
        e["id"]
        for body in bucket_objects(aws).values()
        for e in formats.parse("json", body)
    ]
    assert sorted(ids) == sorted([str(fast.uuid), str(slow_uuid)])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_horizon_stops_below_open_transaction(on_postgres):
    """The horizon never passes a transaction of this database still open."""
    slow = _open_connection()
    try:
        _insert_raw(slow, uuid.uuid4())
        slow_txid = slow.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
        assert export_horizon() <= slow_txid[0]
    finally:
        slow.rollback()
        slow.close()
