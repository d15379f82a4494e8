"""Global audit log settings hide kinds of events from S3 exports too."""

import pytest

from audit import formats
from audit.models import AuditSettings
from audit.services import Actor
from exports import services
from exports.models import ExportObject
from exports.services import runs
from tests.exports.conftest import bucket_objects
from tests.factories import AuditEventFactory


def _ids(objects: dict[str, bytes]) -> list[str]:
    return [
        e["id"] for key in sorted(objects) for e in formats.parse("json", objects[key])
    ]


def _hide(**flags):
    AuditSettings.objects.update_or_create(pk=1, defaults=flags)


def test_hidden_kinds_are_left_out_of_exports(make_location, aws):
    """Employee, API key and impersonation events follow the global settings."""
    _hide(
        includes_employees=False, includes_api_keys=False, includes_impersonation=False
    )
    location = make_location()
    shown = AuditEventFactory(caused_by_type="User")
    AuditEventFactory(caused_by_type="Employee")
    AuditEventFactory(caused_by_type="ApiKey")
    AuditEventFactory(caused_by_type="Impersonation", impersonator_id="staff-1")
    AuditEventFactory(caused_by_type="User", impersonator_id="staff-2")
    services.export_location_run(location_id=location.pk)
    assert _ids(bucket_objects(aws)) == [str(shown.uuid)]


def test_settings_change_applies_to_new_ranges_not_replays(make_location, aws):
    """A replay after a settings change rewrites the same keys, same bytes."""
    location = make_location()
    employee = AuditEventFactory(caused_by_type="Employee")
    user = AuditEventFactory(caused_by_type="User")
    services.export_location_run(location_id=location.pk)
    before = bucket_objects(aws)
    assert _ids(before) == [str(employee.uuid), str(user.uuid)]
    [digest] = ExportObject.objects.values_list("sha256", flat=True)

    _hide(includes_employees=False)
    later_employee = AuditEventFactory(caused_by_type="Employee")
    later_user = AuditEventFactory(caused_by_type="User")
    services.export_location_run(location_id=location.pk)
    services.export_location_replay(
        actor=Actor.system(), location=location, since=employee.created_at.date()
    )
    services.export_location_run(location_id=location.pk)
    after = bucket_objects(aws)
    assert {k: after[k] for k in before} == before  # same keys, same bytes
    assert ExportObject.objects.order_by("position_to")[0].sha256 == digest
    assert str(later_employee.uuid) not in _ids(after)
    assert _ids(after).count(str(later_user.uuid)) == 1


def test_crash_recut_keeps_the_planned_selection(
    make_location, aws, monkeypatch, settings
):
    """A range re-cut after a crash uses the selection it was planned with."""
    settings.AUDITSITE_EXPORT_LEASE_SECONDS = 0
    location = make_location()
    AuditEventFactory(caused_by_type="User")
    AuditEventFactory(caused_by_type="Employee")

    class Killed(BaseException):
        pass

    def die(*args, **kwargs):
        raise Killed()

    real_commit = runs._commit
    monkeypatch.setattr(runs, "_commit", die)
    with pytest.raises(Killed):
        services.export_location_run(location_id=location.pk)
    monkeypatch.setattr(runs, "_commit", real_commit)
    crashed = bucket_objects(aws)
    _hide(includes_employees=False)
    services.export_location_run(location_id=location.pk)
    assert bucket_objects(aws) == crashed  # same key, same bytes, nothing more
    assert ExportObject.objects.get().event_count == 2
