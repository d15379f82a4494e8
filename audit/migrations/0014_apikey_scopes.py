"""Operator API keys get scopes (SPEC section 10).

Keys made before scopes keep every scope and are marked ``legacy_all_scopes``
(the admin shows it); new keys default to ``events:write``. The new operator
type `OperatorAPIKeyScopesChanged` joins the stored catalog.
"""

from django.db import migrations, models

import audit.scopes

EVERY_SCOPE = [
    "events:write",
    "events:read",
    "directory:write",
    "directory:read",
    "exports:read",
    "exports:write",
    "portal",
]
NEW_TYPE = "OperatorAPIKeyScopesChanged"


def add_type(apps, schema_editor):
    from audit.catalog import BUILTIN_BY_TYPE

    entry = BUILTIN_BY_TYPE[NEW_TYPE]
    apps.get_model("audit", "EventType").objects.update_or_create(
        event_type=NEW_TYPE,
        defaults={
            "name": entry["name"],
            "category": entry["category"],
            "template": entry["template"],
            "builtin": True,
        },
    )


def remove_type(apps, schema_editor):
    apps.get_model("audit", "EventType").objects.filter(event_type=NEW_TYPE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0013_customer_export"),
    ]

    operations = [
        # Rows that exist now get every scope and the legacy mark; the model's
        # own defaults (events:write, not legacy) apply to keys made later.
        migrations.AddField(
            model_name="apikey",
            name="scopes",
            field=models.JSONField(blank=True, default=EVERY_SCOPE.copy),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="apikey",
            name="scopes",
            field=models.JSONField(blank=True, default=audit.scopes.default_scopes),
        ),
        migrations.AddField(
            model_name="apikey",
            name="legacy_all_scopes",
            field=models.BooleanField(
                default=True,
                editable=False,
                help_text="Made before keys had scopes, so it was given every scope.",
                verbose_name="legacy: all scopes",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="apikey",
            name="legacy_all_scopes",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Made before keys had scopes, so it was given every scope.",
                verbose_name="legacy: all scopes",
            ),
        ),
        migrations.RunPython(add_type, remove_type),
    ]
