"""Export formats: the one CSV column set, format versions, Parquet, OCSF."""

import gzip
import hashlib
import io
from datetime import UTC, date, datetime

import pyarrow.parquet as pq
import pytest

from audit import formats
from audit.selectors import event_description
from audit.services import Actor
from exports import services
from exports.models import ExportObject
from exports.selectors import export_rows_between, export_selection
from exports.services import leases
from tests.exports.conftest import bucket_objects
from tests.factories import AuditEventFactory
from tests.spec import SPEC_EVENT_FIELDS

WHEN = datetime(2025, 4, 25, 16, 29, 21, 123456, tzinfo=UTC)


def test_new_ranges_record_the_format_version(make_location):
    """The selection of a new range names the writer version it was cut with."""
    location = make_location(file_format="csv")
    selection = export_selection(location=location)
    assert selection["format_version"] == formats.FORMAT_VERSION == 3


def test_location_csv_has_the_one_csv_column_set(make_location, aws):
    """A location's CSV has the SPEC fields, then category and description."""
    location = make_location(file_format="csv")
    event = AuditEventFactory(
        created_at=WHEN, event_type="UserCreated", user_email="=x@acme.example"
    )
    services.export_location_run(location_id=location.pk)
    [body] = bucket_objects(aws).values()
    header = body.decode().split("\r\n", 1)[0].split(",")
    assert header == [*SPEC_EVENT_FIELDS, "category", "description"]
    [row] = formats.parse("csv", body)
    assert row["id"] == str(event.uuid)
    assert row["created_at"] == str(int(WHEN.timestamp()))  # Unix seconds
    assert row["category"] == "user"
    assert row["user_email"] == "'=x@acme.example"
    assert row["description"] == "'" + event_description(event)


def test_old_csv_range_replays_byte_identical(make_location, aws, monkeypatch):
    """A CSV range cut before format versions replays with the old writer."""
    location = make_location(file_format="csv")
    AuditEventFactory(created_at=WHEN)

    def old_selection(**kwargs):
        selection = export_selection(**kwargs)
        del selection["format_version"]  # what the writer before versions recorded
        return selection

    with monkeypatch.context() as patch:
        patch.setattr(leases, "export_selection", old_selection)
        services.export_location_run(location_id=location.pk)
    [(key, old_body)] = bucket_objects(aws).items()
    assert old_body.decode().split("\r\n", 1)[0].split(",") == list(SPEC_EVENT_FIELDS)
    obj = ExportObject.objects.get()
    assert "format_version" not in obj.selection
    aws.delete_object(Bucket="customer-audit", Key=key)

    replayed = services.export_location_replay(
        actor=Actor.system(), location=location, since=date(2025, 4, 1)
    )
    assert replayed == 1
    services.export_location_run(location_id=location.pk)
    assert bucket_objects(aws) == {key: old_body}
    assert hashlib.sha256(old_body).hexdigest() == obj.sha256

    AuditEventFactory(created_at=WHEN)  # a new range: the current writer
    services.export_location_run(location_id=location.pk)
    new_body = next(v for k, v in bucket_objects(aws).items() if k != key)
    assert new_body.decode().split("\r\n", 1)[0].endswith(",category,description")


def test_version_2_ndjson_range_replays_byte_identical(make_location, aws, monkeypatch):
    """An ndjson.gz range cut with writer version 2 (the standard library's
    JSON) replays with its bytes; a new range is written by version 3."""
    location = make_location(file_format="ndjson.gz")
    data = {"UserCreated": {"name": "Ada", "ratio": 0.00001, "n": [1, 2]}}
    AuditEventFactory(created_at=WHEN, event_data=data)

    def version_2(**kwargs):
        return {**export_selection(**kwargs), "format_version": 2}

    with monkeypatch.context() as patch:
        patch.setattr(leases, "export_selection", version_2)
        services.export_location_run(location_id=location.pk)
    [(key, old_body)] = bucket_objects(aws).items()
    assert b'"ratio":1e-05' in gzip.decompress(old_body)
    obj = ExportObject.objects.get()
    aws.delete_object(Bucket="customer-audit", Key=key)
    services.export_location_replay(
        actor=Actor.system(), location=location, since=date(2025, 4, 1)
    )
    services.export_location_run(location_id=location.pk)
    assert bucket_objects(aws) == {key: old_body}
    assert hashlib.sha256(old_body).hexdigest() == obj.sha256

    AuditEventFactory(created_at=WHEN, event_data=data)
    services.export_location_run(location_id=location.pk)
    new_body = next(v for k, v in bucket_objects(aws).items() if k != key)
    [old_record] = formats.parse("ndjson.gz", old_body)
    [new_record] = formats.parse("ndjson.gz", new_body)
    assert new_record["event_data"] == old_record["event_data"] == data
    assert new_record.keys() == old_record.keys()
    new_obj = ExportObject.objects.exclude(pk=obj.pk).get()
    assert new_obj.selection["format_version"] == 3
    assert hashlib.sha256(new_body).hexdigest() == new_obj.sha256


def rendered_again(obj: ExportObject) -> bytes:
    """The delivered object's range rendered again, as a replay renders it."""
    rows = export_rows_between(
        selection=obj.selection, after=obj.position_from, up_to=obj.position_to
    )
    return formats.render_selection(obj.selection, rows)


def test_version_3_ndjson_passes_the_stored_json_through(make_location, aws):
    """ndjson.gz from version 3 embeds the JSON columns as the database
    stores them (nothing decoded and encoded again), the same on a re-cut."""
    location = make_location(file_format="ndjson.gz")
    big = 2**70  # beyond orjson's integers: passed through all the same
    event = AuditEventFactory(
        created_at=WHEN,
        event_data={"UserCreated": {"big": big, "text": "é\u2028\n"}},
        caused_by_metadata={"email": "ada@example.com"},
    )
    services.export_location_run(location_id=location.pk)
    [body] = bucket_objects(aws).values()
    [record] = formats.parse("ndjson.gz", body)
    assert record["id"] == str(event.uuid)
    assert record["event_data"] == {"UserCreated": {"big": big, "text": "é\u2028\n"}}
    assert record["caused_by_metadata"] == {"email": "ada@example.com"}
    assert record["impersonator_metadata"] is None
    assert record["created_at"] == int(WHEN.timestamp())
    assert rendered_again(ExportObject.objects.get()) == body


def test_parquet_typed_columns_and_same_bytes(make_location, aws):
    """Parquet: typed SPEC columns, no writer metadata, same range same bytes."""
    location = make_location(file_format="parquet")
    events = [AuditEventFactory(created_at=WHEN) for _ in range(3)]
    services.export_location_run(location_id=location.pk)
    [(key, body)] = bucket_objects(aws).items()
    assert key.endswith(".parquet")
    parquet_file = pq.ParquetFile(io.BytesIO(body))
    schema = parquet_file.schema_arrow
    assert schema.names == list(SPEC_EVENT_FIELDS)  # no year/month/day columns
    assert str(schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert {str(schema.field(name).type) for name in schema.names} == {
        "string",
        "timestamp[us, tz=UTC]",
    }
    assert parquet_file.metadata.metadata is None  # no key-value metadata
    assert parquet_file.metadata.num_row_groups == 1
    rows = formats.parse("parquet", body)
    assert [r["id"] for r in rows] == [str(e.uuid) for e in events]
    assert rows[0]["created_at"] == WHEN
    assert rows[0]["event_data"].startswith("{")  # JSON text

    assert rendered_again(ExportObject.objects.get()) == body


def test_parquet_row_group_per_10000_events(db):
    """A Parquet file has one row group per 10,000 events."""
    from tests.exports.format_rows import spec_rows

    data = formats.render("parquet", spec_rows(25_000))
    assert pq.ParquetFile(io.BytesIO(data)).metadata.num_row_groups == 3


def test_parquet_bytes_are_pinned(db):
    """The Parquet writer's bytes for fixed rows are pinned (an upgrade shows)."""
    from tests.exports.format_rows import spec_rows

    # If this changes (a pyarrow upgrade, a writer option), old Parquet objects
    # would replay with other bytes: bump FORMAT_VERSION and keep the old writer.
    digest = hashlib.sha256(formats.render("parquet", spec_rows(50))).hexdigest()
    assert digest == PARQUET_DIGEST


PARQUET_DIGEST = "efa0815dfaf7c11de8b28ed50dcbea2009533d30e45a2902a2ff5143c5406fbb"


@pytest.mark.parametrize("file_format", ["parquet", "ocsf"])
def test_new_formats_round_trip(make_location, aws, file_format):
    """parquet and ocsf objects read back to the exported events, in order."""
    location = make_location(file_format=file_format)
    events = [AuditEventFactory() for _ in range(4)]
    services.export_location_run(location_id=location.pk)
    [(key, body)] = bucket_objects(aws).items()
    parsed = formats.parse(file_format, body)
    if file_format == "ocsf":
        assert key.endswith(".ocsf.json.gz")
        ids = [record["metadata"]["uid"] for record in parsed]
    else:
        ids = [record["id"] for record in parsed]
    assert ids == [str(e.uuid) for e in events]


@pytest.mark.parametrize("file_format", ["parquet", "ocsf"])
def test_api_and_command_line_take_the_new_formats(
    staff, aws, tmp_path, capsys, file_format
):
    """The API and `exports create` create parquet and ocsf locations."""
    import json

    from django.core.management import call_command
    from rest_framework.test import APIClient

    from exports.models import ExportLocation

    api = APIClient()
    api.force_authenticate(staff)
    response = api.post(
        "/api/v1/export-locations/",
        {
            "name": "api",
            "bucket": "customer-audit",
            "access_key_id": "AKIAEXAMPLE",
            "secret_access_key": "very-secret",
            "interval": "EVERY_HOUR",
            "file_format": file_format,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["file_format"] == file_format
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "interval": "EVERY_HOUR",
                "bucket": "customer-audit",
                "path": "cli",
                "region": "us-east-1",
                "accessKeyId": "AKIAEXAMPLE",
                "secretAccessKey": "secret",
                "format": file_format,
            }
        )
    )
    call_command("exports", "create", "--auth", "access-key", str(config))
    formats_made = ExportLocation.objects.values_list("file_format", flat=True)
    assert list(formats_made) == [file_format, file_format]


def test_admin_form_offers_every_format(staff_client):
    """The admin's add form lists json, ndjson.gz, csv, parquet and ocsf."""
    from exports.models import ExportLocation

    assert set(formats.FORMATS) == set(ExportLocation.FileFormat.values)
    page = staff_client.get("/admin/exports/exportlocation/add/").content.decode()
    for value in formats.FORMATS:
        assert f'value="{value}"' in page


def test_csv_replay_after_a_template_edit_is_byte_identical(make_location, aws):
    """A CSV range replayed after its type's template changed writes the same
    object, byte for byte; new ranges take the new template."""
    from audit.models import EventType

    location = make_location(file_format="csv")
    AuditEventFactory(created_at=WHEN, event_type="UserCreated")
    services.export_location_run(location_id=location.pk)
    [(key, body)] = bucket_objects(aws).items()
    obj = ExportObject.objects.get()
    EventType.objects.update_or_create(
        event_type="UserCreated",
        defaults={"name": "User Created", "category": "user", "template": "EDITED"},
    )
    aws.delete_object(Bucket="customer-audit", Key=key)

    services.export_location_replay(
        actor=Actor.system(), location=location, since=date(2025, 4, 1)
    )
    services.export_location_run(location_id=location.pk)
    assert bucket_objects(aws) == {key: body}
    obj.refresh_from_db()
    assert obj.sha256 == hashlib.sha256(body).hexdigest()
    assert (obj.request_count, obj.size_bytes) == (1, len(body))
    assert "EDITED" not in body.decode()

    AuditEventFactory(created_at=WHEN, event_type="UserCreated")
    services.export_location_run(location_id=location.pk)
    [new] = [v for k, v in bucket_objects(aws).items() if k != key]
    assert formats.parse("csv", new)[0]["description"] == "EDITED"


def test_the_delivery_thread_never_queries_the_database(make_location, monkeypatch):
    """Rendering and delivering run on a thread with no database work: every
    query of a run is on the run's own thread."""
    import threading

    from django.db.backends.utils import CursorWrapper

    threads = []
    real = CursorWrapper._execute_with_wrappers

    def spy(self, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CursorWrapper, "_execute_with_wrappers", spy)
    for file_format in ("csv", "json"):
        location = make_location(file_format=file_format)
        AuditEventFactory(created_at=WHEN)
        run = services.export_location_run(location_id=location.pk)
        assert run.object_count >= 1
    assert threads and not [t for t in threads if t.startswith("export-deliver")]
