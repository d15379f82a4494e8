import uuid
import zoneinfo
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from audit import charts, selectors
from audit.charts import chart_range, events_per_day_chart
from audit.demo import MEMBER_EMAIL
from audit.filters import OrgAuditEventFilter
from audit.models import AuditEvent, AuditSettings, EventDayCount, Organization, User
from audit.selectors import audit_settings_load
from exports.retention import events_purge

pytestmark = pytest.mark.django_db

UTC_ZONE = zoneinfo.ZoneInfo("UTC")
FILTERS = [
    {},
    {"event_type": "UserLoggedOut"},
    {"event_type": "UserCreated,OrgUserAdded,UserLoggedOut"},
    {"event_type": "OrgUpdated"},
    {"category": "org"},
    {"caused_by_type": ["Employee", "ApiKey"]},
    {"category": "user", "caused_by_type": ["Impersonation"]},
]
HIDDEN = [
    {},
    {"includes_impersonation": False},
    {"includes_api_keys": False, "includes_employees": False},
]


def _chart_and_direct(org, params: dict, hidden: dict):
    """The page's chart over 90 UTC days and the same days by a direct COUNT."""
    AuditSettings.objects.filter(pk=1).update(
        includes_impersonation=True, includes_api_keys=True, includes_employees=True
    )
    AuditSettings.objects.filter(pk=1).update(**hidden)
    settings = audit_settings_load()
    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    filterset = OrgAuditEventFilter(
        data, queryset=selectors.events_for_viewer(org=org, settings=settings)
    )
    assert filterset.is_valid(), filterset.errors
    today = timezone.now().astimezone(UTC).date()
    first, last = today - timedelta(days=89), today
    chart = events_per_day_chart(
        org=org,
        settings=settings,
        filters=filterset.form.cleaned_data,
        events=filterset.qs,
        first=first,
        last=last,
        zone=UTC_ZONE,
    )
    direct = selectors.event_counts_per_day(
        events=filterset.qs,
        start=timezone.datetime.combine(first, timezone.datetime.min.time(), UTC),
        end=timezone.datetime.combine(
            last + timedelta(days=1), timezone.datetime.min.time(), UTC
        ),
        zone=UTC_ZONE,
    )
    assert chart.counted_after is None  # answered by the rollup, exactly
    return {bar.day: bar.count for bar in chart.bars if bar.count}, direct


def _assert_chart_equals_count(orgs):
    for org in orgs:
        for params in FILTERS:
            for hidden in HIDDEN:
                chart, direct = _chart_and_direct(org, params, hidden)
                assert chart == direct, (org.slug, params, hidden)


def _api_batch(org, count: int) -> list[dict]:
    now = timezone.now()
    causes = ["User", "Employee", "ApiKey", "Scim", "Impersonation"]
    types = ["OrgUserAdded", "OrgUpdated", "OrgMetadataUpdated"]
    return [
        {
            "id": str(uuid.uuid4()),
            "org_id": str(org.pk),
            "event_type": types[i % len(types)],
            "event_data": {types[i % len(types)]: {}},
            "created_at": int((now - timedelta(days=i % 40, hours=i)).timestamp()),
            "caused_by_type": causes[i % len(causes)],
            "caused_by_id": f"actor-{i}",
            "impersonator_id": "staff-1" if i % 7 == 0 else None,
        }
        for i in range(count)
    ]


def test_chart_equals_direct_count_after_seed_api_ingest_and_purge(api_client):
    """The rollup chart equals a direct COUNT per day: seeded, API-ingested, purged."""
    call_command(
        "seed_demo", "--events", "1500", "--orgs", "6", "--users", "30", "--no-progress"
    )
    orgs = list(Organization.objects.order_by("slug")[:4])
    _assert_chart_equals_count(orgs)

    acme = Organization.objects.get(slug="acme")
    response = api_client.post(
        reverse("api-events"), _api_batch(acme, 60), format="json"
    )
    assert response.status_code == 201, response.json()
    _assert_chart_equals_count([acme])

    before = AuditEvent.objects.count()
    events_purge(now=timezone.now() + timedelta(days=25))
    assert AuditEvent.objects.count() < before
    _assert_chart_equals_count(orgs)
    # The rollup never keeps a row for a kind of event that is gone.
    assert not EventDayCount.objects.filter(count__lte=0).exists()


def test_rollup_totals_match_the_table():
    """Every org's rollup adds up to its number of events."""
    call_command(
        "seed_demo", "--events", "400", "--orgs", "5", "--users", "20", "--no-progress"
    )
    for org in Organization.objects.all():
        rolled = sum(
            EventDayCount.objects.filter(org_id=org.pk).values_list("count", flat=True)
        )
        assert rolled == AuditEvent.objects.filter(org_id=org.pk).count()


def test_user_filter_counts_the_newest_events_and_says_so(client, monkeypatch):
    """A user filter counts only the newest events and the page says so."""
    call_command(
        "seed_demo", "--events", "600", "--orgs", "5", "--users", "20", "--no-progress"
    )
    member = User.objects.get(email=MEMBER_EMAIL)
    acme = Organization.objects.get(slug="acme")
    recent = AuditEvent.objects.filter(
        org_id=acme.pk, created_at__gte=timezone.now() - timedelta(days=29)
    ).exclude(user_email="")
    busiest = recent.values("user_email").annotate(n=Count("pk")).order_by("-n").first()
    email, matching = busiest["user_email"], busiest["n"]
    url = reverse("org-audit-log", args=["acme"]) + f"?user={email}"
    client.force_login(member)
    assert matching >= 3
    chart = client.get(url).context["chart"]
    assert chart.counted_after is None
    assert chart.total >= matching

    monkeypatch.setattr(charts, "FALLBACK_LIMIT", 2)
    response = client.get(url)
    chart = response.context["chart"]
    assert chart.total == 2
    assert chart.counted_after is not None
    assert b"Counted from the newest" in response.content


def test_other_time_zone_counts_local_days():
    """A viewer in another zone gets local days, counted from the events."""
    call_command(
        "seed_demo", "--events", "300", "--orgs", "5", "--users", "20", "--no-progress"
    )
    acme = Organization.objects.get(slug="acme")
    settings = audit_settings_load()
    events = selectors.events_for_viewer(org=acme, settings=settings)
    zone = zoneinfo.ZoneInfo("America/Los_Angeles")
    first, last = chart_range(after=None, before=None, zone=zone)
    chart = events_per_day_chart(
        org=acme,
        settings=settings,
        filters={},
        events=events,
        first=first,
        last=last,
        zone=zone,
    )
    start = timezone.datetime.combine(first, timezone.datetime.min.time(), zone)
    end = timezone.datetime.combine(
        last + timedelta(days=1), timezone.datetime.min.time(), zone
    )
    assert (
        chart.total == events.filter(created_at__gte=start, created_at__lt=end).count()
    )


def test_rollup_row_goes_down_then_away_as_its_events_are_deleted():
    """Deleting some of a rollup row's events lowers it; the rest remove it."""
    from audit.services import events_delete_for_retention
    from tests.factories import AuditEventFactory, OrganizationFactory

    org = OrganizationFactory()
    created = timezone.now() - timedelta(days=40)
    events = [
        AuditEventFactory(
            org_id=org.pk,
            org_name=org.name,
            event_type="UserLoggedOut",
            category="user",
            caused_by_type="User",
            created_at=created,
        )
        for _ in range(3)
    ]
    rows = EventDayCount.objects.filter(org_id=org.pk)
    assert list(rows.values_list("count", flat=True)) == [3]
    assert events_delete_for_retention(seqs=[events[0].seq]) == 1
    assert list(rows.values_list("count", flat=True)) == [2]
    assert events_delete_for_retention(seqs=[e.seq for e in events[1:]]) == 2
    assert not rows.exists()
