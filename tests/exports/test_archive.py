# ruff: noqa: F811 - the fixtures are imported from digest_fixtures by name
"""Deleting a location archives it: hidden, secrets gone, its ledger kept."""

import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.services import Actor
from exports import services
from exports.models import ExportDigest, ExportLocation, ExportObject, ExportRun
from exports.verification import export_location_verify_integrity
from tests.exports.digest_fixtures import (  # noqa: F401 (fixtures)
    BUCKET,
    exported,
    location,
    s3,
)
from tests.factories import AuditEventFactory

LATER = datetime(2100, 1, 1, tzinfo=UTC)


def _delivered(make_location):
    """A location with one delivered object, its run and its digests."""
    located = make_location(name="Archived bucket")
    AuditEventFactory()
    services.export_location_run(location_id=located.pk)
    services.digest_write_due(location=located, now=LATER, max_hours=3)
    return located


def _ledger(location_id) -> tuple[int, int, int]:
    return (
        ExportObject.objects.filter(location_id=location_id).count(),
        ExportRun.objects.filter(location_id=location_id).count(),
        ExportDigest.objects.filter(location_id=location_id).count(),
    )


def test_deleting_archives_the_location_and_keeps_its_ledger(make_location):
    """The row stays, archived and disabled with its secrets wiped; its
    objects, runs and digests stay; ExportLocationDeleted is recorded."""
    from django_q.models import Schedule

    located = _delivered(make_location)
    ledger = _ledger(located.pk)
    assert ledger[0] == 1 and ledger[1] == 1 and ledger[2] >= 1
    services.export_location_delete(actor=Actor.system(), location=located)

    assert not ExportLocation.objects.filter(pk=located.pk).exists()
    archived = ExportLocation.all_objects.get(pk=located.pk)
    assert archived.archived_at is not None and not archived.enabled
    assert archived.secret_access_key_encrypted == ""
    assert archived.destination_secret_encrypted == ""
    assert _ledger(located.pk) == ledger
    assert ExportObject.objects.get(location_id=located.pk).location == archived
    assert not Schedule.objects.filter(name__contains=str(located.pk)).exists()
    event = AuditEvent.objects.filter(event_type="ExportLocationDeleted").get()
    details = event.event_data["ExportLocationDeleted"]
    assert details["location_id"] == str(located.pk)
    assert "s3cr3t-value" not in json.dumps(event.event_data)


def test_the_ledger_cannot_be_erased_with_the_row(make_location):
    """Deleting the row itself is refused while a ledger points at it."""
    located = _delivered(make_location)
    with pytest.raises(ProtectedError):
        ExportLocation.all_objects.get(pk=located.pk).delete()


def test_an_archived_location_still_verifies(exported, s3, location, monkeypatch):
    """After deletion the export verifies (its chain ends with its last
    digest), and tampering with it is still caught."""
    monkeypatch.setattr("exports.verification.client_for", lambda location: s3)
    services.export_location_delete(actor=Actor.system(), location=location)
    archived = ExportLocation.all_objects.get(pk=location.pk)

    report = export_location_verify_integrity(location=archived, until=LATER)
    assert report.ok, report.lines()
    assert report.digests_valid == report.digests_total == len(exported[1])
    call_command("verify_export", str(location.pk))  # default --to: no exit 1

    objects, _ = exported
    s3.delete_object(Bucket=BUCKET, Key=objects[0].key)
    report = export_location_verify_integrity(location=archived, until=LATER)
    assert not report.ok and report.missing_objects == [objects[0].key]


def test_lists_and_lookups_hide_an_archived_location(make_location, staff, capsys):
    """The API, the admin and `manage.py exports` no longer show it."""
    kept = make_location(name="Kept bucket")
    gone = _delivered(make_location)
    services.export_location_delete(actor=Actor.system(), location=gone)

    api = APIClient()
    api.force_authenticate(staff)
    listed = api.get("/api/v1/export-locations/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [str(kept.pk)]
    assert api.get(f"/api/v1/export-locations/{gone.pk}/").status_code == 404

    api.force_login(staff)
    page = api.get("/admin/exports/exportlocation/").content.decode()
    assert "Kept bucket" in page and "Archived bucket" not in page

    call_command("exports", "list", "--json")
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == [str(kept.pk)]
    with pytest.raises(CommandError):
        call_command("exports", "run", str(gone.pk))


def test_the_api_delete_archives(make_location, staff):
    """DELETE /api/v1/export-locations/ID/ archives the location, ledger kept."""
    located = _delivered(make_location)
    ledger = _ledger(located.pk)
    api = APIClient()
    api.force_authenticate(staff)
    assert api.delete(f"/api/v1/export-locations/{located.pk}/").status_code == 204
    assert ExportLocation.all_objects.get(pk=located.pk).archived_at is not None
    assert _ledger(located.pk) == ledger


def test_the_admin_delete_archives(make_location, staff_client):
    """The admin's delete asks about the location alone and archives it."""
    located = _delivered(make_location)
    ledger = _ledger(located.pk)
    url = f"/admin/exports/exportlocation/{located.pk}/delete/"
    page = staff_client.get(url).content.decode()
    assert "Archived bucket" in page and "protected" not in page.lower()
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert ExportLocation.all_objects.get(pk=located.pk).archived_at is not None
    assert _ledger(located.pk) == ledger

    other = _delivered(make_location)
    response = staff_client.post(
        "/admin/exports/exportlocation/",
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert ExportLocation.all_objects.get(pk=other.pk).archived_at is not None
