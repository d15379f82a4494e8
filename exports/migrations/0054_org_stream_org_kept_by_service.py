"""An org stream's org: DO_NOTHING, org_delete's hook archives and detaches it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0030_scim"),
        ("exports", "0053_org_log_streams"),
    ]

    operations = [
        migrations.AlterField(
            model_name="exportlocation",
            name="org",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="log_streams",
                to="audit.organization",
            ),
        ),
    ]
