"""Ten million demo events on PostgreSQL: generated inside the database.

Python only fills a few small lookup tables; each chunk of events is one
``INSERT ... SELECT`` drawing from them with ``random()``, with the same
distribution as ``audit.demo.events.synthetic_rows``. A large seed into a
table holding fewer events drops the secondary indexes, recounts the
per-day rollup once and builds the indexes again afterwards.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from audit.catalog import T, builtin_catalog
from audit.demo.events import CAUSES, COLUMNS, USER_AGENTS, event_details
from audit.models import Membership

SQL_CHUNK = 250_000
DETAIL_VARIANTS = 4
_EMAIL_MARK = "__user_email__"

# One chunk of synthetic events, generated inside PostgreSQL (no rows cross
# the wire): the same distribution as ``_rows``, drawn with random() against
# the small lookup tables ``_seed_lookups`` fills.
_GENERATE_SQL = """
INSERT INTO audit_auditevent ({columns})
SELECT
    gen_random_uuid(),
    CASE WHEN t.about_user THEN m.user_id END,
    CASE WHEN t.about_user THEN m.email ELSE '' END,
    o.id, o.name, t.event_type,
    replace(d.event_data, %(mark)s, m.email)::jsonb,
    x.created_at,
    c.cause,
    CASE c.cause WHEN 'Employee' THEN s.id WHEN 'ApiKey' THEN 'key_demo01'
         WHEN 'Scim' THEN 'scim_okta' ELSE m.user_id::text END,
    CASE c.cause WHEN 'Employee' THEN jsonb_build_object('email', s.email)
         WHEN 'ApiKey' THEN '{"name": "billing-service"}'::jsonb
         WHEN 'Scim' THEN '{"name": "Okta SCIM"}'::jsonb
         ELSE jsonb_build_object('email', m.email) END,
    ('203.0.113.' || (1 + floor(x.r_ip * 254))::int)::inet,
    (%(agents)s::text[])[1 + floor(x.r_ua * %(agent_count)s)::int],
    CASE WHEN c.cause = 'Impersonation' THEN s.id END,
    CASE WHEN c.cause = 'Impersonation' THEN jsonb_build_object('email', s.email) END,
    t.category,
    x.created_at
FROM (
    SELECT g,
        %(start)s::timestamptz + (g + random()) * %(step)s::interval AS created_at,
        CASE WHEN g < %(type_count)s THEN g
             WHEN random() < 0.7 THEN floor(random() * %(user_types)s)::int
             ELSE %(user_types)s + floor(random() * %(org_types)s)::int END AS type_i,
        CASE WHEN random() < 0.1 THEN 0
             ELSE 1 + floor(random() * %(other_orgs)s)::int END AS org_i,
        random() AS r_user, random() AS r_cause, random() AS r_staff,
        floor(random() * %(variants)s)::int AS variant,
        random() AS r_ip, random() AS r_ua
    FROM generate_series(%(first)s, %(last)s) AS g
) AS x
JOIN seed_types AS t ON t.i = x.type_i
JOIN seed_details AS d ON d.type_i = x.type_i AND d.variant = x.variant
JOIN seed_orgs AS o ON o.i = x.org_i
JOIN seed_members AS m ON m.org_i = x.org_i AND m.j = floor(x.r_user * o.members)::int
JOIN seed_staff AS s ON s.j = floor(x.r_staff * %(staff_count)s)::int
CROSS JOIN LATERAL (
    SELECT CASE WHEN t.event_type = %(impersonation_type)s THEN 'Impersonation'
        {cause_cases} END AS cause
) AS c
ORDER BY x.g
"""


def _cause_cases() -> str:
    """``WHEN x.r_cause < 0.47 THEN 'User' ...``: ``CAUSES`` by weight (constants)."""
    total = sum(weight for _, weight in CAUSES)
    cases, running = [], 0
    for name, weight in CAUSES[:-1]:
        running += weight
        cases.append(f"WHEN x.r_cause < {running / total:.6f} THEN '{name}'")
    return " ".join(cases) + f" ELSE '{CAUSES[-1][0]}'"


def _seed_lookups(cursor, orgs, users, rng: random.Random) -> tuple[int, int, int]:
    """Fill the temporary lookup tables the generator joins against.

    Returns (user types, org types, staff count).
    """
    catalog = [e for e in builtin_catalog() if e["category"] in ("user", "org")]
    catalog.sort(key=lambda e: e["category"] != "user")  # user types first
    user_types = sum(1 for e in catalog if e["category"] == "user")
    cursor.execute(
        "DROP TABLE IF EXISTS seed_types, seed_details, seed_orgs, seed_members,"
        " seed_staff;"
        "CREATE TEMPORARY TABLE seed_types (i int PRIMARY KEY, event_type text,"
        " category text, about_user bool) ON COMMIT DROP;"
        "CREATE TEMPORARY TABLE seed_details (type_i int, variant int,"
        " event_data text, PRIMARY KEY (type_i, variant)) ON COMMIT DROP;"
        "CREATE TEMPORARY TABLE seed_orgs (i int PRIMARY KEY, id uuid, name text,"
        " members int) ON COMMIT DROP;"
        "CREATE TEMPORARY TABLE seed_members (org_i int, j int, user_id uuid,"
        " email text, PRIMARY KEY (org_i, j)) ON COMMIT DROP;"
        "CREATE TEMPORARY TABLE seed_staff (j int PRIMARY KEY, id text, email text)"
        " ON COMMIT DROP"
    )
    types, details = [], []
    for i, entry in enumerate(catalog):
        about_user = entry["category"] == "user" or "{user}" in entry["template"]
        types.append((i, entry["event_type"], entry["category"], about_user))
        for variant in range(DETAIL_VARIANTS):
            data = {entry["event_type"]: event_details(entry, _EMAIL_MARK, rng)}
            details.append((i, variant, json.dumps(data)))
    members_by_org: dict = {}
    for membership in Membership.objects.select_related("user").only(
        "org_id", "user__id", "user__email"
    ):
        members_by_org.setdefault(membership.org_id, []).append(membership.user)
    org_rows, member_rows = [], []
    for i, org in enumerate(orgs):
        members = members_by_org.get(org.pk) or rng.sample(users, min(5, len(users)))
        org_rows.append((i, org.pk, org.name, len(members)))
        member_rows += [(i, j, u.pk, u.email) for j, u in enumerate(members)]
    staff = [(str(u.pk), u.email) for u in users if u.is_staff] or [
        ("system", "ops@example.com")
    ]
    for table, rows in (
        ("seed_types", types),
        ("seed_details", details),
        ("seed_orgs", org_rows),
        ("seed_members", member_rows),
        ("seed_staff", [(j, *row) for j, row in enumerate(staff)]),
    ):
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    cursor.execute("ANALYZE seed_types, seed_details, seed_orgs, seed_members")
    return user_types, len(catalog) - user_types, len(staff)


# A seed at least this big, into a table holding fewer events than it adds,
# drops the secondary indexes and builds them again afterwards, and recounts
# the per-day rollup once instead of upserting it per chunk (all in the same
# transaction): building an index from sorted rows is several times faster
# than maintaining eleven indexes row by row.
BULK_REBUILD_MIN = 500_000


_ROLLUP = "audit_event_day_count_insert"
# The same grouping as the trigger (migration 0007_event_day_count).
_ROLLUP_RECOUNT = """
DELETE FROM audit_eventdaycount;
INSERT INTO audit_eventdaycount (
    org_id, day, event_type, category, caused_by_type, impersonated, count
)
SELECT org_id, (created_at AT TIME ZONE 'UTC')::date, event_type, category,
       caused_by_type, COALESCE(impersonator_id, '') <> '', count(*)
FROM audit_auditevent WHERE org_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
"""


def _drop_secondary_indexes(cursor, table: str) -> list[str]:
    """Drop ``table``'s indexes but its primary key; the SQL to restore them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'u'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE tablename = %s AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint"
        "  WHERE conrelid = %s::regclass AND contype IN ('p', 'u'))",
        [table, table],
    )
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [
        *(
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for name, definition in constraints
        ),
        *(definition for _, definition in indexes),
    ]


def write_postgres(
    count: int,
    orgs,
    users,
    rng: random.Random,
    progress: Callable[[int], None],
    stage: Callable[[str], None],
) -> None:
    """``count`` events generated in SQL, ``SQL_CHUNK`` rows per statement.

    Generating in the database is what makes ten million rows fit in a few
    minutes on two cores: Python only fills a few lookup tables. All in one
    transaction, like any other insert (the rollup triggers see every row).
    """
    span = timedelta(days=90)
    sql = _GENERATE_SQL.replace("{cause_cases}", _cause_cases()).replace(
        "{columns}", ", ".join(COLUMNS)
    )
    params = {
        "impersonation_type": T.UserImpersonation,
        "mark": _EMAIL_MARK,
        "agents": USER_AGENTS,
        "agent_count": len(USER_AGENTS),
        "start": timezone.now() - span,
        "step": span / max(count, 1),
        "other_orgs": max(len(orgs) - 1, 1) if len(orgs) > 1 else 0,
        "variants": DETAIL_VARIANTS,
    }
    if len(orgs) == 1:
        params["other_orgs"] = 0
    with transaction.atomic(), connection.cursor() as cursor:
        user_types, org_types, staff_count = _seed_lookups(cursor, orgs, users, rng)
        params.update(
            type_count=user_types + org_types,
            user_types=user_types,
            org_types=org_types,
            staff_count=staff_count,
        )
        cursor.execute("SELECT setseed(%s)", [rng.random() * 2 - 1])
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM audit_auditevent LIMIT %s) AS e",
            [count],
        )
        rebuild = count >= BULK_REBUILD_MIN and cursor.fetchone()[0] < count
        restore = _drop_secondary_indexes(cursor, "audit_auditevent") if rebuild else []
        if rebuild:
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {_ROLLUP}")
        for first in range(0, count, SQL_CHUNK):
            last = min(first + SQL_CHUNK, count) - 1
            cursor.execute(sql, {**params, "first": first, "last": last})
            progress(last - first + 1)
        if rebuild:
            # Recounted from the whole table, in this transaction: as exact as
            # the trigger, and one GROUP BY instead of an upsert per chunk
            # (with the memory to hash it rather than sort it on disk).
            stage("counting the per-day rollup")
            cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {_ROLLUP}")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # Its key is built once after the recount, like the event indexes.
            restore += _drop_secondary_indexes(cursor, "audit_eventdaycount")
            cursor.execute(_ROLLUP_RECOUNT)
        if restore:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for number, statement in enumerate(restore, 1):
                stage(f"building index {number} of {len(restore)}")
                cursor.execute(statement)
    if connection.in_atomic_block:  # e.g. inside a test: VACUUM cannot run
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE audit_auditevent")
        return
    stage("vacuum and analyze")
    with connection.cursor() as cursor:
        # VACUUM sets the visibility map, so filtered counts and pages can be
        # index-only scans; ANALYZE gives the planner the new distribution.
        cursor.execute("VACUUM (ANALYZE) audit_auditevent")
        cursor.execute("ANALYZE audit_eventdaycount")
