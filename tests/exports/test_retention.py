import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from exports.models import ExportLocation, ExportState, position_encode
from exports.retention import events_purge
from tests.factories import AuditEventFactory, OrganizationFactory

NOW = timezone.now()


def _event(org=None, days=0, **fields):
    return AuditEventFactory(
        org_id=org.pk if org else fields.pop("org_id", None),
        org_name=org.name if org else "",
        created_at=NOW - timedelta(days=days),
        **fields,
    )


def _left():
    """The customer events still stored (the purge's own record aside)."""
    return set(
        AuditEvent.objects.exclude(category="operator").values_list("seq", flat=True)
    )


@pytest.mark.django_db
def test_each_plan_keeps_its_window():
    """Free keeps 30 days, Growth 60, Growth Plus 90; older events go."""
    free = OrganizationFactory(plan="free")
    growth = OrganizationFactory(plan="growth")
    plus = OrganizationFactory(plan="growth_plus")
    kept = [_event(free, 29), _event(growth, 59), _event(plus, 89), _event(growth, 45)]
    gone = [_event(free, 31), _event(growth, 61), _event(plus, 91)]
    report = events_purge(now=NOW)
    assert _left() == {e.seq for e in kept}
    assert report.removed == len(gone)
    assert report.removed_by_plan == {"free": 1, "growth": 1, "growth_plus": 1}
    assert report.removed_by_org[str(free.pk)] == 1


@pytest.mark.django_db
def test_events_without_an_org_follow_the_setting(settings):
    """No-org events, and events of a deleted org, use the no-org window."""
    settings.AUDITSITE_RETENTION_NO_ORG_DAYS = 10
    recent = _event(None, 5)
    _event(None, 11)
    _event(None, 11, org_id=uuid.uuid4())  # its org was deleted
    report = events_purge(now=NOW)
    assert _left() == {recent.seq}
    assert report.removed_by_plan == {"no_org": 2}


@pytest.mark.django_db
def test_paused_location_keeps_its_undelivered_events():
    """A paused location's undelivered matching events survive; the rest go."""
    org = OrganizationFactory(plan="free")
    delivered = _event(org, 40, category="org", event_type="OrgCreated")
    undelivered = _event(org, 40, category="org", event_type="OrgUpdated")
    not_matching = _event(org, 40, category="user")
    delivered.refresh_from_db()
    location = ExportLocation.objects.create(
        name="Paused bucket", bucket="b", enabled=False, categories=["org"]
    )
    ExportLocation.objects.filter(pk=location.pk).update(
        secret_access_key_encrypted="gAAAA-secret-token",
    )
    ExportState.objects.create(
        location=location, cursor=position_encode(delivered.txid, delivered.seq)
    )
    report = events_purge(now=NOW)
    assert _left() == {undelivered.seq}
    assert not_matching.seq not in _left()
    assert report.kept_back == [
        {"id": str(location.pk), "name": "Paused bucket", "enabled": False, "events": 1}
    ]
    assert "gAAAA" not in json.dumps(report.as_dict())


@pytest.mark.django_db
def test_location_that_delivered_everything_holds_nothing_back():
    """Once a location's cursor is past every event, all expired events go."""
    org = OrganizationFactory(plan="free")
    events = [_event(org, 40) for _ in range(3)]
    events[-1].refresh_from_db()
    location = ExportLocation.objects.create(name="Live", bucket="b")
    ExportState.objects.create(
        location=location, cursor=position_encode(events[-1].txid, events[-1].seq)
    )
    report = events_purge(now=NOW, batch_size=2)
    assert _left() == set()
    assert report.removed == 3
    assert report.kept_back == []


@pytest.mark.django_db
def test_dry_run_deletes_nothing_and_reports_the_same(capsys):
    """--dry-run shows what a purge would remove and keep back, removing nothing."""
    org = OrganizationFactory(plan="free")
    _event(org, 40)
    _event(org, 40)
    ExportLocation.objects.create(name="New bucket", bucket="b", orgs=[])
    before = _left()
    dry = events_purge(now=NOW, dry_run=True)
    assert _left() == before
    assert dry.removed == 0
    assert dry.kept_back[0]["events"] == 2
    call_command("purge_events", "--dry-run")
    out = capsys.readouterr().out
    assert "Would remove 0 event(s)." in out
    assert "Kept back 2 undelivered event(s) for export location New bucket" in out
    assert _left() == before


@pytest.mark.django_db
def test_command_purges_and_reports_json(capsys):
    """purge_events removes expired events and prints the report."""
    org = OrganizationFactory(plan="growth")
    _event(org, 70)
    call_command("purge_events", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["removed"] == 1 and data["removed_by_plan"] == {"growth": 1}
    assert _left() == set()


@pytest.mark.django_db
def test_purge_records_its_run_with_counts_per_plan_caused_by_system():
    """A purge records one RetentionPurgeRun (counts per plan) caused by System."""
    _event(OrganizationFactory(plan="free"), 40)
    _event(OrganizationFactory(plan="growth"), 70)
    _event(OrganizationFactory(plan="growth"), 70)
    call_command("purge_events")
    run = AuditEvent.objects.get(event_type="RetentionPurgeRun")
    assert (run.category, run.caused_by_type) == ("operator", "System")
    assert run.details["removed"] == 3
    assert run.details["removed_by_plan"] == {"free": 1, "growth": 2}


@pytest.mark.django_db
def test_dry_run_records_no_purge_run():
    """A dry run changes nothing, so it records nothing."""
    _event(OrganizationFactory(plan="free"), 40)
    events_purge(now=NOW, dry_run=True)
    assert not AuditEvent.objects.filter(event_type="RetentionPurgeRun").exists()


@pytest.mark.django_db(transaction=True)
def test_plain_delete_is_refused_while_the_purge_works(on_postgres):
    """On PostgreSQL a plain DELETE is still refused; the purge gets through."""
    org = OrganizationFactory(plan="free")
    old = _event(org, 40)
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        AuditEvent.objects.filter(seq=old.seq).delete()
    assert _left() == {old.seq}
    events_purge(now=NOW)
    assert _left() == set()


@pytest.mark.django_db
def test_batches_span_orgs_and_remove_exactly_the_expired():
    """Small batches across many orgs remove every expired event and no other."""
    orgs = [OrganizationFactory(plan=plan) for plan in ("free", "growth") * 3]
    gone, kept = set(), set()
    for org in orgs:
        window = 30 if org.plan == "free" else 60
        gone |= {_event(org, window + 1 + n).seq for n in range(5)}
        kept |= {_event(org, window - 1 - n).seq for n in range(2)}
    report = events_purge(now=NOW, batch_size=4)
    assert _left() == kept
    assert report.removed == len(gone) == 30
    assert report.removed_by_plan == {"free": 15, "growth": 15}


@pytest.mark.django_db
def test_purge_keeps_exactly_what_a_default_location_still_has_to_deliver():
    """With default categories and hidden kinds, the purge keeps the location's
    pending events and nothing else: operator events and hidden kinds go."""
    from audit.models import AuditSettings
    from exports.selectors import events_matching

    AuditSettings.objects.update_or_create(pk=1, defaults={"includes_api_keys": False})
    org = OrganizationFactory(plan="free")
    delivered = _event(org, 40, category="org")
    delivered.refresh_from_db()
    pending = [_event(org, 40, category="org"), _event(org, 40, category="user")]
    operator = _event(org, 40, category="operator", event_type="RetentionPurgeRun")
    hidden = _event(org, 40, category="user", caused_by_type="ApiKey")
    location = ExportLocation.objects.create(name="Default", bucket="b")
    ExportState.objects.create(
        location=location, cursor=position_encode(delivered.txid, delivered.seq)
    )
    still_to_deliver = set(
        events_matching(location=location)
        .filter(seq__gt=delivered.seq)
        .values_list("seq", flat=True)
    )
    assert still_to_deliver == {e.seq for e in pending}
    report = events_purge(now=NOW)
    left = set(
        AuditEvent.objects.filter(created_at__lt=NOW).values_list("seq", flat=True)
    )
    assert left == still_to_deliver
    assert {delivered.seq, operator.seq, hidden.seq}.isdisjoint(left)
    assert report.kept_back[0]["events"] == 2
