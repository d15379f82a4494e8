"""Deleting an org archives its log streams: the ledger stays, nothing runs."""

import json
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit import services as audit_services
from audit.models import AuditEvent, Organization
from audit.services import Actor
from exports import services, tasks
from exports.models import ExportDigest, ExportLocation, ExportObject, ExportRun
from exports.services.leases import lease_acquire
from exports.services.org_streams import org_stream_delete
from exports.verification import export_location_verify_integrity
from tests.exports.conftest import BUCKET, ORG_STREAM_SECRET
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db
LATER = datetime(2100, 1, 1, tzinfo=UTC)


def delivered_stream(make_org_stream, org, name: str) -> ExportLocation:
    """An org stream with a delivered object, its run and its signed digests."""
    location = make_org_stream(org, name=name, path_prefix=name)
    AuditEventFactory(org_id=org.pk, org_name=org.name)
    assert services.export_location_run(location_id=location.pk).events > 0
    services.digest_write_due(location=location, now=LATER, max_hours=3)
    return location


def ledger(location_id) -> tuple[int, int, int]:
    return (
        ExportObject.objects.filter(location_id=location_id).count(),
        ExportRun.objects.filter(location_id=location_id).count(),
        ExportDigest.objects.filter(location_id=location_id).count(),
    )


@pytest.fixture
def streams(org, aws, make_org_stream):
    """A live stream and one the org's members deleted before, both delivered."""
    live = delivered_stream(make_org_stream, org, "siem")
    earlier = delivered_stream(make_org_stream, org, "old")
    org_stream_delete(actor=Actor.system(), location=earlier)
    return live, earlier


def assert_archived_with_ledger(locations, ledgers, aws):
    for location, kept in zip(locations, ledgers, strict=True):
        archived = ExportLocation.all_objects.get(pk=location.pk)
        assert archived.archived_at is not None and not archived.enabled
        assert archived.org_id is None
        assert archived.secret_access_key_encrypted == ""
        assert ledger(location.pk) == kept and kept[0] >= 1 and kept[2] >= 1
        report = export_location_verify_integrity(
            location=archived, until=LATER, client=aws
        )
        assert report.ok, report.lines()
    assert not ExportLocation.objects.exists()


def test_org_delete_archives_its_streams(org, streams, aws, employee):
    """Through the service: org gone, streams archived and detached, ledger
    and digests kept and verifying, the events recorded without a secret."""
    ledgers = [ledger(s.pk) for s in streams]
    live, org_id = streams[0], org.pk
    audit_services.org_delete(actor=employee, org=org)

    assert not Organization.objects.filter(pk=org_id).exists()
    assert_archived_with_ledger(streams, ledgers, aws)
    deleted = AuditEvent.objects.filter(
        event_type="OrgLogStreamDeleted", caused_by_type="Employee"
    ).get()
    assert deleted.org_id == org_id and deleted.category == "org"
    assert deleted.details["stream_id"] == str(live.pk)
    assert deleted.details["reason"] == "The organization was deleted."
    operator = AuditEvent.objects.filter(
        event_type="ExportLocationDeleted", caused_by_type="Employee"
    ).get()
    assert operator.details["location_id"] == str(live.pk)
    assert AuditEvent.objects.filter(event_type="OrgDeleted", org_id=org_id).exists()
    for event in AuditEvent.objects.all():
        assert ORG_STREAM_SECRET not in json.dumps(event.event_data)


def test_admin_org_delete_archives_its_streams(org, streams, aws, staff_client):
    """Through the admin: the confirmation names nothing protected, and the
    delete archives the streams with their ledger kept."""
    ledgers = [ledger(s.pk) for s in streams]
    org_id = org.pk
    url = reverse("admin:audit_organization_delete", args=[org.pk])
    page = staff_client.get(url).content.decode()
    assert "protected" not in page.lower()
    assert staff_client.post(url, {"post": "yes"}).status_code == 302

    assert not Organization.objects.filter(pk=org_id).exists()
    assert_archived_with_ledger(streams, ledgers, aws)
    deleted = AuditEvent.objects.filter(event_type="OrgLogStreamDeleted")
    assert deleted.count() == 2 and {e.org_id for e in deleted} == {org_id}


def test_an_archived_stream_of_a_deleted_org_never_runs(org, other_org, streams, aws):
    """No org and archived is not an operator stream: no run, task, replay or
    digest takes it, whatever events come in."""
    org_id = org.pk
    audit_services.org_delete(actor=Actor.system(), org=org)
    for tenant_id in (org_id, other_org.pk):
        AuditEventFactory(org_id=tenant_id)
    before = [ledger(s.pk) for s in streams]
    keys = sorted(o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET)["Contents"])

    for location in streams:
        assert lease_acquire(location.pk, "test-worker") is None
        assert services.export_location_run(location_id=location.pk) is None
        tasks.export_location_run_task(str(location.pk))
    assert tasks.export_continuous_task() == 0
    tasks.digests_write_all()

    assert [ledger(s.pk) for s in streams] == before
    after = sorted(o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert after == keys


@pytest.mark.django_db(transaction=True)
def test_a_delete_that_skips_the_service_is_refused(org, aws, make_org_stream):
    """Deleting the org's row directly fails on the database constraint: the
    live stream keeps its org, its settings and its secret."""
    location = make_org_stream(org, name="siem")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=org.pk).delete()

    kept = ExportLocation.objects.get(pk=location.pk)
    assert kept.org_id == org.pk and kept.enabled
    assert kept.secret_access_key_encrypted
    assert Organization.objects.filter(pk=org.pk).exists()
