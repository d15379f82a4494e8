import uuid
from datetime import UTC, datetime, timedelta

from audit.actors import Actor
from audit.ingest.validate import BatchValidator, References

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _validate(items, refs):
    validator = BatchValidator(
        actor=Actor.system(), items=items, now=NOW, max_future_skew=timedelta(0)
    )
    ids = validator.parse_ids()
    todo = list(enumerate(items))
    rows = validator.rows(todo, ids, refs)
    return rows, [(e.index, e.field, e.message) for e in validator.errors]


def test_validation_turns_items_into_rows_without_the_database():
    """Given what the store read, validation builds rows and runs no query."""
    user = uuid.uuid4()
    refs = References(
        types={"UserLoggedIn": "user"},
        users_by_id={user: "ann@acme.example"},
        users_by_email={"ann@acme.example": user},
    )
    items = [
        {"event_type": "UserLoggedIn", "user_email": "Ann@acme.example"},
        {"event_type": "NoSuchType", "user_id": str(user)},
        {"event_type": "UserLoggedIn", "created_at": "2026-01-03T00:00:00Z"},
    ]
    # No django_db mark: any query here would fail the test.
    rows, errors = _validate(items, refs)
    assert [(r["user_id"], r["user_email"], r["created_at"]) for r in rows] == [
        (user, "ann@acme.example", NOW)
    ]
    assert errors == [
        (1, "event_type", "is not a known event type"),
        (2, "user_id", "a user event needs user_id or user_email"),
        (2, "created_at", "is in the future"),
    ]


def test_ids_and_addresses_read_the_same_cached_or_not():
    """A repeated or overlong id or address gets the same answer each time."""
    user = uuid.uuid4()
    refs = References(
        types={"UserLoggedIn": "user"},
        users_by_id={user: "ann@acme.example"},
        users_by_email={"ann@acme.example": user},
    )
    item = {"event_type": "UserLoggedIn", "user_id": str(user).upper()}
    long_id = "urn:" * 20 + str(user)  # uuid.UUID strips every "urn:"
    items = [
        {**item, "caused_by_source_ip": "2001:DB8::1"},
        {**item, "caused_by_source_ip": "2001:DB8::1"},
        {**item, "user_id": long_id, "caused_by_source_ip": "10.0.0.1"},
        {**item, "caused_by_source_ip": "10.0.0.1" + " " * 80},
        {**item, "caused_by_source_ip": "fe80::1%eth0"},
    ]
    rows, errors = _validate(items, refs)
    assert [(r["user_id"], r["caused_by_source_ip"]) for r in rows] == [
        (user, "2001:db8::1"),
        (user, "2001:db8::1"),
        (user, "10.0.0.1"),
    ]
    assert errors == [
        (3, "caused_by_source_ip", "must be an IP address"),
        (4, "caused_by_source_ip", "must be an IP address"),
    ]
