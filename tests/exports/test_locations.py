"""exports.services.locations: one validation, operator events for every change."""

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from audit.services import Actor
from exports import services
from exports.models import ExportLocation
from tests.factories import AuditEventFactory


def _operator_events():
    return list(AuditEvent.objects.filter(category="operator").order_by("txid", "seq"))


def test_every_change_records_its_operator_event(make_location, aws):
    """Create, change, credentials, pause, resume, verify, replay and delete
    each record one operator event, never with the secret."""
    location = make_location(name="Acme")
    created, verified = _operator_events()
    assert created.event_type == "ExportLocationCreated"
    assert created.event_data["ExportLocationCreated"]["location"] == "Acme"
    assert verified.event_data["ExportLocationVerified"]["status"] == "SUCCESS"
    actor = Actor.system()
    services.export_location_update(
        actor=actor, location=location, name="Acme logs", interval="EVERY_2_HOURS"
    )
    services.export_location_update(
        actor=actor, location=location, secret_access_key="n3w-s3cr3t"
    )
    services.export_location_update(actor=actor, location=location, enabled=False)
    services.export_location_update(actor=actor, location=location, enabled=True)
    AuditEventFactory()
    services.export_location_run(location_id=location.pk)
    services.export_location_replay(
        actor=actor, location=location, since=date(2000, 1, 1)
    )
    services.export_location_delete(actor=actor, location=location)
    events = _operator_events()[2:]
    assert [e.event_type for e in events] == [
        "ExportLocationChanged",
        "ExportLocationCredentialsChanged",
        "ExportLocationPaused",
        "ExportLocationResumed",
        "ExportLocationReplayed",
        "ExportLocationDeleted",
    ]
    changed = events[0].event_data["ExportLocationChanged"]
    assert changed["old"] == {"name": "Acme", "interval": "EVERY_5_MINUTES"}
    assert changed["new"] == {"name": "Acme logs", "interval": "EVERY_2_HOURS"}
    credentials = events[1].event_data["ExportLocationCredentialsChanged"]
    assert credentials["fields"] == ["secret_access_key"]
    assert all(e.caused_by_type == "System" for e in events)
    dumped = json.dumps([e.event_data for e in _operator_events()])
    assert "s3cr3t" not in dumped and "gAAAA" not in dumped


def test_invalid_update_changes_nothing(make_location):
    """An unknown format or interval raises, naming the field; nothing changes."""
    location = make_location()
    recorded = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as raised:
        services.export_location_update(
            actor=Actor.system(), location=location, file_format="xml", interval="X"
        )
    assert set(raised.value.message_dict) == {"file_format", "interval"}
    location.refresh_from_db()
    assert location.file_format == "json" and location.interval == "EVERY_5_MINUTES"
    assert AuditEvent.objects.count() == recorded


def test_operator_events_go_only_where_asked(make_location, aws):
    """The default filter sends user and org events; `operator` adds ours."""
    default = make_location(name="Default")
    operator = make_location(name="Ops", categories=["operator"])
    customer = AuditEventFactory()
    services.export_location_run(location_id=default.pk)
    services.export_location_run(location_id=operator.pk)
    default_ids = _delivered_ids(default)
    operator_ids = _delivered_ids(operator)
    assert default_ids == {str(customer.uuid)}
    assert str(customer.uuid) not in operator_ids
    ours = {str(e.uuid) for e in _operator_events()}
    assert operator_ids and operator_ids <= ours


def _delivered_ids(location: ExportLocation) -> set[str]:
    from audit import formats
    from exports.destinations.s3 import client_for

    client = client_for(location)
    ids = set()
    for obj in location.export_objects.all():
        body = client.get_object(Bucket=location.bucket, Key=obj.key)["Body"].read()
        ids |= {e["id"] for e in formats.parse("json", body)}
    return ids
