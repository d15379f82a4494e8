import pytest
from django.db import connection

from audit.models import AuditEvent
from exports.models import POSITION_ZERO, position_decode, position_encode
from tests.factories import AuditEventFactory


def test_position_encoding_sorts_like_the_pair():
    """Position strings sort in (txid, seq) order and decode back."""
    pairs = [(0, 10), (2, 1), (2, 9), (10, 3)]
    encoded = [position_encode(*p) for p in pairs]
    assert sorted(encoded) == encoded
    assert [position_decode(e) for e in encoded] == pairs
    assert position_decode(POSITION_ZERO) == (0, 0)


@pytest.mark.django_db
def test_event_records_inserting_transaction():
    """Each event stores its inserting transaction's id (0 on SQLite)."""
    AuditEventFactory()
    AuditEvent.objects.bulk_create([AuditEventFactory.build()])
    txids = list(AuditEvent.objects.values_list("txid", flat=True))
    assert len(txids) == 2
    if connection.vendor == "postgresql":
        assert all(t > 0 for t in txids)
    else:
        assert txids == [0, 0]
