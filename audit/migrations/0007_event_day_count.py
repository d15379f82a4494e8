"""The per-day event rollup ``audit_eventdaycount`` and the triggers that keep it.

The rollup is maintained by the database itself, in the transaction of the
statement that changes events, so that no insert path (services, the API's
COPY, the demo seed) and no delete path (the retention purge) can forget it:

- PostgreSQL: statement-level AFTER INSERT and AFTER DELETE triggers with
  transition tables (COPY fires them too); one upsert per statement,
  grouped, in key order (so two concurrent batches lock rows in one order).
- SQLite: row-level triggers (development and tests), plus AFTER UPDATE
  since SQLite has no immutability trigger.

Existing events are counted once, when the migration runs.
"""

from django.db import migrations, models

KEY = "org_id, day, event_type, category, caused_by_type, impersonated"

PG_GROUPED = """
    SELECT org_id, (created_at AT TIME ZONE 'UTC')::date AS day, event_type,
           category, caused_by_type,
           COALESCE(impersonator_id, '') <> '' AS impersonated, count(*) AS n
    FROM {source} WHERE org_id IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
"""

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION audit_event_day_count_insert() RETURNS trigger AS $$
BEGIN
    INSERT INTO audit_eventdaycount ({KEY}, count)
    {PG_GROUPED.format(source="new_events")}
    ON CONFLICT ({KEY})
    DO UPDATE SET count = audit_eventdaycount.count + EXCLUDED.count;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audit_event_day_count_delete() RETURNS trigger AS $$
BEGIN
    UPDATE audit_eventdaycount AS d SET count = d.count - o.n
    FROM ({PG_GROUPED.format(source="old_events")}) AS o
    WHERE d.org_id = o.org_id AND d.day = o.day AND d.event_type = o.event_type
      AND d.category = o.category AND d.caused_by_type = o.caused_by_type
      AND d.impersonated = o.impersonated;
    DELETE FROM audit_eventdaycount AS d
    USING ({PG_GROUPED.format(source="old_events")}) AS o
    WHERE d.org_id = o.org_id AND d.day = o.day AND d.event_type = o.event_type
      AND d.category = o.category AND d.caused_by_type = o.caused_by_type
      AND d.impersonated = o.impersonated AND d.count <= 0;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_day_count_insert
    AFTER INSERT ON audit_auditevent REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_day_count_insert();
CREATE TRIGGER audit_event_day_count_delete
    AFTER DELETE ON audit_auditevent REFERENCING OLD TABLE AS old_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_day_count_delete();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS audit_event_day_count_insert ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_day_count_delete ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_day_count_insert();
DROP FUNCTION IF EXISTS audit_event_day_count_delete();
"""

PG_BACKFILL = f"""
INSERT INTO audit_eventdaycount ({KEY}, count)
{PG_GROUPED.format(source="audit_auditevent")}
"""


def _sqlite_key(row: str) -> tuple[str, str]:
    values = (
        f"{row}.org_id, date({row}.created_at), {row}.event_type, {row}.category, "
        f"{row}.caused_by_type, COALESCE({row}.impersonator_id, '') <> ''"
    )
    where = (
        f"org_id = {row}.org_id AND day = date({row}.created_at) "
        f"AND event_type = {row}.event_type AND category = {row}.category "
        f"AND caused_by_type = {row}.caused_by_type "
        f"AND impersonated = (COALESCE({row}.impersonator_id, '') <> '')"
    )
    return values, where


def _sqlite_add(row: str) -> str:
    values, where = _sqlite_key(row)
    return (
        f"INSERT OR IGNORE INTO audit_eventdaycount ({KEY}, count) "
        f"VALUES ({values}, 0); "
        f"UPDATE audit_eventdaycount SET count = count + 1 WHERE {where};"
    )


def _sqlite_remove(row: str) -> str:
    _, where = _sqlite_key(row)
    return (
        f"UPDATE audit_eventdaycount SET count = count - 1 WHERE {where}; "
        f"DELETE FROM audit_eventdaycount WHERE {where} AND count <= 0;"
    )


SQLITE_CREATE = [
    "CREATE TRIGGER audit_event_day_count_insert AFTER INSERT ON audit_auditevent "
    f"WHEN NEW.org_id IS NOT NULL BEGIN {_sqlite_add('NEW')} END",
    "CREATE TRIGGER audit_event_day_count_delete AFTER DELETE ON audit_auditevent "
    f"WHEN OLD.org_id IS NOT NULL BEGIN {_sqlite_remove('OLD')} END",
    "CREATE TRIGGER audit_event_day_count_update_old AFTER UPDATE ON audit_auditevent "
    f"WHEN OLD.org_id IS NOT NULL BEGIN {_sqlite_remove('OLD')} END",
    "CREATE TRIGGER audit_event_day_count_update_new AFTER UPDATE ON audit_auditevent "
    f"WHEN NEW.org_id IS NOT NULL BEGIN {_sqlite_add('NEW')} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "audit_event_day_count_insert",
        "audit_event_day_count_delete",
        "audit_event_day_count_update_old",
        "audit_event_day_count_update_new",
    )
]
SQLITE_BACKFILL = f"""
INSERT INTO audit_eventdaycount ({KEY}, count)
SELECT org_id, date(created_at), event_type, category, caused_by_type,
       COALESCE(impersonator_id, '') <> '', count(*)
FROM audit_auditevent WHERE org_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKFILL)
        schema_editor.execute(PG_CREATE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKFILL)
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_operator_category"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventDayCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("org_id", models.UUIDField()),
                ("day", models.DateField(help_text="UTC day of created_at.")),
                ("event_type", models.CharField(max_length=100)),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("user", "User"),
                            ("org", "Org"),
                            ("operator", "Operator"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "caused_by_type",
                    models.CharField(
                        choices=[
                            ("User", "User"),
                            ("Employee", "Employee"),
                            ("ApiKey", "API key"),
                            ("Impersonation", "Impersonation"),
                            ("Scim", "SCIM"),
                            ("System", "System"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "impersonated",
                    models.BooleanField(help_text="The event has an impersonator."),
                ),
                ("count", models.BigIntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "org_id",
                            "day",
                            "event_type",
                            "category",
                            "caused_by_type",
                            "impersonated",
                        ),
                        name="event_day_count_key",
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
