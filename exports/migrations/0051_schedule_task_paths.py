"""Point the digest and purge schedules at ``exports.tasks``.

The digest task moved there from ``exports.digest_tasks`` and the retention
purge from ``audit.tasks`` (audit no longer imports exports). Schedules store
the dotted path, so the rows made by ``0004`` are updated by name.
"""

from django.db import migrations

DIGESTS = "exports-digests-hourly"
PURGE = "audit-retention-purge-daily"
MOVES = {
    DIGESTS: (
        "exports.digest_tasks.digests_write_all",
        "exports.tasks.digests_write_all",
    ),
    PURGE: ("audit.tasks.events_purge", "exports.tasks.events_purge"),
}


def _move(apps, *, forwards: bool) -> None:
    Schedule = apps.get_model("django_q", "Schedule")
    for name, (old, new) in MOVES.items():
        before, after = (old, new) if forwards else (new, old)
        Schedule.objects.filter(name=name, func=before).update(func=after)


def forwards(apps, schema_editor):
    _move(apps, forwards=True)


def backwards(apps, schema_editor):
    _move(apps, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0050_location_archive"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
