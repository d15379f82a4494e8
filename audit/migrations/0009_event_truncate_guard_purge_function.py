"""On PostgreSQL: refuse TRUNCATE of events; the purge's one narrow door.

* ``audit_event_no_truncate``: a statement trigger refusing TRUNCATE of
  ``audit_auditevent`` (row triggers do not fire on TRUNCATE), unless the
  database says ``auditsite.allow_event_truncate = on`` (test databases).
* ``audit_events_purge(seqs bigint[])``: ``SECURITY DEFINER``, owned by the
  role that runs migrations (the table's owner). It deletes the given rows,
  at most ``PURGE_MAX_ROWS`` per call, and only rows older than a day, so an
  app role that may only SELECT and INSERT events (README, production) can
  run the retention purge and nothing more: it cannot erase recent history,
  nor UPDATE, DELETE, TRUNCATE or disable a trigger itself.
"""

from django.db import migrations

PURGE_MAX_ROWS = 10000

CREATE = f"""
CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
BEGIN
    -- Test databases only (tests/conftest.py): Django empties tables between
    -- transactional tests with TRUNCATE. The app role has no TRUNCATE right.
    IF current_setting('auditsite.allow_event_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'audit events are immutable: TRUNCATE refused on ' || TG_TABLE_NAME,
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate();

CREATE OR REPLACE FUNCTION audit_events_purge(seqs bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {{schema}}, pg_temp
AS $$
DECLARE
    removed integer;
BEGIN
    IF cardinality(seqs) > {PURGE_MAX_ROWS} THEN
        RAISE EXCEPTION 'audit_events_purge: at most {PURGE_MAX_ROWS} rows per call';
    END IF;
    PERFORM set_config('auditsite.allow_event_delete', 'on', true);
    DELETE FROM audit_auditevent
        WHERE seq = ANY(seqs) AND created_at < now() - interval '1 day';
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('auditsite.allow_event_delete', 'off', true);
    RETURN removed;
END;
$$;

REVOKE ALL ON FUNCTION audit_events_purge(bigint[]) FROM PUBLIC;
"""

DROP = """
DROP FUNCTION IF EXISTS audit_events_purge(bigint[]);
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_no_truncate();
"""


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
    schema_editor.execute(CREATE.replace("{schema}", schema))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_event_org_user_statistics")]

    operations = [migrations.RunPython(forwards, backwards)]
