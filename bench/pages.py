"""Server time of the customer audit-log page on a large org, keyset vs OFFSET.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench10m \
        .venv/bin/python bench/pages.py --events 10000000 [--runs 7] [--depth 5000]

Uses (and if needed creates and seeds, once) the database in
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/auditsite_bench_pages);
`seed_demo` puts a tenth of the events in org `acme`. For each case it
renders the page through Django's test Client as the demo member (Owner of
acme): the whole request, server side, no network. Beside it, in the same
run: the same filtered query paged with OFFSET at the same depth, and the
chart as the page computes it next to the chart's full `GROUP BY` over the
org's filtered events (the design before the rollup). Median of --runs runs.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import django_on, median_ms, seed_until  # noqa: E402
from page_timing import timed_page  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_pages"
TARGET_MS = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--depth", type=int, default=5000, help="rows before page")
    args = parser.parse_args()

    django_on(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    seed_until(args.events)
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import setup_test_environment

    from audit import selectors
    from audit.charts import chart_range, events_per_day_chart
    from audit.demo import MEMBER_EMAIL
    from audit.filters import OrgAuditEventFilter
    from audit.models import Organization, User
    from audit.pagination import PAGE_SIZE, encode_cursor, keyset_page

    setup_test_environment()  # so that responses carry their template context
    org = Organization.objects.get(slug="acme")
    user = User.objects.get(email=MEMBER_EMAIL)
    settings = selectors.audit_settings_load()
    scoped = selectors.events_for_viewer(org=org, settings=settings)
    total = selectors.estimated_row_count(scoped.model) or 0
    print(f"org acme: {scoped.count():,} events of ~{total:,} in the table")

    client = Client()
    client.force_login(user)
    url = f"/orgs/{org.slug}/audit-log/"
    sample = scoped.order_by("-created_at", "-seq")[PAGE_SIZE * 3]
    week = {
        "created_after": (sample.created_at.date() - timedelta(days=7)).isoformat(),
        "created_before": sample.created_at.date().isoformat(),
    }
    cases = [
        ("first page", {}, 0),
        ("deep page", {}, args.depth),
        ("very deep page", {}, args.depth * 10),
        ("user", {"user": sample.user_email or str(sample.user_id)}, 0),
        ("event type", {"event_type": "UserCreated"}, 0),
        (
            "event types (3)",
            {"event_type": "UserCreated,OrgUserAdded,UserLoggedOut"},
            0,
        ),
        ("category", {"category": "org"}, 0),
        ("caused by", {"caused_by_type": "Employee"}, 0),
        ("date range (7 days)", week, 0),
        ("event type, deep", {"event_type": "UserCreated"}, 1000),
        ("caused by, deep", {"caused_by_type": "Employee"}, 5000),
        ("user, deep", {"user": sample.user_email or str(sample.user_id)}, 5000),
    ]

    print(
        f"\n{'case':<22} {'depth':>6} {'page ms':>8} {'SQL ms':>7} {'queries':>8}"
        f" {'render ms':>10} {'keyset q ms':>12} {'OFFSET q ms':>12}"
        f" {'chart ms':>9} {'chart GROUP BY ms':>18}"
    )
    worst = 0.0
    for name, params, depth in cases:
        filterset = OrgAuditEventFilter(QueryDict(urlencode(params)), queryset=scoped)
        assert filterset.is_valid(), filterset.errors
        filtered = filterset.qs.order_by("-created_at", "-seq")
        query = dict(params)
        if depth:
            boundary = filtered[depth - 1 : depth].get()
            query["before"] = encode_cursor(boundary)
        page_url = url + ("?" + urlencode(query) if query else "")
        response = client.get(page_url, secure=True)
        assert response.status_code == 200, (page_url, response.status_code)
        assert len(response.context["rows"]) == PAGE_SIZE, name

        cursor = query.get("before")
        page = timed_page(client, page_url, args.runs)
        keyset_ms = median_ms(
            lambda f=filtered, c=cursor: keyset_page(f, before=c), args.runs
        )
        offset_ms = median_ms(
            lambda f=filtered, d=depth: list(f[d : d + PAGE_SIZE + 1]), args.runs
        )
        data = filterset.form.cleaned_data
        before = data.get("created_before")
        if before is not None:
            before += timedelta(days=1)  # a bare date: up to the end of that day
        zone = UTC
        first, last = chart_range(
            after=data.get("created_after"), before=before, zone=zone
        )
        chart_ms = median_ms(
            functools.partial(
                events_per_day_chart,
                org=org,
                settings=settings,
                filters=data,
                events=filterset.qs,
                first=first,
                last=last,
                zone=zone,
                after=data.get("created_after"),
                before=before,
            ),
            args.runs,
        )
        start = datetime.combine(first, datetime.min.time(), UTC)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
        group_by_ms = median_ms(
            functools.partial(
                selectors.event_counts_per_day,
                events=filterset.qs,
                start=start,
                end=end,
                zone=zone,
            ),
            args.runs,
        )
        worst = max(worst, page.total)
        print(
            f"{name:<22} {depth:>6} {page.total:>8.1f} {page.sql:>7.1f}"
            f" {page.queries:>8} {page.render:>10.1f} {keyset_ms:>12.1f}"
            f" {offset_ms:>12.1f} {chart_ms:>9.1f} {group_by_ms:>18.1f}"
        )
    print(f"\nslowest page: {worst:.1f} ms (target < {TARGET_MS} ms)")


if __name__ == "__main__":
    main()
