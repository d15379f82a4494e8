import json

from django.core.management import call_command

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
        "bucket",
        "interval",
        "enabled",
        "connection",
    ]
    assert line.split("\t") == [
        str(location.pk),
        BUCKET,
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
