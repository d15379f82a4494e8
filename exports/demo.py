"""The local demo export: `make run` streams the demo events to a moto bucket.

``devserver`` starts moto's S3 server on 127.0.0.1 (``AUDITSITE_DEMO_S3_PORT``,
default 5050), then calls ``demo_export_ensure``. moto keeps its buckets in
memory, so every start finds an empty bucket: the location already there is
replayed from the beginning (same keys, same bytes) and goes on from its
cursor, so the bucket always holds every demo event.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings

from audit.services import Actor
from exports import services
from exports.destinations import s3
from exports.models import ExportLocation

DEMO_NAME = "Demo bucket"
DEMO_BUCKET = "auditsite-demo"
DEMO_PREFIX = "audit"
DEMO_CREDENTIALS = "demo"


def demo_s3_port() -> int:
    return settings.AUDITSITE_DEMO_S3_PORT


def demo_listing_hint(endpoint_url: str) -> str:
    """How to list what the demo exported (shown in the devserver banner)."""
    return (
        f"  aws --endpoint-url {endpoint_url} s3 ls s3://{DEMO_BUCKET} --recursive\n"
        "  or: .venv/bin/python -c \"import boto3; print([o['Key'] for o in "
        f"boto3.client('s3', endpoint_url='{endpoint_url}', region_name='us-east-1',"
        f" aws_access_key_id='demo', aws_secret_access_key='demo')"
        f".list_objects_v2(Bucket='{DEMO_BUCKET}').get('Contents', [])])\""
    )


def demo_export_ensure(*, endpoint_url: str) -> ExportLocation:
    """Create the bucket and the CONTINUOUS "Demo bucket" location (idempotent).

    A location already there is pointed at ``endpoint_url``, verified, and
    replayed from the start (the bucket is new); then a run is queued.
    """
    actor = Actor.system()
    s3.bucket_create(endpoint_url=endpoint_url, bucket=DEMO_BUCKET)
    location = ExportLocation.objects.filter(name=DEMO_NAME).first()
    if location is None:
        location = services.export_location_create(
            actor=actor,
            name=DEMO_NAME,
            bucket=DEMO_BUCKET,
            path_prefix=DEMO_PREFIX,
            endpoint_url=endpoint_url,
            access_key_id=DEMO_CREDENTIALS,
            secret_access_key=DEMO_CREDENTIALS,
            interval=ExportLocation.Interval.CONTINUOUS,
        )
    else:
        if location.endpoint_url != endpoint_url:
            services.export_location_update(
                actor=actor, location=location, endpoint_url=endpoint_url
            )
        services.export_location_verify(actor=actor, location=location)
        services.export_location_replay(
            actor=actor, location=location, since=date(1970, 1, 1)
        )
    services.export_location_run_soon(actor=actor, location=location)
    return location
