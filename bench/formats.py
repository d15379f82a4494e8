"""Export formats side by side: render throughput of each on the same rows.

    .venv/bin/python bench/formats.py [--events 200000]

Uses (and if needed creates and seeds) the PostgreSQL database in
BENCH_DATABASE_URL (default .../auditsite_bench_formats). Reads the oldest
``--events`` events once, as an export run does (``export_rows_after`` in
batches of 10,000 typed rows), then renders the same batches
in every format in the same run and prints events/s and bytes per format
beside ndjson.gz (the default format). Rendering only: no S3, no
bookkeeping; the SELECT is timed once and printed first.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import django_on, seed_until  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/auditsite_bench_formats"
BATCH = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3, help="best of N")
    args = parser.parse_args()
    django_on(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))

    from audit import formats
    from audit.selectors import event_type_templates
    from exports.models import POSITION_ZERO
    from exports.selectors import export_horizon, export_rows_after

    seed_until(args.events)
    # Every event, read the way a run reads them (the selector, in batches).
    selection = {"categories": ["*"]}
    horizon = export_horizon()
    started = time.perf_counter()
    batches = []
    position, seen = POSITION_ZERO, 0
    while seen < args.events:
        rows = export_rows_after(
            selection=selection,
            after=position,
            horizon=horizon,
            limit=min(BATCH, args.events - seen),
        )
        if not rows:
            break
        batches.append(rows)
        seen += len(rows)
        position = rows[-1].position
    select_s = time.perf_counter() - started
    print(f"\nExport formats, {seen:,} events in {len(batches)} objects of {BATCH:,}")
    print(
        f"  SELECT into typed rows: {select_s:6.2f} s = {seen / select_s:>9,.0f} ev/s"
    )

    templates = event_type_templates()  # read once, as a run reads them
    results = {}
    for name in formats.FORMATS:
        best, size = float("inf"), 0
        for _ in range(args.rounds):
            started = time.perf_counter()
            size = sum(
                len(formats.render(name, rows, templates=templates)) for rows in batches
            )
            best = min(best, time.perf_counter() - started)
        results[name] = (best, size)
    base_s = results["ndjson.gz"][0]
    for name, (seconds, size) in results.items():
        print(
            f"  render {name:<10} {seconds:6.2f} s = {seen / seconds:>9,.0f} ev/s, "
            f"{size / 1e6:7.1f} MB, {size / seen:6.0f} B/event, "
            f"{base_s / seconds:4.2f}x ndjson.gz"
        )


if __name__ == "__main__":
    main()
