"""PostgreSQL: the app role that may only read and add audit events (issue 9 item 8).

Migrations run as the owner of the tables (``MIGRATE_DATABASE_URL``); the
web app, the API and the worker connect as the app role (``DATABASE_URL``).
``app_role_grant`` gives that role what the app needs and no more on
``audit_auditevent``: SELECT and INSERT, and EXECUTE on the purge function.
Run it (``manage.py db_app_role ROLE``) as the owner after each migrate, so
new tables are granted too. It is idempotent.
"""

from __future__ import annotations

from django.db import connection
from psycopg import sql

EVENTS_TABLE = "audit_auditevent"
PURGE_FUNCTION = "audit_events_purge(bigint[])"


def app_role_grant(*, role: str, login: bool = True) -> None:
    """Create ``role`` if missing and grant it the app's rights (run as owner)."""
    ident = sql.Identifier(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(
                sql.SQL("CREATE ROLE {} {}").format(
                    ident, sql.SQL("LOGIN" if login else "NOLOGIN")
                )
            )
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        statements = [
            "GRANT CONNECT ON DATABASE {db} TO {role}",
            "GRANT USAGE ON SCHEMA {schema} TO {role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} "
            "TO {role}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            # Events: read and add, nothing else; the purge has its function.
            "REVOKE ALL ON {events} FROM {role}",
            "GRANT SELECT, INSERT ON {events} TO {role}",
            "GRANT EXECUTE ON FUNCTION {purge} TO {role}",
        ]
        for statement in statements:
            cursor.execute(
                sql.SQL(statement).format(
                    db=sql.Identifier(database),
                    schema=sql.Identifier(schema),
                    role=ident,
                    events=sql.Identifier(schema, EVENTS_TABLE),
                    purge=sql.SQL(f"{{}}.{PURGE_FUNCTION}").format(
                        sql.Identifier(schema)
                    ),
                )
            )
