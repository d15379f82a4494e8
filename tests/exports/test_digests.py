# ruff: noqa: F811 - the fixtures are imported from digest_fixtures by name
import base64
import json
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from exports import signing
from exports.models import ExportDigest
from exports.services import digest_write_due
from tests.exports.digest_fixtures import (  # noqa: F401 (fixtures)
    BUCKET,
    PREFIX,
    T0,
    exported,
    location,
    put_exported_objects,
    s3,
)


def _digest(s3, key):
    response = s3.get_object(Bucket=BUCKET, Key=key)
    return response["Body"].read(), response["Metadata"]


def test_one_signed_digest_per_hour_with_objects(exported, s3, location):
    """Hours with objects get a digest listing them; the empty hour gets none."""
    objects, digests = exported
    assert [d.hour_start for d in digests] == [
        T0,
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=3),
    ]
    assert digests[0].key == (
        f"{PREFIX}/digests/year=2026/month=03/day=01/"
        f"{location.pk}_20260301T100000Z_digest.json"
    )
    body, metadata = _digest(s3, digests[0].key)
    data = json.loads(body)
    assert [o["key"] for o in data["objects"]] == [objects[0].key, objects[1].key]
    assert data["objects"][0]["sha256"] == objects[0].sha256
    assert data["objects"][1]["position_from"] == objects[0].position_to
    assert data["digest_start"] == "2026-03-01T10:00:00Z"
    assert data["digest_end"] == "2026-03-01T11:00:00Z"
    assert data["previous_digest_key"] is None
    public = Ed25519PublicKey.from_public_bytes(
        base64.b64decode(signing.current_public_key().raw_base64)
    )
    public.verify(base64.b64decode(metadata["signature"]), body)
    assert data["public_key_fingerprint"] == signing.current_public_key().fingerprint


def test_digests_chain_across_empty_hours(exported, s3):
    """Each digest names the previous digest's key and signature, gaps or not."""
    _, digests = exported
    third = json.loads(_digest(s3, digests[2].key)[0])
    assert third["previous_digest_key"] == digests[1].key
    assert third["previous_digest_signature"] == digests[1].signature
    assert digests[2].previous == digests[1]


def test_running_again_writes_nothing_new(exported, s3, location):
    """Writing due digests is idempotent: a second pass adds no digest."""
    assert (
        digest_write_due(location=location, now=T0 + timedelta(hours=6), client=s3)
        == []
    )
    assert ExportDigest.objects.filter(location=location).count() == 3


def test_current_hour_waits_until_complete(s3, location):
    """Objects of the hour still running are digested only once it has ended."""
    put_exported_objects(s3, location, [T0 + timedelta(minutes=20)])
    now = T0 + timedelta(minutes=40)
    assert digest_write_due(location=location, now=now, client=s3) == []
    later = digest_write_due(location=location, now=T0 + timedelta(hours=1), client=s3)
    assert len(later) == 1


def test_late_object_goes_into_the_next_digest(exported, s3, location):
    """An object recorded for an hour already digested is listed by the next one."""
    _, digests = exported
    late = put_exported_objects(s3, location, [T0 + timedelta(minutes=59)])
    new = digest_write_due(location=location, now=T0 + timedelta(hours=6), client=s3)
    assert len(new) == 1
    assert new[0].hour_start == digests[-1].hour_start + timedelta(hours=1)
    data = json.loads(_digest(s3, new[0].key)[0])
    assert [o["key"] for o in data["objects"]] == [late[0].key]
    assert data["previous_digest_key"] == digests[-1].key
