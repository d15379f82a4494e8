"""Server time of the customer audit-log page on a large org, keyset vs OFFSET.

Needs a PostgreSQL database seeded with the demo data (1,000,000 events
across 1,000 orgs; org `acme` holds about 100,000):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/auditsite_bench_pages
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --events 1000000 --orgs 1000 --users 5000
    .venv/bin/python bench/pages.py [--runs 7] [--depth 5000]

For each case it renders the page through Django's test Client as the demo
member (Owner of acme): the whole request, server side, no network. Beside it,
the same filtered query paged with OFFSET at the same depth, timed alone.
Prints the median of --runs runs of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditsite.settings")

import django  # noqa: E402

django.setup()

from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from audit import selectors  # noqa: E402
from audit.demo import MEMBER_EMAIL  # noqa: E402
from audit.filters import OrgAuditEventFilter  # noqa: E402
from audit.models import AuditSettings, Organization, User  # noqa: E402
from audit.pagination import PAGE_SIZE, encode_cursor, keyset_page  # noqa: E402


def median_ms(fn, runs: int) -> float:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--depth", type=int, default=5000, help="rows before page")
    args = parser.parse_args()
    setup_test_environment()  # so that responses carry their template context

    org = Organization.objects.get(slug="acme")
    user = User.objects.get(email=MEMBER_EMAIL)
    settings = AuditSettings.load()
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
        ("category", {"category": "org"}, 0),
        ("caused by", {"caused_by_type": "Employee"}, 0),
        ("date range (7 days)", week, 0),
        ("event type, deep", {"event_type": "UserCreated"}, 1000),
        ("caused by, deep", {"caused_by_type": "Employee"}, 5000),
    ]

    print(
        f"\n{'case':<22} {'depth':>6} {'page (keyset) ms':>17} "
        f"{'keyset query ms':>16} {'OFFSET query ms':>16}"
    )
    for name, params, depth in cases:
        filtered = OrgAuditEventFilter(
            QueryDict(urlencode(params)), queryset=scoped
        ).qs.order_by("-created_at", "-seq")
        query = dict(params)
        if depth:
            boundary = filtered[depth - 1 : depth].get()
            query["before"] = encode_cursor(boundary)
        page_url = url + ("?" + urlencode(query) if query else "")
        response = client.get(page_url)
        assert response.status_code == 200, (page_url, response.status_code)
        assert len(response.context["rows"]) == PAGE_SIZE, name

        cursor = query.get("before")
        page_ms = median_ms(lambda u=page_url: client.get(u), args.runs)
        keyset_ms = median_ms(
            lambda f=filtered, c=cursor: keyset_page(f, before=c), args.runs
        )
        offset_ms = median_ms(
            lambda f=filtered, d=depth: list(f[d : d + PAGE_SIZE + 1]), args.runs
        )
        print(
            f"{name:<22} {depth:>6} {page_ms:>17.1f} "
            f"{keyset_ms:>16.1f} {offset_ms:>16.1f}"
        )


if __name__ == "__main__":
    main()
