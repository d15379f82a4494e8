"""Operator API list endpoint (`GET /api/v1/events/`) at scale, keyset vs OFFSET.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench10m \\
        .venv/bin/python bench/api_query.py --events 10000000 [--runs 5] [--links 100]

Uses (and if needed creates and seeds) the database in BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/auditsite_bench_admin). For each
SPEC filter it measures, through Django's test client as a staff user (no
network), the median server time of the first page (100 events) and of the
page reached by following ``next`` ``--links`` times. Beside each: the same
filtered query paged with OFFSET at that depth (the query alone), timed in
this run. Target: every page under 50 ms.

Then the org API (`GET /api/v1/org/events/`) the same way, with an org API
key of org `acme` (about a tenth of the events): the key is created inside a
transaction that is rolled back at the end, so the database keeps nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import django_on, median_ms, seed_until  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_admin"
TARGET_MS = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--links", type=int, default=100, help="next links to follow")
    args = parser.parse_args()

    # Hundreds of requests a minute: the API's throttle would answer 429.
    os.environ["AUDITSITE_API_THROTTLE_RATE"] = ""
    django_on(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    seed_until(args.events)
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import setup_test_environment

    from audit.filters import AuditEventFilter
    from audit.models import AuditEvent, Organization, User
    from audit.selectors import estimated_row_count, events_all

    setup_test_environment()
    staff = User.objects.get(email="admin@example.com")
    client = Client(HTTP_ACCEPT="application/json")
    client.force_login(staff)
    org = Organization.objects.get(slug="acme")
    sample = (
        AuditEvent.objects.filter(org_id=org.pk)
        .exclude(user_id=None)
        .values("user_id", "user_email", "caused_by_id", "created_at")
        .first()
    )
    day = sample["created_at"].date()
    cases = {
        "unfiltered": {},
        "user (email)": {"user": sample["user_email"]},
        "user (id)": {"user": str(sample["user_id"])},
        "org (slug)": {"org": "acme"},
        "org (id)": {"org": str(org.pk)},
        "event type": {"event_type": "UserLoginAttempt"},
        "event types (3)": {"event_type": "UserCreated,UserDeleted,OrgUserAdded"},
        "category": {"category": "org"},
        "caused by": {"caused_by_type": "Impersonation"},
        "caused by id": {"caused_by_id": sample["caused_by_id"]},
        # No event matches: the worst case for a filter without its own index.
        "caused by id, none": {"caused_by_id": "key_nosuchkey"},
        "date range": {
            "created_after": (day.replace(day=1)).isoformat(),
            "created_before": day.isoformat(),
        },
    }
    url = "/api/v1/events/"
    total = estimated_row_count(AuditEvent) or 0
    print(
        f"\nAPI list, ~{total:,} events, PostgreSQL, median of {args.runs} runs,"
        f" 100 events a page; deep = after {args.links} next links"
    )
    print(
        f"{'filter':<18} {'first ms':>9} {'deep ms':>9} {'depth':>7}"
        f" {'OFFSET first ms':>16} {'OFFSET deep ms':>15}"
    )
    worst = 0.0
    for name, params in cases.items():
        first_ms, deep_ms, depth = pages_ms(client, url, params, args)
        filtered = AuditEventFilter(
            QueryDict(urlencode(params)), queryset=events_all()
        ).qs.order_by("-created_at", "-seq")
        offset_first = median_ms(lambda f=filtered: list(f[:101]), args.runs)
        offset_deep = median_ms(
            lambda f=filtered, d=depth: list(f[d : d + 101]), args.runs
        )
        worst = max(worst, first_ms, deep_ms)
        print(
            f"{name:<18} {first_ms:>9.1f} {deep_ms:>9.1f} {depth:>7,}"
            f" {offset_first:>16.1f} {offset_deep:>15.1f}"
        )
    print(f"\nslowest API page: {worst:.1f} ms (target < {TARGET_MS} ms)")
    org_worst = org_api_ms(org, {k: cases[k] for k in ORG_CASES}, args)
    print(f"slowest org API page: {org_worst:.1f} ms (target < {TARGET_MS} ms)")


ORG_CASES = ("unfiltered", "user (email)", "event type", "category", "date range")


def pages_ms(client, url, params, args) -> tuple[float, float, int]:
    """Median ms of the first page and of the page ``--links`` next links on."""
    response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.status_code)
    deep_url, depth = None, 0
    body = response.json()
    for _ in range(args.links):
        if not body["next"]:
            break
        deep_url = body["next"]
        body = client.get(deep_url).json()
        depth += 100
    # `next` is absolute (http://testserver/...): the client wants the path.
    deep_path = deep_url.split("testserver", 1)[1] if deep_url else None
    first_ms = median_ms(lambda: client.get(url, params), args.runs)
    deep_ms = median_ms(lambda: client.get(deep_path), args.runs) if deep_path else 0.0
    return first_ms, deep_ms, depth


def org_api_ms(org, cases: dict, args) -> float:
    """The org API's pages with an org key of ``org``; nothing is kept."""
    from django.db import transaction
    from django.test import Client

    from audit.org_apikeys import org_api_key_create
    from audit.services import Actor

    worst = 0.0
    print(f"\nOrg API (org key of {org.slug}), median of {args.runs} runs")
    print(f"{'filter':<18} {'first ms':>9} {'deep ms':>9} {'depth':>7}")
    with transaction.atomic():
        _, raw_key = org_api_key_create(actor=Actor.system(), org=org, name="bench")
        client = Client(HTTP_ACCEPT="application/json")
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw_key}"
        for name, params in cases.items():
            first_ms, deep_ms, depth = pages_ms(
                client, "/api/v1/org/events/", params, args
            )
            worst = max(worst, first_ms, deep_ms)
            print(f"{name:<18} {first_ms:>9.1f} {deep_ms:>9.1f} {depth:>7,}")
        transaction.set_rollback(True)  # the key and its event are not kept
    return worst


if __name__ == "__main__":
    main()
