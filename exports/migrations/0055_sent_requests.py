# The ledger records what was sent: request_count beside size_bytes and sha256.

from django.db import migrations, models


def s3_objects_are_one_put(apps, schema_editor):
    """An S3 object recorded before this was one PUT of the bytes it
    describes; an HTTP destination's old rows described a file never sent
    (left at 0 requests, as docs/destinations.md says)."""
    ExportObject = apps.get_model("exports", "ExportObject")
    ExportObject.objects.filter(location__destination="s3").update(request_count=1)


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0054_org_stream_org_kept_by_service"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportobject",
            name="request_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(s3_objects_are_one_put, migrations.RunPython.noop),
    ]
