"""Issue 13's check: a Parquet export of 90 days of seeded events, read by DuckDB."""

from collections import Counter
from datetime import date

import duckdb

from audit.demo import seed_demo
from audit.services import Actor
from exports import services
from exports.selectors import events_matching
from tests.exports.conftest import BUCKET
from tests.exports.e2e_support import s3_client

# Zero-padded partition values (month=04) read as text unless typed.
HIVE_TYPES = "{'year': INTEGER, 'month': INTEGER, 'day': INTEGER}"


def _download(client, root) -> dict[str, bytes]:
    """Every event object of the bucket, also written under ``root`` by key."""
    objects = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            key = item["Key"]
            if "/year=" not in key:
                continue
            body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            objects[key] = body
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
    return objects


def _run_until_done(location) -> None:
    while True:
        run = services.export_location_run(location_id=location.pk)
        assert run.status != run.Status.FAILED, run.error
        if not run.object_count:
            return


def test_parquet_of_90_days_reads_in_duckdb_and_replays_identical(
    db, moto_endpoint, tmp_path
):
    """DuckDB reads the partitions; counts per day match; a replay is identical."""
    seed_demo(events=3000, orgs=4, users=12)
    location = services.export_location_create(
        actor=Actor.system(),
        name="parquet 90 days",
        bucket=BUCKET,
        path_prefix="pq",
        endpoint_url=moto_endpoint,
        access_key_id="e2e",
        secret_access_key="e2e",
        interval="EVERY_DAY",
        file_format="parquet",
    )
    _run_until_done(location)
    client = s3_client(moto_endpoint)
    first = _download(client, tmp_path / "first")
    assert len(first) >= 90 and all(k.endswith(".parquet") for k in first)

    glob = str(tmp_path / "first" / "pq" / "year=*" / "month=*" / "day=*" / "*.parquet")
    con = duckdb.connect()
    types = dict(
        con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
            "read_parquet(?, hive_partitioning = true, hive_types = "
            + HIVE_TYPES
            + "))",
            [glob],
        ).fetchall()
    )
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["event_data"] == "VARCHAR" and types["id"] == "VARCHAR"
    assert {"year", "month", "day"} <= set(types)
    per_day = con.execute(
        "SELECT year, month, day, count(*), "
        "count(*) FILTER (WHERE make_date(year::int, month::int, day::int) "
        "  <> (created_at AT TIME ZONE 'UTC')::date), "
        "count(*) FILTER (WHERE microsecond(created_at) % 1000000 <> 0) "
        "FROM read_parquet(?, hive_partitioning = true, hive_types = "
        + HIVE_TYPES
        + ") GROUP BY ALL",
        [glob],
    ).fetchall()
    exported = {date(y, m, d): n for y, m, d, n, _, _ in per_day}
    assert sum(wrong for *_, wrong, _ in per_day) == 0  # each event in its day
    assert sum(sub for *_, sub in per_day) > 0  # microseconds survive
    expected = Counter(
        created.date()
        for created in events_matching(location=location).values_list(
            "created_at", flat=True
        )
    )
    assert exported == dict(expected)
    assert len(exported) >= 90

    # Re-run the same range: a replay from the first day rewrites every object.
    for key in first:
        client.delete_object(Bucket=BUCKET, Key=key)
    replayed = services.export_location_replay(
        actor=Actor.system(), location=location, since=min(exported)
    )
    assert replayed == len(first)
    _run_until_done(location)
    assert _download(client, tmp_path / "second") == first
