"""docs/destinations.md's analyst query: DuckDB over the partitions = the database."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from audit.models import AuditEvent
from exports import services
from exports.models import ExportLocation
from tests.exports.conftest import BUCKET
from tests.factories import AuditEventFactory

# docs/destinations.md "Partitions, and reading the bucket as an analyst": the glob for
# events only, the reader per format, and the partition columns as integers
# ('09' is not autocast: it has a leading zero).
GLOB = "year=*/month=*/day=*/*."
OPTIONS = (
    "hive_partitioning = true, "
    "hive_types = {'year': INTEGER, 'month': INTEGER, 'day': INTEGER}"
)
READERS = {
    "json": "read_json_auto",
    "ndjson.gz": "read_json_auto",
    "csv": "read_csv_auto",
}


def _mirror(client, prefix: str, into: Path) -> list[str]:
    """Copy every object under ``prefix`` to ``into`` (an analyst's sync)."""
    keys = []
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=prefix
    )
    for page in pages:
        for item in page.get("Contents", []):
            target = into / item["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            body = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            target.write_bytes(body)
            keys.append(item["Key"])
    return keys


@pytest.mark.parametrize("file_format", ["json", "ndjson.gz", "csv"])
def test_duckdb_counts_per_day_equal_the_database(
    make_location, aws, tmp_path, file_format, settings
):
    """DuckDB over five days of an export counts per day what the database holds."""
    settings.AUDITSITE_EXPORT_OBJECT_EVENTS = 7  # several objects per day too
    start = datetime(2025, 8, 30, 21, 0, tzinfo=UTC)
    for n in range(60):  # every 2 hours over five days, across a month's end
        AuditEventFactory(created_at=start + timedelta(hours=2 * n, minutes=n))
    prefix = f"analyst-{file_format.replace('.', '-')}"
    location = make_location(path_prefix=prefix, file_format=file_format)
    # The location is older than its events: its digests are in the bucket too.
    ExportLocation.objects.filter(pk=location.pk).update(
        created_at=datetime.now(UTC) - timedelta(hours=3)
    )
    while services.export_location_run(location_id=location.pk).object_count:
        pass
    keys = _mirror(aws, prefix, tmp_path)
    assert any("/digests/" in key for key in keys)
    assert any("verify-test-" in key for key in keys)

    extension = "json" if file_format == "json" else file_format
    source = (
        f"{READERS[file_format]}('{tmp_path}/{prefix}/{GLOB}{extension}', {OPTIONS})"
    )
    rows = duckdb.sql(
        f"SELECT year, month, day, count(*) FROM {source} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    expected = Counter(
        created.astimezone(UTC).date()
        for created in AuditEvent.objects.exclude(category="operator").values_list(
            "created_at", flat=True
        )
    )
    assert {(y, m, d): c for y, m, d, c in rows} == {
        (day.year, day.month, day.day): count for day, count in expected.items()
    }
    [(september,)] = duckdb.sql(
        f"SELECT count(*) FROM {source} WHERE month = 9"
    ).fetchall()
    assert september == sum(c for day, c in expected.items() if day.month == 9)
    # Every event sits in its own day's partition.
    [(misplaced,)] = duckdb.sql(
        f"SELECT count(*) FROM {source} WHERE "
        "CAST(to_timestamp(CAST(created_at AS BIGINT)) AT TIME ZONE 'UTC' AS DATE) "
        "<> make_date(year, month, day)"
    ).fetchall()
    assert misplaced == 0
