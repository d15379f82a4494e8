"""End to end: a real qcluster process exports to moto's real HTTP server.

See tests/exports/e2e_support.py for how the subprocess shares the test
database on SQLite and PostgreSQL.
"""

import re

import pytest
import requests

from audit import formats
from audit.formats import event_as_spec
from audit.keys import key_new
from audit.models import ApiKey, AuditEvent
from audit.services import Actor
from exports import services
from exports.models import ExportObject
from tests.exports.conftest import BUCKET
from tests.exports.e2e_support import manage_py, s3_client, stop, wait_for
from tests.factories import OrganizationFactory, UserFactory
from tests.spec import SPEC_EVENT_FIELDS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
EVENTS = 45


def _exported(client, prefix: str, file_format: str) -> dict[str, list[dict]]:
    """{key: events} of every export object under ``prefix``."""
    out = {}
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/year=")
    for item in listing.get("Contents", []):
        body = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        out[item["Key"]] = formats.parse(file_format, body)
    return out


def test_qcluster_delivers_continuous_location_once(
    live_server, moto_endpoint, tmp_path
):
    """A running qcluster exports new events to S3 in SPEC format, each once."""
    location = services.export_location_create(
        actor=Actor.system(),
        name="E2E",
        bucket=BUCKET,
        path_prefix="e2e",
        endpoint_url=moto_endpoint,
        access_key_id="e2e",
        secret_access_key="e2e",
        interval="CONTINUOUS",
        file_format="ndjson.gz",
    )
    assert location.connection_status == "SUCCESS"
    # Ingest through the REST API over real HTTP, as another service would.
    OrganizationFactory(name="Acme")
    UserFactory(email="ada@acme.example")
    # A row, not api_key_create: its OperatorAPIKeyCreated would be one more
    # event to deliver than the EVENTS this test counts.
    new = key_new(ApiKey)
    ApiKey.objects.create(name="e2e", prefix=new.prefix, key_hash=new.key_hash)
    key = new.raw_key
    batch = [
        {
            "event_type": "UserMetadataChanged" if n % 2 else "UpdatedOrgName",
            "user_email": "ada@acme.example",
            "org_name": "Acme",
            "event_data": {
                "UserMetadataChanged" if n % 2 else "UpdatedOrgName": {"n": n}
            },
        }
        for n in range(EVENTS)
    ]
    response = requests.post(
        f"{live_server.url}/api/v1/events/",
        json=batch,
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert response.json()["stored"] == EVENTS
    expected = {
        str(e.uuid): event_as_spec(e)
        # The location's own operator events are not in its default filter.
        for e in AuditEvent.objects.exclude(category="operator").order_by("txid", "seq")
    }
    assert len(expected) == EVENTS

    client = s3_client(moto_endpoint)
    log = open(tmp_path / "qcluster.log", "wb")  # noqa: SIM115
    cluster = manage_py(
        "qcluster",
        env={"Q_WORKERS": "1", "AUDITSITE_EXPORT_OBJECT_EVENTS": "20"},
        log=log,
    )
    try:
        # django-q2's scheduler first wakes 30 s after the cluster starts.
        wait_for(
            lambda: (
                sum(len(v) for v in _exported(client, "e2e", "ndjson.gz").values())
                >= EVENTS
            ),
            timeout=60,
        )
    finally:
        stop(cluster)
        log.close()
    objects = _exported(client, "e2e", "ndjson.gz")
    delivered = [event for key in sorted(objects) for event in objects[key]]
    assert delivered, (tmp_path / "qcluster.log").read_text()[-3000:]
    assert sorted(e["id"] for e in delivered) == sorted(expected)  # each once
    for event in delivered:
        assert event == expected[event["id"]]  # SPEC fields, values, order
        assert list(event) == list(SPEC_EVENT_FIELDS)
    assert len(objects) == 3  # 20 + 20 + 5 events
    pattern = re.compile(
        rf"^e2e/year=\d{{4}}/month=\d\d/day=\d\d/{location.pk}_\d{{20}}-\d{{20}}_"
        rf"\d{{20}}-\d{{20}}\.ndjson\.gz$"
    )
    assert all(pattern.match(key) for key in objects)
    recorded = set(
        ExportObject.objects.filter(location=location).values_list("key", flat=True)
    )
    assert recorded == set(objects)
