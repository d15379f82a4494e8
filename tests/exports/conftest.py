import urllib.request

import boto3
import pytest
from moto import mock_aws

from audit.services import Actor
from exports import services
from exports.services.org_streams import org_stream_create

BUCKET = "customer-audit"
# An org stream's S3 secret: the org pages must never show it.
ORG_STREAM_SECRET = "s3cr3t-value-never-shown"


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.AUDITSITE_EXPORT_S3_MAX_ATTEMPTS = 2


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def bucket_objects(client, bucket=BUCKET, prefix=""):
    """{key: bytes} of every object (verify-test objects left out)."""
    out = {}
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix
    )
    for page in pages:
        for item in page.get("Contents", []):
            if "verify-test-" in item["Key"]:
                continue
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            out[item["Key"]] = body
    return out


@pytest.fixture
def make_location(db, aws):
    def make(**kwargs):
        values = {
            "actor": Actor.system(),
            "name": "Acme bucket",
            "bucket": BUCKET,
            "path_prefix": "audit/",
            "access_key_id": "AKIAEXAMPLE",
            "secret_access_key": "s3cr3t-value",
            "interval": "EVERY_5_MINUTES",
        }
        values.update(kwargs)
        return services.export_location_create(**values)

    return make


@pytest.fixture
def make_org_stream(db):
    """Makes an org's log stream through the service, as System: S3 (``BUCKET``,
    verified against ``aws`` when the test has it) unless ``fields`` name
    another destination; ``fields`` override the defaults."""

    def make(org, **fields):
        values = {"name": "Acme bucket", "interval": "EVERY_5_MINUTES"}
        if fields.get("destination", "s3") == "s3":
            values.update(
                bucket=BUCKET,
                access_key_id="AKIAEXAMPLE",
                secret_access_key=ORG_STREAM_SECRET,
            )
        values.update(fields)
        return org_stream_create(actor=Actor.system(), org=org, **values)

    return make


@pytest.fixture
def owner_client(client, member):
    """A client signed in as the org's owner (``member``)."""
    client.force_login(member)
    return client


@pytest.fixture
def moto_endpoint(monkeypatch):
    """moto's real HTTP server on a free 127.0.0.1 port, with ``BUCKET``."""
    from moto.server import ThreadedMotoServer

    from tests.exports.e2e_support import s3_client

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "e2e")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "e2e")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto's state is per process, not per server: start from nothing.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", b""))
    s3_client(endpoint).create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()
