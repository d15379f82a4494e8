"""CONTINUOUS: committed events queue a coalesced run (audit.hooks -> queueing)."""

import json
import time
import uuid

import pytest
from django.db import transaction

from audit.services import Actor, event_record
from exports import services
from exports.models import ExportObject, ExportRun, ExportState
from exports.services import queueing
from tests.factories import AuditEventFactory, UserFactory

TASK = "exports.tasks.export_continuous_task"


@pytest.fixture
def queued(monkeypatch):
    """The tasks queued through django-q2 (not run)."""
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a: calls.append(a))
    queueing.continuous_lookup.forget()
    queueing.cache.delete(queueing.CONTINUOUS_FLAG)
    yield calls
    queueing.continuous_lookup.forget()


def _record(user):
    event_record(event_type="UserLoggedOut", actor=Actor.system(), user=user)


def test_a_burst_of_committed_batches_queues_one_run(
    make_location, queued, django_capture_on_commit_callbacks, settings
):
    """1,000 committed batches in one coalescing window queue one run, not 1,000."""
    # One window for the whole burst, however slow the machine is today.
    settings.AUDITSITE_EXPORT_CONTINUOUS_COALESCE_SECONDS = 120
    make_location(interval="CONTINUOUS")
    user = UserFactory()
    for _ in range(1000):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                _record(user)
    assert [name for name, _ in queued] == [TASK]
    # The window ends (the flag expires): the next commit queues the next run.
    queueing.cache.delete(queueing.CONTINUOUS_FLAG)
    with django_capture_on_commit_callbacks(execute=True):
        _record(user)
    assert len(queued) == 2


def test_an_event_in_a_rolled_back_transaction_queues_nothing(
    make_location, queued, django_capture_on_commit_callbacks
):
    """Events that never commit never queue a run."""
    make_location(interval="CONTINUOUS")
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _record(user)
            raise RuntimeError("change refused")
    assert callbacks == [] and queued == []


def test_no_continuous_location_queues_nothing(
    make_location, queued, django_capture_on_commit_callbacks
):
    """Without an enabled CONTINUOUS location, committed events queue nothing."""
    make_location(interval="EVERY_HOUR")
    make_location(name="Paused", interval="CONTINUOUS", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        _record(UserFactory())
    assert queued == []


def test_ingest_through_the_api_queues_a_run(
    make_location, queued, api_client, django_capture_on_commit_callbacks
):
    """A batch ingested through the API queues the CONTINUOUS run on commit."""
    make_location(interval="CONTINUOUS")
    user = UserFactory()
    batch = [
        {
            "id": str(uuid.uuid4()),
            "user_id": str(user.pk),
            "event_type": "UserLoggedOut",
            "event_data": {"UserLoggedOut": {}},
        }
        for _ in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/events/", data=json.dumps(batch), content_type="application/json"
        )
    assert response.status_code == 201, response.json()
    [(name, covers_until)] = queued
    assert name == TASK and covers_until >= time.time()


def test_the_queued_task_delivers_only_continuous_locations(make_location, aws):
    """The task runs every CONTINUOUS location (and no other) once."""
    location = make_location(interval="CONTINUOUS")
    other = make_location(name="Hourly", interval="EVERY_HOUR")
    AuditEventFactory()
    assert services.export_continuous_run(wait_seconds=0) == 1
    assert ExportObject.objects.filter(location=location).count() == 1
    assert not ExportObject.objects.filter(location=other).exists()


def test_the_task_covers_its_coalescing_window(make_location, aws, monkeypatch):
    """Events committed while the flag swallowed their notify are still delivered."""
    location = make_location(interval="CONTINUOUS")
    AuditEventFactory()
    passes = []
    real_pass = queueing._continuous_pass

    def counting_pass(task):
        passes.append(time.time())
        if len(passes) == 2:
            AuditEventFactory()  # committed inside the window: no new task
        return real_pass(task)

    monkeypatch.setattr(queueing, "_continuous_pass", counting_pass)
    written = services.export_continuous_run(
        wait_seconds=0, covers_until=time.time() + 0.5
    )
    assert passes[-1] >= passes[0] + 0.5 - 0.05
    assert written == 2
    assert ExportObject.objects.filter(location=location).count() == 2


def test_the_task_keeps_one_run_open_over_its_window(make_location, aws, monkeypatch):
    """Looks after commits inside the window reuse the run: one lease, one row."""
    location = make_location(interval="CONTINUOUS")
    AuditEventFactory()
    passes = []
    real_pass = queueing._continuous_pass

    def committing_pass(task):
        passes.append(time.time())
        if len(passes) in (2, 3):
            AuditEventFactory()  # committed while the run is open
        return real_pass(task)

    monkeypatch.setattr(queueing, "_continuous_pass", committing_pass)
    written = services.export_continuous_run(
        wait_seconds=0, covers_until=time.time() + 0.5
    )
    assert written == 3
    [run] = ExportRun.objects.filter(location=location)
    assert (run.status, run.object_count, run.events) == ("success", 3, 3)
    assert ExportObject.objects.filter(location=location, run=run).count() == 3
    assert ExportState.objects.get(location=location).lease_owner == ""
