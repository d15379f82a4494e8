import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from audit.models import AuditEvent
from exports import services
from exports.models import ExportLocation
from tests.exports.conftest import BUCKET, bucket_objects
from tests.factories import AuditEventFactory


def test_create_list_run_flow(db, aws, tmp_path, capsys):
    """create --auth access-key, list shows SUCCESS, run writes the events."""
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "interval": "EVERY_HOUR",
                "bucket": BUCKET,
                "path": "logs",
                "region": "us-east-1",
                "accessKeyId": "AKIAEXAMPLE",
                "secretAccessKey": "secret",
                "format": "ndjson.gz",
            }
        )
    )
    call_command("exports", "create", "--auth", "access-key", str(config))
    location = ExportLocation.objects.get()
    assert "s3:PutObject" in capsys.readouterr().out
    call_command("exports", "list", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert row["id"] == str(location.pk) and row["connection_status"] == "SUCCESS"
    call_command("exports", "list")
    header, line = capsys.readouterr().out.splitlines()
    assert header.split("\t") == [
        "id",
        "name",
        "destination",
        "target",
        "interval",
        "enabled",
        "connection",
    ]
    assert line.split("\t") == [
        str(location.pk),
        BUCKET,
        "s3",
        BUCKET,
        "EVERY_HOUR",
        "enabled",
        "SUCCESS",
    ]
    AuditEventFactory()
    call_command("exports", "run", str(location.pk))
    assert "success: 1 events" in capsys.readouterr().out
    [key] = bucket_objects(aws, prefix="logs/year=")
    assert key.endswith(".ndjson.gz")


IMMUTA = {
    "bucket": BUCKET,
    "path": "immuta",
    "region": "us-east-1",
    "accessKeyId": "AKIAEXAMPLE",
    "secretAccessKey": "secret",
}


@pytest.mark.parametrize(
    "interval",
    [
        "CONTINUOUS",
        "EVERY_5_MINUTES",
        "EVERY_HOUR",
        "EVERY_2_HOURS",
        "EVERY_4_HOURS",
        "EVERY_6_HOURS",
        "EVERY_12_HOURS",
        "EVERY_24_HOURS",
        "EVERY_DAY",
    ],
)
def test_create_accepts_every_immuta_interval(db, aws, tmp_path, interval):
    """An Immuta exportConfig.json with any of its intervals is accepted as is."""
    config = tmp_path / "exportConfig.json"
    config.write_text(json.dumps({**IMMUTA, "interval": interval}))
    call_command("exports", "create", "--auth", "access-key", str(config))
    location = ExportLocation.objects.get()
    assert location.interval == interval
    minutes = Schedule.objects.get(name=f"export-location-{location.pk}").minutes
    assert minutes == services.SCHEDULE_MINUTES[interval]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interval": "EVERY_3_HOURS"}, "interval"),
        ({"interval": None}, "interval"),
        ({"format": "xml"}, "format"),
        ({"categories": ["billing"]}, "categories"),
        ({"eventTypes": ["NoSuchType"]}, "eventTypes"),
        ({"orgs": ["not-a-uuid"]}, "orgs"),
        ({"orgs": ["6f1c2b1e-0000-4000-8000-000000000000"]}, "orgs"),
        ({"bucket": None}, "bucket"),
        ({"secretAccessKey": None}, "secretAccessKey"),
        ({"endpointUrl": "ftp://minio.local"}, "endpointUrl"),
    ],
)
def test_create_rejects_a_bad_config_naming_the_field(db, aws, tmp_path, change, field):
    """A bad config fails with one line naming the field and creates nothing."""
    data = {**IMMUTA, "interval": "EVERY_HOUR", **change}
    data = {k: v for k, v in data.items() if v is not None}
    config = tmp_path / "config.json"
    config.write_text(json.dumps(data))
    with pytest.raises(CommandError) as raised:
        call_command("exports", "create", "--auth", "access-key", str(config))
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"{field}: ")
    assert not ExportLocation.objects.exists()
    assert not AuditEvent.objects.exists()
    assert bucket_objects(aws) == {}


def test_assumed_role_without_arn_is_rejected(db, aws, tmp_path):
    """--auth assumed-role needs roleArn."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"interval": "EVERY_HOUR", "bucket": BUCKET}))
    with pytest.raises(CommandError, match=r"^roleArn: Required"):
        call_command("exports", "create", "--auth", "assumed-role", str(config))
    assert not ExportLocation.objects.exists()
