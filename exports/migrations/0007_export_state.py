"""Move the run state (cursor, plan, replay, lease) into ExportState; add the
Immuta intervals (EVERY_2/4/6/24_HOURS)."""

import django.db.models.deletion
from django.db import migrations, models

POSITION_ZERO = "0" * 20 + "-" + "0" * 20


def forward(apps, schema_editor):
    ExportLocation = apps.get_model("exports", "ExportLocation")
    ExportState = apps.get_model("exports", "ExportState")
    ExportState.objects.bulk_create(
        ExportState(
            location_id=row["pk"],
            cursor=row["cursor"] or POSITION_ZERO,
            planned_to=row["planned_to"],
            planned_selection=row["planned_selection"] or {},
            replay_from=row["replay_from"],
        )
        for row in ExportLocation.objects.values(
            "pk", "cursor", "planned_to", "planned_selection", "replay_from"
        )
    )


def backward(apps, schema_editor):
    ExportLocation = apps.get_model("exports", "ExportLocation")
    ExportState = apps.get_model("exports", "ExportState")
    for state in ExportState.objects.all():
        ExportLocation.objects.filter(pk=state.location_id).update(
            cursor=state.cursor,
            planned_to=state.planned_to,
            planned_selection=state.planned_selection,
            replay_from=state.replay_from,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0006_last_checked_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExportState",
            fields=[
                (
                    "location",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="state",
                        serialize=False,
                        to="exports.exportlocation",
                    ),
                ),
                ("cursor", models.CharField(default=POSITION_ZERO, max_length=41)),
                (
                    "planned_to",
                    models.CharField(blank=True, default="", max_length=41),
                ),
                ("planned_selection", models.JSONField(blank=True, default=dict)),
                (
                    "replay_from",
                    models.CharField(blank=True, default="", max_length=41),
                ),
                (
                    "lease_owner",
                    models.CharField(blank=True, default="", max_length=100),
                ),
                ("lease_until", models.DateTimeField(blank=True, null=True)),
                ("lease_backend_pid", models.IntegerField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="exportlocation", name="cursor"),
        migrations.RemoveField(model_name="exportlocation", name="planned_to"),
        migrations.RemoveField(model_name="exportlocation", name="planned_selection"),
        migrations.RemoveField(model_name="exportlocation", name="replay_from"),
        migrations.RemoveField(model_name="exportlocation", name="lease_until"),
        migrations.RemoveField(model_name="exportlocation", name="lease_owner"),
        migrations.AlterField(
            model_name="exportlocation",
            name="interval",
            field=models.CharField(
                choices=[
                    ("CONTINUOUS", "Continuous (within seconds)"),
                    ("EVERY_5_MINUTES", "Every 5 minutes"),
                    ("EVERY_HOUR", "Every hour"),
                    ("EVERY_2_HOURS", "Every 2 hours"),
                    ("EVERY_4_HOURS", "Every 4 hours"),
                    ("EVERY_6_HOURS", "Every 6 hours"),
                    ("EVERY_12_HOURS", "Every 12 hours"),
                    ("EVERY_24_HOURS", "Every 24 hours"),
                    ("EVERY_DAY", "Every day (= every 24 hours)"),
                ],
                default="EVERY_HOUR",
                max_length=20,
            ),
        ),
    ]
