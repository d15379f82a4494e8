# ruff: noqa: F811 - the fixtures are imported from digest_fixtures by name
import base64
import json
from datetime import timedelta

from auditsite_verify.digest import hour_floor
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.utils import timezone

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
    """Every complete hour gets a digest listing its objects; empty hours too."""
    objects, digests = exported
    assert [d.hour_start for d in digests] == [
        T0 + timedelta(hours=h) for h in range(5)
    ]
    assert [d.object_count for d in digests] == [2, 1, 0, 1, 0]
    empty = json.loads(_digest(s3, digests[2].key)[0])
    assert empty["objects"] == [] and empty["version"] == 2
    assert digests[2].last_position == digests[1].last_position
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
    """Each digest names the previous hour's digest key and signature."""
    _, digests = exported
    for before, after in zip(digests, digests[1:], strict=False):
        data = json.loads(_digest(s3, after.key)[0])
        assert data["previous_digest_key"] == before.key
        assert data["previous_digest_signature"] == before.signature
        assert after.previous == before


def test_running_again_writes_nothing_new(exported, s3, location):
    """Writing due digests is idempotent: a second pass adds no digest."""
    assert (
        digest_write_due(location=location, now=T0 + timedelta(hours=5), client=s3)
        == []
    )
    assert ExportDigest.objects.filter(location=location).count() == 5


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


def test_one_call_writes_at_most_the_configured_hours(s3, location, settings):
    """A long history is digested a bounded number of hours per call, in order."""
    settings.AUDITSITE_EXPORT_DIGEST_HOURS_PER_CALL = 24
    put_exported_objects(s3, location, [T0 - timedelta(days=30)])
    first = digest_write_due(location=location, now=T0, client=s3)
    assert len(first) == 24
    assert first[0].hour_start == T0 - timedelta(days=30)
    second = digest_write_due(location=location, now=T0, client=s3)
    assert second[0].hour_start == first[-1].hour_start + timedelta(hours=1)
    assert second[0].previous == first[-1]


def test_a_pre_existing_chain_goes_on_where_it_stands(s3, location):
    """A location with older digests continues after its newest, not from creation."""
    put_exported_objects(s3, location, [T0 + timedelta(minutes=5)])
    [old] = digest_write_due(location=location, now=T0 + timedelta(hours=1), client=s3)
    put_exported_objects(s3, location, [T0 + timedelta(hours=2, minutes=1)])
    new = digest_write_due(location=location, now=T0 + timedelta(hours=3), client=s3)
    assert [d.hour_start for d in new] == [
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=2),
    ]
    assert new[0].previous == old and new[0].object_count == 0


def test_locations_that_are_not_s3_get_no_digests(s3, location):
    """HTTP destinations have no objects and no digests."""
    type(location).objects.filter(pk=location.pk).update(destination="webhook")
    location.refresh_from_db()
    assert digest_write_due(location=location, now=T0 + timedelta(days=2)) == []
    assert not ExportDigest.objects.exists()


def test_command_writes_every_due_digest_now(s3, location, settings, monkeypatch):
    """`exports digest ID` writes all due hours, however many calls it takes."""
    monkeypatch.setattr("exports.destinations.s3.client_for", lambda location: s3)
    settings.AUDITSITE_EXPORT_DIGEST_HOURS_PER_CALL = 2
    start = hour_floor(timezone.now()) - timedelta(hours=7)
    put_exported_objects(s3, location, [start])
    call_command("exports", "digest", str(location.pk))
    hours = list(location.digests.values_list("hour_start", flat=True))
    assert hours == [start + timedelta(hours=h) for h in range(7)]
