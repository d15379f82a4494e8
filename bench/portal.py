"""Opening a portal link: server time of the POST that spends it (median < 50 ms).

    .venv/bin/python bench/portal.py [--links 200] [--db bench_h20]

On a PostgreSQL database of its own (created and migrated if missing), mints
``--links`` links for one member and opens each through Django's request
handler in this process (the test client: no network, so the figure is the
server's own time: spend the link, sign in, record `UserLoginAttempt`, set
the session). Prints the median and p95.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import django_on, percentile  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--db", default="bench_h20")
    args = parser.parse_args()
    django_on(f"{PG}/{args.db}")

    from django.test import Client

    from audit.actors import Actor
    from audit.models import Membership, Organization, Role, User
    from audit.services.portal import portal_link_create

    org, _ = Organization.objects.get_or_create(
        slug="bench-portal", defaults={"name": "Bench Portal"}
    )
    user, _ = User.objects.get_or_create(email="portal@bench.example")
    Membership.objects.get_or_create(
        org=org, user=user, defaults={"role": Role.objects.get(name="Owner")}
    )
    actor = Actor.system()
    tokens = [
        portal_link_create(actor=actor, org=org, user=user)[1]
        for _ in range(args.links + 10)
    ]
    timings = []
    for n, token in enumerate(tokens):
        client = Client()
        started = time.perf_counter()
        response = client.post(f"/portal/{token}")
        elapsed = time.perf_counter() - started
        if response.status_code != 302:
            raise SystemExit(f"link {n}: {response.status_code}")
        if n >= 10:  # the first few warm caches and connections
            timings.append(elapsed * 1000)
    median = statistics.median(timings)
    print(f"portal link open: {len(timings)} links")
    print(f"median {median:.1f} ms, p95 {percentile(timings, 95):.1f} ms")
    print(f"target median < 50 ms: {'meets' if median < 50 else 'MISSES'}")


if __name__ == "__main__":
    main()
