import urllib.request

from exports import demo, services
from exports.models import ExportLocation
from tests.exports.e2e_support import s3_client
from tests.factories import AuditEventFactory


def _demo_keys(endpoint):
    listing = s3_client(endpoint).list_objects_v2(
        Bucket=demo.DEMO_BUCKET, Prefix=f"{demo.DEMO_PREFIX}/year="
    )
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_demo_export_survives_a_moto_restart(db, moto_endpoint):
    """The demo location is made once; after moto restarts, its objects return."""
    events = [AuditEventFactory() for _ in range(3)]
    location = demo.demo_export_ensure(endpoint_url=moto_endpoint)
    assert location.interval == "CONTINUOUS"
    assert location.connection_status == "SUCCESS"
    services.export_location_run(location_id=location.pk)
    keys = _demo_keys(moto_endpoint)
    assert len(keys) == 1

    # moto keeps buckets in memory: a restart loses the bucket.
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_endpoint}/moto-api/reset", b"")
    )
    again = demo.demo_export_ensure(endpoint_url=moto_endpoint)
    assert again.pk == location.pk
    assert ExportLocation.objects.filter(name=demo.DEMO_NAME).count() == 1
    AuditEventFactory()
    services.export_location_run(location_id=location.pk)
    restored = _demo_keys(moto_endpoint)
    assert len(restored) == 2 and keys[0] in restored
    delivered = sum(o.event_count for o in location.export_objects.all())
    assert delivered == len(events) + 1
