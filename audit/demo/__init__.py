"""Realistic demo data: orgs on each plan, members with roles, lots of events.

The small core (a staff login, an org member login, a few orgs) goes through
the services, so it records real events. The bulk of the events is synthetic
and written with PostgreSQL COPY (or ``bulk_create`` on SQLite): a million
rows in well under two minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from audit.demo.accounts import (
    CORE_ORGS,
    MEMBER_EMAIL,
    MEMBER_PASSWORD,
    STAFF_EMAIL,
    STAFF_PASSWORD,
    VIEWER_WITHOUT_PERMISSION_EMAIL,
    bulk_orgs_and_users,
    core_accounts,
    demo_is_seeded,
)
from audit.demo.events import COLUMNS, synthetic_rows, write_orm
from audit.demo.postgres import write_postgres
from audit.services import Actor

__all__ = [
    "COLUMNS",
    "CORE_ORGS",
    "MEMBER_EMAIL",
    "MEMBER_PASSWORD",
    "STAFF_EMAIL",
    "STAFF_PASSWORD",
    "VIEWER_WITHOUT_PERMISSION_EMAIL",
    "DemoResult",
    "demo_is_seeded",
    "seed_demo",
]


@dataclass
class DemoResult:
    staff_email: str
    member_email: str
    events: int
    orgs: int
    users: int


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
    core_orgs, core_users = core_accounts(Actor.system())
    all_orgs, all_users = bulk_orgs_and_users(
        core_orgs, core_users, max(orgs, len(core_orgs)), users, rng
    )
    all_orgs.sort(key=lambda o: o.slug != "acme")
    all_users = [*core_users, *[u for u in all_users if u not in core_users]]
    if connection.vendor == "postgresql":
        write_postgres(events, all_orgs, all_users, rng, progress, stage)
    else:
        write_orm(synthetic_rows(events, all_orgs, all_users, rng), progress)
    return DemoResult(
        staff_email=STAFF_EMAIL,
        member_email=MEMBER_EMAIL,
        events=events,
        orgs=len(all_orgs),
        users=len(all_users),
    )
