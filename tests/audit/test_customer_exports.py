"""Large org-page exports: built in the background, downloaded by a short-lived link."""

import csv
import io
import time
import uuid
from datetime import datetime, timedelta

import boto3
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from moto import mock_aws

from audit.ingest import events_copy
from audit.models import AuditEvent, CustomerExport
from audit.services import customer_exports
from audit.spec import STORED_COLUMNS
from tests.factories import AuditEventFactory, MembershipFactory, UserFactory
from tests.spec import SPEC_EVENT_FIELDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_storage(settings, tmp_path):
    """Exports go to a temporary folder (the default local storage, moved)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "customer_exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "exports")},
        },
    }
    return tmp_path / "exports"


@pytest.fixture
def run_tasks(monkeypatch):
    """async_task runs the task at once (as a worker would, after commit)."""
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args: import_string(func)(*args)
    )


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def export_url(org, fmt):
    return reverse("org-audit-log-export", args=[org.slug, fmt])


def _bulk_events(org, count):
    """``count`` events of ``org`` written straight to the table.

    Set-up only, so it skips the ORM: Django's bulk_create spent 80 of this
    test's 110 s preparing 200,000 instances' values. COPY on PostgreSQL
    (the ingestion path's ``events_copy``); one executemany on SQLite, with
    values as Django stores them there (UUIDs as hex, datetimes as text).
    """
    now = timezone.now()
    values = {
        "org_id": org.pk,
        "org_name": org.name,
        "event_type": "OrgUpdated",
        "category": "org",
        "recorded_at": now,
        "caused_by_type": "User",
        "caused_by_id": "u-1",
        "caused_by_metadata": '{"email": "owner@acme.example"}',
    }
    fields = {name: AuditEvent._meta.get_field(name) for name in STORED_COLUMNS}
    fixed = [values.get(name, fields[name].get_default()) for name in STORED_COLUMNS]
    at = {name: STORED_COLUMNS.index(name) for name in STORED_COLUMNS}

    def rows():
        for i in range(count):
            row = list(fixed)
            row[at["uuid"]] = uuid.uuid4()
            row[at["event_data"]] = f'{{"OrgUpdated": {{"n": {i}}}}}'
            row[at["created_at"]] = now - timedelta(seconds=i)
            yield row

    if connection.vendor == "postgresql":
        events_copy(columns=STORED_COLUMNS, rows=rows())
        return
    adapt = connection.ops.adapt_datetimefield_value

    def stored(value):
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, datetime):
            return adapt(value)
        return value

    table = AuditEvent._meta.db_table
    marks = ", ".join(["%s"] * len(STORED_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(STORED_COLUMNS)}) VALUES ({marks})",
            ([stored(value) for value in row] for row in rows()),
        )


def _start(client, org, fmt, django_capture_on_commit_callbacks, **filters):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(export_url(org, fmt), filters)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def test_200000_event_export_builds_in_background_and_downloads(
    member_client, org, local_storage, run_tasks, django_capture_on_commit_callbacks
):
    """200,000 events: a background job, a page with the link, the whole file."""
    _bulk_events(org, 200_000)
    page_url = _start(member_client, org, "csv", django_capture_on_commit_callbacks)
    job = CustomerExport.objects.get()
    assert page_url == reverse("org-customer-export", args=[org.slug, job.id])
    assert job.status == CustomerExport.Status.DONE
    assert job.written == job.total == 200_000
    page = member_client.get(page_url).content.decode()
    assert 'http-equiv="refresh"' not in page and "Ready: 200000 events." in page
    link = customer_exports.customer_export_link(job=job)
    assert f'href="{link.split("download/")[0]}download/' in page
    response = member_client.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [*SPEC_EVENT_FIELDS, "category", "description"]
    assert len(rows) == 200_001
    initiated = AuditEvent.objects.get(event_type="UserExportInitiated")
    details = initiated.event_data["UserExportInitiated"]
    assert details["export_id"] == str(job.id) and details["export_page"] == page_url
    assert job.marker_seq == initiated.seq


def test_small_export_still_streams(member_client, org, local_storage):
    """At or below the threshold the export streams at once, with no job."""
    AuditEventFactory(org_id=org.pk, org_name=org.name)
    response = member_client.post(export_url(org, "json"))
    assert response.status_code == 200 and response.streaming
    assert not CustomerExport.objects.exists()


@pytest.fixture
def small_threshold(settings):
    settings.AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD = 2


def test_page_shows_progress_while_building(
    member_client, org, local_storage, small_threshold
):
    """While the job waits or builds, the page refreshes itself and shows progress."""
    for _ in range(3):
        AuditEventFactory(org_id=org.pk, org_name=org.name)
    response = member_client.post(export_url(org, "parquet"))  # not committed yet
    job = CustomerExport.objects.get()
    CustomerExport.objects.filter(pk=job.pk).update(
        status=CustomerExport.Status.RUNNING, total=3, written=1
    )
    page = member_client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "1 of 3 events (33%)" in page
    assert "Download" not in page


def test_link_stops_working_after_its_lifetime(
    member_client,
    org,
    local_storage,
    run_tasks,
    small_threshold,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    """The local link downloads for 10 minutes, then answers 404."""
    events = [AuditEventFactory(org_id=org.pk, org_name=org.name) for _ in range(3)]
    _start(member_client, org, "json", django_capture_on_commit_callbacks)
    job = CustomerExport.objects.get()
    link = customer_exports.customer_export_link(job=job)
    real_time = time.time
    monkeypatch.setattr("django.core.signing.time.time", lambda: real_time() + 590)
    response = member_client.get(link)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert all(str(e.uuid) in body for e in events)
    monkeypatch.setattr("django.core.signing.time.time", lambda: real_time() + 601)
    assert member_client.get(link).status_code == 404


def test_nobody_else_gets_the_export_or_its_link(
    client,
    member_client,
    org,
    other_org,
    local_storage,
    run_tasks,
    small_threshold,
    django_capture_on_commit_callbacks,
):
    """Another org's member, or another member of the org: no page, no file."""
    for _ in range(3):
        AuditEventFactory(org_id=org.pk, org_name=org.name)
    page_url = _start(member_client, org, "csv", django_capture_on_commit_callbacks)
    job = CustomerExport.objects.get()
    link = customer_exports.customer_export_link(job=job)
    token = link.rsplit("/", 1)[1]

    outsider = MembershipFactory(
        org=other_org, user=UserFactory(email="owner@globex.example")
    ).user
    client.force_login(outsider)
    assert client.get(page_url).status_code == 403  # not a viewer of acme
    assert client.get(link).status_code == 403
    own_org_link = reverse("org-customer-export-download", args=[other_org.slug, token])
    assert client.get(own_org_link).status_code == 404
    other_page = reverse("org-customer-export", args=[other_org.slug, job.id])
    assert client.get(other_page).status_code == 404

    colleague = MembershipFactory(org=org, user=UserFactory(email="cto@acme.example"))
    client.force_login(colleague.user)
    assert client.get(page_url).status_code == 404
    assert client.get(link).status_code == 404


def test_member_who_lost_access_cannot_download(
    member_client,
    member,
    org,
    local_storage,
    run_tasks,
    small_threshold,
    django_capture_on_commit_callbacks,
):
    """A link stops working as soon as its member may no longer see the org."""
    for _ in range(3):
        AuditEventFactory(org_id=org.pk, org_name=org.name)
    _start(member_client, org, "csv", django_capture_on_commit_callbacks)
    link = customer_exports.customer_export_link(job=CustomerExport.objects.get())
    member.memberships.all().delete()
    assert member_client.get(link).status_code == 403


def test_expired_exports_and_files_are_deleted(
    member_client,
    org,
    local_storage,
    run_tasks,
    small_threshold,
    django_capture_on_commit_callbacks,
):
    """The hourly purge deletes jobs past their day, and their files."""
    for _ in range(3):
        AuditEventFactory(org_id=org.pk, org_name=org.name)
    _start(member_client, org, "csv", django_capture_on_commit_callbacks)
    job = CustomerExport.objects.get()
    path = local_storage / job.file_name
    assert path.exists()
    assert job.expires_at - job.created_at == timedelta(days=1)
    assert customer_exports.customer_exports_purge() == 0
    CustomerExport.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert customer_exports.customer_exports_purge() == 1
    assert not path.exists() and not CustomerExport.objects.exists()


def test_the_purge_is_scheduled():
    """Migration 0010 schedules the purge hourly."""
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="audit-customer-exports-purge")
    assert schedule.func == "audit.tasks.customer_exports_purge"
    assert schedule.schedule_type == Schedule.HOURLY


def test_s3_storage_gives_a_presigned_link_for_the_lifetime(
    member_client,
    org,
    settings,
    monkeypatch,
    run_tasks,
    small_threshold,
    django_capture_on_commit_callbacks,
):
    """With a bucket configured the file goes to S3 and the link is presigned."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="exports")
        settings.STORAGES = {
            **settings.STORAGES,
            "customer_exports": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "exports",
                    "region_name": "us-east-1",
                    "querystring_expire": 600,
                    "signature_version": "s3v4",
                },
            },
        }
        for _ in range(3):
            AuditEventFactory(org_id=org.pk, org_name=org.name)
        _start(member_client, org, "parquet", django_capture_on_commit_callbacks)
        job = CustomerExport.objects.get()
        link = customer_exports.customer_export_link(job=job)
        assert "X-Amz-Expires=600" in link and "X-Amz-Signature=" in link
        body = (
            boto3.client("s3", region_name="us-east-1")
            .get_object(Bucket="exports", Key=job.file_name)["Body"]
            .read()
        )
        assert body[:4] == b"PAR1"
