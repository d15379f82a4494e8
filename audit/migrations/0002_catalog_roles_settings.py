"""Load the built-in event catalog, the default roles and the settings row."""

from django.db import migrations

PERMISSIONS = [
    ("view_audit_log", "View Audit Log"),
    ("manage_members", "Manage Members"),
    ("manage_org_settings", "Manage Org Settings"),
]
ROLES = {
    "Owner": ["view_audit_log", "manage_members", "manage_org_settings"],
    "Admin": ["view_audit_log", "manage_members"],
    "Member": [],
}


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


def load_roles_and_settings(apps, schema_editor):
    OrgPermission = apps.get_model("audit", "OrgPermission")
    Role = apps.get_model("audit", "Role")
    AuditSettings = apps.get_model("audit", "AuditSettings")
    by_code = {}
    for codename, name in PERMISSIONS:
        by_code[codename], _ = OrgPermission.objects.get_or_create(
            codename=codename, defaults={"name": name}
        )
    for role_name, codes in ROLES.items():
        role, created = Role.objects.get_or_create(name=role_name)
        if created:
            role.permissions.set([by_code[c] for c in codes])
    AuditSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(sync_catalog, migrations.RunPython.noop),
        migrations.RunPython(load_roles_and_settings, migrations.RunPython.noop),
    ]
