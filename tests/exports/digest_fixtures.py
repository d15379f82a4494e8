"""Fixtures for digest and verification tests: a moto bucket and exported objects."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from auditsite_verify.layout import join_key
from moto import mock_aws

from exports.models import ExportLocation, ExportObject, position_encode

BUCKET = "customer-audit"
PREFIX = "auditsite/logs"
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def location(db):
    return ExportLocation.objects.create(
        name="Acme audit bucket", bucket=BUCKET, path_prefix=PREFIX
    )


def put_exported_objects(client, location, created_ats, *, start_seq=0):
    """Put one object per time in ``created_ats`` and record it, contiguously."""
    last = location.export_objects.order_by("-position_to").first()
    position = last.position_to if last else position_encode(0, 0)
    seq = int(position.split("-")[1]) if last else start_seq
    objects = []
    for created_at in created_ats:
        first_seq, seq = seq + 1, seq + 10  # holes are fine: ranges are intervals
        new_position = position_encode(0, seq)
        body = json.dumps([{"id": str(n)} for n in range(first_seq, seq + 1)]).encode()
        key = join_key(
            location.path_prefix,
            f"year={created_at:%Y}/month={created_at:%m}/day={created_at:%d}",
            f"{location.pk}_{position}_{new_position}.json",
        )
        client.put_object(Bucket=location.bucket, Key=key, Body=body)
        objects.append(
            ExportObject.objects.create(
                location=location,
                key=key,
                position_from=position,
                position_to=new_position,
                first_seq=first_seq,
                last_seq=seq,
                event_count=seq - first_seq + 1,
                size_bytes=len(body),
                sha256=hashlib.sha256(body).hexdigest(),
                created_at=created_at,
            )
        )
        position = new_position
    return objects


@pytest.fixture
def exported(s3, location):
    """Three hours of exports (two objects in the first hour), all digested."""
    from exports.services import digest_write_due

    times = [
        T0 + timedelta(minutes=5),
        T0 + timedelta(minutes=50),
        T0 + timedelta(hours=1, minutes=10),
        T0 + timedelta(hours=3, minutes=1),
    ]
    objects = put_exported_objects(s3, location, times)
    digests = digest_write_due(
        location=location, now=T0 + timedelta(hours=5), client=s3
    )
    return objects, digests
