import uuid
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import formats
from audit.models import AuditEvent
from exports import selectors, services
from exports.models import position_encode
from exports.selectors import (
    export_horizon,
    export_rows_between,
    export_rows_of_one_day,
)
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


def _one_transaction_of_events(count: int) -> list[AuditEvent]:
    """``count`` events of one UTC day written by one transaction (a bulk
    ingest or a seed): they share a txid and differ by seq."""
    day = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        return [
            AuditEventFactory(created_at=day + timedelta(seconds=i))
            for i in range(count)
        ]


def _positions(rows) -> list[str]:
    return [row.position for row in rows]


@pytest.mark.django_db
def test_rows_after_a_position_inside_one_transaction():
    """A cursor in the middle of one transaction's events reads exactly the rest."""
    events = _one_transaction_of_events(6)
    rows = export_rows_of_one_day(
        selection={}, after=position_encode(0, 0), horizon=export_horizon(), limit=10
    )
    assert [row.seq for row in rows] == [event.seq for event in events]
    middle = rows[2].position
    after = export_rows_of_one_day(
        selection={}, after=middle, horizon=export_horizon(), limit=10
    )
    assert _positions(after) == _positions(rows[3:])
    between = export_rows_between(selection={}, after=middle, up_to=rows[4].position)
    assert _positions(between) == _positions(rows[3:5])


@pytest.mark.postgres
@pytest.mark.django_db
def test_read_starts_at_the_cursor_in_the_export_index(on_postgres):
    """The read seeks to the cursor in the (txid, seq) index: the earlier events
    of the cursor's transaction are not fetched and filtered out again."""
    events = _one_transaction_of_events(3)
    every = {"categories": ["*"]}  # no category filter: only the position
    rows = export_rows_of_one_day(
        selection=every, after=position_encode(0, 0), horizon=export_horizon(), limit=10
    )
    assert len(rows) >= len(events)
    with CaptureQueriesContext(connection) as queries:
        export_rows_of_one_day(
            selection=every, after=rows[1].position, horizon=export_horizon(), limit=10
        )
    read = next(q["sql"] for q in queries if "ORDER BY" in q["sql"])
    with connection.cursor() as cursor:
        # A test table is tiny: make the planner show the plan it takes on
        # a big one (no scan of the whole table, no sort of it).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {read}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "event_export_order_idx" in plan
    index_cond = next(line for line in plan.splitlines() if "Index Cond:" in line)
    assert "ROW(txid, seq) > ROW(" in index_cond


@pytest.mark.django_db
def test_one_day_read_across_several_queries(monkeypatch):
    """A day longer than one query's rows is read whole, up to the limit, and
    cut where the day changes."""
    monkeypatch.setattr(selectors, "EXPORT_QUERY_ROWS", 2)
    monkeypatch.setattr(selectors, "EXPORT_FETCH_ROWS", 1)
    events = _one_transaction_of_events(5)
    AuditEventFactory(created_at=events[-1].created_at + timedelta(days=1))
    start, horizon = position_encode(0, 0), export_horizon()
    rows = export_rows_of_one_day(selection={}, after=start, horizon=horizon, limit=10)
    assert [row.seq for row in rows] == [event.seq for event in events]
    capped = export_rows_of_one_day(selection={}, after=start, horizon=horizon, limit=3)
    assert [row.seq for row in capped] == [event.seq for event in events[:3]]
