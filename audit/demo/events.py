"""Synthetic events: what they look like, and the portable writer
(``bulk_create``, for SQLite); PostgreSQL generates them in SQL
(``audit.demo.postgres``) from the same data."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.utils import timezone

from audit.catalog import T, builtin_catalog
from audit.demo.accounts import FIRST_NAMES
from audit.models import AuditEvent, Membership, Organization, User
from audit.spec import STORED_COLUMNS

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


def event_details(entry: dict, user_email: str, rng: random.Random) -> dict:
    """Plausible details for every placeholder the type's template uses."""
    if entry["event_type"] == T.UserCreated:
        return {
            "email": user_email,
            "email_confirmed": True,
            "first_name": None,
            "last_name": None,
            "picture_url": None,
            "properties": {},
            "username": None,
        }
    if entry["event_type"] == T.UserMetadataChanged:
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


def synthetic_rows(
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
            if entry["event_type"] == T.UserImpersonation:
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
                {entry["event_type"]: event_details(entry, user.email, rng)},
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


def write_orm(rows: Iterator[tuple], progress: Callable[[int], None]) -> None:
    """Insert ``rows`` with ``bulk_create``, 5,000 at a time (any database)."""
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
