"""The org permissions of SPEC section 11, given to Owner and Admin."""

from django.db import migrations

PERMISSIONS = [
    ("manage_api_keys", "Manage API Keys"),
    ("manage_log_streams", "Manage Log Streams"),
    ("manage_scim", "Manage SCIM"),
]
ROLES = ["Owner", "Admin"]


def grant(apps, schema_editor):
    OrgPermission = apps.get_model("audit", "OrgPermission")
    Role = apps.get_model("audit", "Role")
    permissions = [
        OrgPermission.objects.get_or_create(codename=code, defaults={"name": name})[0]
        for code, name in PERMISSIONS
    ]
    # Only roles that exist: an operator may have renamed or removed them.
    for role in Role.objects.filter(name__in=ROLES):
        role.permissions.add(*permissions)


def revoke(apps, schema_editor):
    OrgPermission = apps.get_model("audit", "OrgPermission")
    OrgPermission.objects.filter(codename__in=[c for c, _ in PERMISSIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0015_portal_link")]

    operations = [migrations.RunPython(grant, revoke)]
