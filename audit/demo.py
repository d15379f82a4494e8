"""Realistic demo data: orgs on each plan, members with roles, lots of events.

The small core (a staff login, an org member login, a few orgs) goes through
the services, so it records real events. The bulk of the events is synthetic
and written with PostgreSQL COPY (or ``bulk_create`` on SQLite): a million
rows in well under two minutes.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from audit import services
from audit.catalog import builtin_catalog
from audit.models import AuditEvent, Membership, Organization, Plan, Role, User
from audit.services import Actor
from audit.spec import STORED_COLUMNS

STAFF_EMAIL = "admin@example.com"
STAFF_PASSWORD = "auditsite-admin"
MEMBER_EMAIL = "member@acme.example"
MEMBER_PASSWORD = "auditsite-member"
VIEWER_WITHOUT_PERMISSION_EMAIL = "intern@acme.example"

CORE_ORGS = [
    ("Acme Inc", "acme", Plan.GROWTH_PLUS),
    ("Globex", "globex", Plan.GROWTH),
    ("Initech", "initech", Plan.FREE),
    ("Umbrella Labs", "umbrella", Plan.GROWTH),
    ("Hooli", "hooli", Plan.FREE),
]
FIRST_NAMES = [
    "Ant",
    "Buddy",
    "Carla",
    "Dev",
    "Erin",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jo",
]
LAST_NAMES = [
    "Ng",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Vance",
]
USER_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "billing-service/2.4 (+https://internal.example)",
]
CAUSES = [
    ("User", 45),
    ("Employee", 15),
    ("ApiKey", 20),
    ("Impersonation", 5),
    ("Scim", 10),
]
# The order of the values in a generated row (``_rows``, ``_GENERATE_SQL``).
COLUMNS = STORED_COLUMNS
# Realistic before/after values for the types whose template shows them.
OLD_NEW: dict[str, dict] = {
    "OrgUpdated": {"old": {"plan": "free"}, "new": {"plan": "growth"}},
    "OrgNameUpdated": {"old": "Acme", "new": "Acme Inc"},
    "UpdatedOrgName": {"old": "Acme", "new": "Acme Inc"},
    "OrgDomainUpdated": {"old": "acme.io", "new": "acme.com"},
    "OrgMetadataUpdated": {"old": {"tier": "silver"}, "new": {"tier": "gold"}},
    "OrgMaxUsersUpdated": {"old": 25, "new": 50},
    "OrgAutoLogoutSecondsUpdated": {"old": 3600, "new": 1800},
    "OrgRequire2FAByUpdated": {"old": None, "new": "2026-12-01"},
    "EmailChanged": {"old": "ant@old-domain.example", "new": "ant@acme.example"},
    "UsernameChanged": {"old": "ant", "new": "ant.ng"},
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass
class DemoResult:
    staff_email: str
    member_email: str
    events: int
    orgs: int
    users: int


def demo_is_seeded() -> bool:
    return User.objects.filter(email=STAFF_EMAIL).exists()


@transaction.atomic
def _core(actor: Actor) -> tuple[list[Organization], list[User]]:
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        staff = services.user_create(
            actor=actor,
            email=STAFF_EMAIL,
            password=STAFF_PASSWORD,
            is_staff=True,
            is_superuser=True,
            first_name="Ada",
            last_name="Admin",
            email_confirmed=True,
        )
    employee = Actor.for_employee(staff)
    roles = {role.name: role for role in Role.objects.all()}
    orgs = []
    for name, slug, plan in CORE_ORGS:
        org = Organization.objects.filter(slug=slug).first() or services.org_create(
            actor=employee, name=name, slug=slug, plan=plan
        )
        orgs.append(org)
    members = [
        (MEMBER_EMAIL, MEMBER_PASSWORD, "Owner", "Ant", "Owner"),
        (VIEWER_WITHOUT_PERMISSION_EMAIL, MEMBER_PASSWORD, "Member", "Ivy", "Intern"),
    ]
    users = []
    for email, password, role, first, last in members:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = services.user_create(
                actor=employee,
                email=email,
                password=password,
                first_name=first,
                last_name=last,
                email_confirmed=True,
            )
            services.membership_add(
                actor=employee, org=orgs[0], user=user, role=roles[role]
            )
        users.append(user)
    # The demo member also belongs to a second org, to show the org switcher.
    if not Membership.objects.filter(user=users[0], org=orgs[1]).exists():
        services.membership_add(
            actor=employee, org=orgs[1], user=users[0], role=roles["Admin"]
        )
    return orgs, [staff, *users]


def _bulk_orgs_and_users(
    orgs: list[Organization], users: list[User], org_count: int, user_count: int, rng
) -> tuple[list[Organization], list[User]]:
    """Top up to ``org_count`` orgs and ``user_count`` users, in bulk."""
    plans = [Plan.FREE, Plan.GROWTH, Plan.GROWTH_PLUS]
    existing_slugs = set(Organization.objects.values_list("slug", flat=True))
    new_orgs = [
        Organization(
            name=f"Demo Org {i:04d}", slug=f"demo-org-{i:04d}", plan=plans[i % 3]
        )
        for i in range(len(orgs), org_count)
        if f"demo-org-{i:04d}" not in existing_slugs
    ]
    Organization.objects.bulk_create(new_orgs, batch_size=1000)
    all_orgs = list(Organization.objects.all())
    existing_emails = set(User.objects.values_list("email", flat=True))
    new_users = []
    for i in range(len(users), user_count):
        email = f"user{i:05d}@{'acme.example' if i % 5 == 0 else 'demo.example'}"
        if email in existing_emails:
            continue
        new_users.append(
            User(
                email=email,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                password="!",
                email_confirmed=True,
            )
        )
    User.objects.bulk_create(new_users, batch_size=1000)
    all_users = list(User.objects.filter(is_staff=False))
    member_role = Role.objects.get(name="Member")
    taken = set(Membership.objects.values_list("user_id", "org_id"))
    memberships = []
    for i, user in enumerate(all_users):
        org = all_orgs[i % len(all_orgs)]
        if (user.pk, org.pk) not in taken:
            memberships.append(Membership(user=user, org=org, role=member_role))
    Membership.objects.bulk_create(memberships, batch_size=1000)
    return all_orgs, all_users


def _details(entry: dict, user_email: str, rng: random.Random) -> dict:
    """Plausible details for every placeholder the type's template uses."""
    if entry["event_type"] == "UserCreated":
        return {
            "email": user_email,
            "email_confirmed": True,
            "first_name": None,
            "last_name": None,
            "picture_url": None,
            "properties": {},
            "username": None,
        }
    if entry["event_type"] == "UserMetadataChanged":
        old, new = rng.sample(FIRST_NAMES, 2)
        return {"old": {"firstName": old}, "new": {"firstName": new}}
    values = {
        "old": "Member",
        "new": "Admin",
        "role": rng.choice(["Owner", "Admin", "Member"]),
        "new_email": "new." + user_email,
        "invitee_email": f"invitee{rng.randrange(1000)}@example.com",
        "target_email": f"colleague{rng.randrange(1000)}@example.com",
        "removed_user": f"former{rng.randrange(1000)}@example.com",
        "result": rng.choice(["success", "wrong password"]),
        "permission": "View Audit Log",
        "provider": rng.choice(["Google", "GitHub", "Okta"]),
        "format": rng.choice(["csv", "json"]),
    }
    values.update(OLD_NEW.get(entry["event_type"], {}))
    names = set(_PLACEHOLDER.findall(entry["template"])) - {
        "user",
        "org",
        "actor",
        "impersonator",
    }
    return {name: values.get(name, name) for name in sorted(names)}


def _rows(
    count: int, orgs: list[Organization], users: list[User], rng: random.Random
) -> Iterator[tuple]:
    """Synthetic events, oldest first, spread over the last 90 days.

    Everything it reads from the database is read here, before the first
    row: the rows are consumed inside a COPY, when the connection is busy.
    """
    # Customer events only: operator events come from real changes to auditsite.
    catalog = [e for e in builtin_catalog() if e["category"] in ("user", "org")]
    user_types = [e for e in catalog if e["category"] == "user"]
    org_types = [e for e in catalog if e["category"] == "org"]
    now = timezone.now()
    span = 90 * 86400
    # One large org (Acme) gets a tenth of everything, like a real customer base.
    big_org, other_orgs = orgs[0], orgs[1:] or orgs
    members_by_org: dict = {}
    for membership in Membership.objects.select_related("user").only(
        "org_id", "user__id", "user__email"
    ):
        members_by_org.setdefault(membership.org_id, []).append(membership.user)
    offsets = sorted(rng.random() * span for _ in range(count))
    staff_ids = [(str(u.pk), u.email) for u in users if u.is_staff] or [
        ("system", "ops@example.com")
    ]
    cause_names = [c for c, _ in CAUSES]
    cause_weights = [w for _, w in CAUSES]

    def generate() -> Iterator[tuple]:
        for i in range(count):
            # The catalog comes first, so even a small seed has every type.
            entry = catalog[i] if i < len(catalog) else None
            if entry is None:
                entry = (
                    rng.choice(user_types)
                    if rng.random() < 0.7
                    else rng.choice(org_types)
                )
            org = big_org if rng.random() < 0.1 else rng.choice(other_orgs)
            members = members_by_org.get(org.pk) or users
            user = rng.choice(members)
            # Org events are about a user too when their sentence names one.
            about_user = entry["category"] == "user" or "{user}" in entry["template"]
            cause = rng.choices(cause_names, cause_weights)[0]
            if entry["event_type"] == "UserImpersonation":
                cause = "Impersonation"
            impersonator_id = impersonator_meta = None
            if cause in ("User", "Impersonation"):
                caused_by_id, caused_meta = str(user.pk), {"email": user.email}
                if cause == "Impersonation":
                    impersonator_id, email = rng.choice(staff_ids)
                    impersonator_meta = {"email": email}
            elif cause == "Employee":
                caused_by_id, email = rng.choice(staff_ids)
                caused_meta = {"email": email}
            elif cause == "ApiKey":
                caused_by_id, caused_meta = "key_demo01", {"name": "billing-service"}
            else:
                caused_by_id, caused_meta = "scim_okta", {"name": "Okta SCIM"}
            created = now - timedelta(seconds=span - offsets[i])
            yield (
                uuid.uuid4(),  # random, so a second seed never collides with the first
                user.pk if about_user else None,
                user.email if about_user else "",
                org.pk,
                org.name,
                entry["event_type"],
                {entry["event_type"]: _details(entry, user.email, rng)},
                created,
                cause,
                caused_by_id,
                caused_meta,
                f"203.0.113.{rng.randrange(1, 255)}",
                rng.choice(USER_AGENTS),
                impersonator_id,
                impersonator_meta,
                entry["category"],
                created,
            )

    return generate()


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
    SELECT CASE WHEN t.event_type = 'UserImpersonation' THEN 'Impersonation'
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
            data = {entry["event_type"]: _details(entry, _EMAIL_MARK, rng)}
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


def _write_postgres(
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


def _write_orm(rows: Iterator[tuple], progress: Callable[[int], None]) -> None:
    batch: list[AuditEvent] = []
    for row in rows:
        batch.append(AuditEvent(**dict(zip(COLUMNS, row, strict=True))))
        if len(batch) == 5_000:
            AuditEvent.objects.bulk_create(batch)
            progress(len(batch))
            batch = []
    if batch:
        AuditEvent.objects.bulk_create(batch)
        progress(len(batch))


def seed_demo(
    *,
    events: int,
    orgs: int = len(CORE_ORGS),
    users: int = 40,
    seed: int = 42,
    progress: Callable[[int], None] = lambda n: None,
    stage: Callable[[str], None] = lambda name: None,
) -> DemoResult:
    """Build the demo: logins, orgs on each plan, members and ``events`` events.

    ``progress`` is called with each number of events written, ``stage`` with
    the name of each step after the rows (a large seed rebuilds indexes).
    """
    rng = random.Random(seed)
    core_orgs, core_users = _core(Actor.system())
    all_orgs, all_users = _bulk_orgs_and_users(
        core_orgs, core_users, max(orgs, len(core_orgs)), users, rng
    )
    all_orgs.sort(key=lambda o: o.slug != "acme")
    all_users = [*core_users, *[u for u in all_users if u not in core_users]]
    if connection.vendor == "postgresql":
        _write_postgres(events, all_orgs, all_users, rng, progress, stage)
    else:
        _write_orm(_rows(events, all_orgs, all_users, rng), progress)
    return DemoResult(
        staff_email=STAFF_EMAIL,
        member_email=MEMBER_EMAIL,
        events=events,
        orgs=len(all_orgs),
        users=len(all_users),
    )
