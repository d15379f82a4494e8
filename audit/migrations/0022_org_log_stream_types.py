"""Add the built-in `OrgLogStream*` types (and refresh every built-in)."""

from django.db import migrations


def sync_catalog(apps, schema_editor):
    from audit.catalog import builtin_catalog

    EventType = apps.get_model("audit", "EventType")
    for entry in builtin_catalog():
        EventType.objects.update_or_create(
            event_type=entry["event_type"],
            defaults={
                "name": entry["name"],
                "category": entry["category"],
                "template": entry["template"],
                "builtin": True,
            },
        )


def remove_types(apps, schema_editor):
    EventType = apps.get_model("audit", "EventType")
    EventType.objects.filter(event_type__startswith="OrgLogStream").delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0021_orgapikey")]

    operations = [migrations.RunPython(sync_catalog, remove_types)]
