"""Create the two fixed django-q2 schedules: hourly digests and the daily purge.

A data migration is the one idempotent place: every deploy runs migrations,
and ``update_or_create`` by name never makes a second row. The purge's
schedule lives here (not in ``audit``) because the purge holds back what
export locations have not yet delivered.
"""

from datetime import UTC, datetime, timedelta

from django.db import migrations

DIGESTS = "exports-digests-hourly"
PURGE = "audit-retention-purge-daily"


def forwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    now = datetime.now(UTC)
    next_hour = now.replace(minute=5, second=0, microsecond=0)
    if next_hour <= now:
        next_hour += timedelta(hours=1)
    next_day = now.replace(hour=3, minute=30, second=0, microsecond=0)
    if next_day <= now:
        next_day += timedelta(days=1)
    Schedule.objects.update_or_create(
        name=DIGESTS,
        defaults={
            "func": "exports.digest_tasks.digests_write_all",
            "schedule_type": "H",
            "repeats": -1,
            "next_run": next_hour,
        },
    )
    Schedule.objects.update_or_create(
        name=PURGE,
        defaults={
            "func": "audit.tasks.events_purge",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": next_day,
        },
    )


def backwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[DIGESTS, PURGE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0003_digests"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
