# Deleting a location archives it; the ledger points at it with PROTECT.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0008_destinations_and_formats"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportlocation",
            name="archived_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="exportdigest",
            name="location",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="digests",
                to="exports.exportlocation",
            ),
        ),
        migrations.AlterField(
            model_name="exportobject",
            name="location",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="export_objects",
                to="exports.exportlocation",
            ),
        ),
        migrations.AlterField(
            model_name="exportrun",
            name="location",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="runs",
                to="exports.exportlocation",
            ),
        ),
    ]
