from datetime import UTC

import pytest
from django.core.management import call_command

from audit.catalog import builtin_catalog
from audit.demo import MEMBER_EMAIL, STAFF_EMAIL
from audit.models import AuditEvent, Membership, Organization, User

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_orgs_users_and_every_event_type(capsys):
    """The demo has an org on each plan, both logins, and every catalog type."""
    call_command("seed_demo", "--events", "300", "--no-progress")
    out = capsys.readouterr().out
    assert STAFF_EMAIL in out and MEMBER_EMAIL in out
    assert set(Organization.objects.values_list("plan", flat=True)) == {
        "free",
        "growth",
        "growth_plus",
    }
    staff = User.objects.get(email=STAFF_EMAIL)
    assert staff.is_staff and staff.check_password("auditsite-admin")
    member = User.objects.get(email=MEMBER_EMAIL)
    assert Membership.objects.filter(user=member).count() == 2
    types = set(AuditEvent.objects.values_list("event_type", flat=True))
    customer_types = {
        entry["event_type"]
        for entry in builtin_catalog()
        if entry["category"] in ("user", "org")
    }
    assert customer_types <= types
    # Operator events come from real changes to auditsite, never from the seed.
    assert not AuditEvent.objects.filter(category="operator").exists()
    assert AuditEvent.objects.filter(caused_by_type="System").exists()


def test_seed_demo_if_empty_runs_once(capsys):
    """`--if-empty` adds nothing when the demo is already there."""
    call_command("seed_demo", "--events", "100", "--no-progress")
    count = AuditEvent.objects.count()
    call_command("seed_demo", "--events", "100", "--if-empty", "--no-progress")
    assert AuditEvent.objects.count() == count
    assert "already present" in capsys.readouterr().out


def test_seed_demo_spreads_events_over_90_days():
    """Synthetic events cover the last 90 days, oldest first by sequence."""
    call_command("seed_demo", "--events", "500", "--no-progress")
    dates = list(
        AuditEvent.objects.filter(caused_by_type__in=["User", "ApiKey", "Scim"])
        .order_by("seq")
        .values_list("created_at", flat=True)
    )
    assert (dates[-1] - dates[0]).days >= 80


def test_seed_demo_twice_adds_more_events():
    """Seeding again (without --if-empty) adds events; ids never collide."""
    call_command("seed_demo", "--events", "200", "--no-progress")
    first = AuditEvent.objects.count()
    call_command("seed_demo", "--events", "200", "--no-progress")
    assert AuditEvent.objects.count() == first + 200


def test_bulk_seed_rebuilds_every_index_and_an_exact_rollup(on_postgres, monkeypatch):
    """A bulk seed drops and rebuilds the indexes, and recounts the rollup exactly."""
    from django.db import connection
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from audit import demo
    from audit.demo import postgres
    from audit.models import EventDayCount

    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename IN"
                " ('audit_auditevent', 'audit_eventdaycount')"
            )
            return {row[0] for row in cursor.fetchall()}

    before = indexes()
    monkeypatch.setattr(postgres, "BULK_REBUILD_MIN", 500)
    stages = []
    demo.seed_demo(events=600, orgs=20, users=60, stage=stages.append)
    assert indexes() == before
    assert any(name.startswith("building index") for name in stages)
    direct = {
        (row["org_id"], row["day"]): row["n"]
        for row in AuditEvent.objects.exclude(org_id=None)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("org_id", "day")
        .annotate(n=Count("seq"))
    }
    rollup: dict = {}
    for row in EventDayCount.objects.values("org_id", "day", "count"):
        key = (row["org_id"], row["day"])
        rollup[key] = rollup.get(key, 0) + row["count"]
    assert rollup == direct
