# ruff: noqa: F811 - the fixtures are imported from digest_fixtures by name
import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import auditsite_verify as verify_export
import pytest
from auditsite_verify.layout import canonical_json
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exports import signing
from tests.exports.digest_fixtures import (  # noqa: F401 (fixtures)
    BUCKET,
    PREFIX,
    T0,
    exported,
    location,
    s3,
)
from tests.workers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _keys():
    return verify_export.load_public_keys([signing.current_public_key().raw_base64])


def _verify(s3, **kwargs):
    return verify_export.verify(
        s3, bucket=BUCKET, prefix=PREFIX, public_keys=_keys(), **kwargs
    )


def test_untouched_bucket_verifies_clean(exported, s3):
    """An untouched export verifies: every digest and object valid, no gaps."""
    report = _verify(s3)
    assert report.ok, report.lines()
    assert (report.digests_valid, report.digests_total) == (5, 5)
    assert (report.objects_valid, report.objects_total) == (4, 4)
    assert "5/5 digest files valid" in report.lines()
    assert "4/4 log files valid" in report.lines()


def test_verify_test_objects_are_ignored(exported, s3):
    """The connection check's verify-test-* objects are not unlisted objects."""
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/verify-test-20260301T100000Z", Body=b"")
    assert _verify(s3).ok


def test_deleted_object_is_named_missing(exported, s3):
    """A deleted object is reported as a missing log file."""
    objects, _ = exported
    s3.delete_object(Bucket=BUCKET, Key=objects[1].key)
    report = _verify(s3)
    assert not report.ok
    assert report.missing_objects == [objects[1].key]
    assert f"1 log file missing: {objects[1].key}" in report.lines()


def test_changed_byte_is_named_invalid(exported, s3):
    """One flipped byte in an object makes that log file INVALID."""
    objects, _ = exported
    body = bytearray(s3.get_object(Bucket=BUCKET, Key=objects[2].key)["Body"].read())
    body[5] ^= 0x01
    s3.put_object(Bucket=BUCKET, Key=objects[2].key, Body=bytes(body))
    report = _verify(s3)
    assert report.invalid_objects == [objects[2].key]
    assert report.missing_objects == []
    assert f"1 log file INVALID: {objects[2].key}" in report.lines()


def test_deleted_digest_is_named_and_breaks_coverage(exported, s3):
    """A deleted digest is named missing; its objects become unlisted, a gap."""
    objects, digests = exported
    s3.delete_object(Bucket=BUCKET, Key=digests[1].key)
    report = _verify(s3)
    assert report.missing_digests == [digests[1].key]
    assert report.unlisted_objects == [objects[2].key]
    assert len(report.coverage_breaks) == 1
    assert report.coverage_breaks[0].startswith(objects[1].key)


def test_deleted_newest_digest_is_caught_with_the_database_record(exported, s3):
    """The newest digest's deletion shows when auditsite's record is compared."""
    _, digests = exported
    s3.delete_object(Bucket=BUCKET, Key=digests[-1].key)
    report = _verify(s3, expected_digest_keys=[d.key for d in digests])
    assert report.missing_digests == [digests[-1].key]


def test_cut_off_tail_names_the_first_missing_hour(exported, s3):
    """Deleting the newest digests and their objects fails, naming the hour."""
    objects, digests = exported
    for key in (digests[3].key, digests[4].key, objects[3].key):
        s3.delete_object(Bucket=BUCKET, Key=key)
    report = _verify(s3, until=T0 + timedelta(hours=5))
    assert not report.ok
    assert report.missing_hours == ["2026-03-01T13:00:00Z", "2026-03-01T14:00:00Z"]
    assert (
        "First missing hour: 2026-03-01T13:00:00Z (2 hour(s) without a digest)"
        in report.lines()
    )
    assert report.lines()[-1] == "FAILED"


def test_empty_hours_have_digests_and_verify(exported, s3):
    """The empty hours' digests are there, and the whole chain verifies."""
    _, digests = exported
    report = _verify(s3, until=T0 + timedelta(hours=5))
    assert report.ok, report.lines()
    assert report.missing_hours == [] and report.digests_valid == 5
    assert digests[2].object_count == digests[4].object_count == 0


def test_a_missing_empty_hour_inside_the_chain_is_named(exported, s3):
    """A deleted empty-hour digest is a hole in the hourly chain."""
    _, digests = exported
    s3.delete_object(Bucket=BUCKET, Key=digests[2].key)
    report = _verify(s3)
    assert report.missing_hours == ["2026-03-01T12:00:00Z"]
    assert report.missing_digests == [digests[2].key]


def test_before_the_first_digest_nothing_is_verified(s3, location):
    """A bucket with no digest yet is not OK: nothing verified yet."""
    report = _verify(s3, until=T0)
    assert not report.ok and report.nothing_verified
    assert (
        f"nothing verified yet: no digest under s3://{BUCKET}/{PREFIX}/digests/"
        in report.lines()
    )


def test_edited_digest_is_invalid(exported, s3):
    """A digest edited to hide an object fails its signature check."""
    objects, digests = exported
    response = s3.get_object(Bucket=BUCKET, Key=digests[0].key)
    data = json.loads(response["Body"].read())
    data["objects"] = data["objects"][:1]
    s3.put_object(
        Bucket=BUCKET,
        Key=digests[0].key,
        Body=canonical_json(data),
        Metadata=response["Metadata"],
    )
    report = _verify(s3)
    assert not report.ok
    assert report.invalid_digests[0].startswith(digests[0].key)
    assert f"digest INVALID: {report.invalid_digests[0]}" in report.lines()


def test_digest_signed_with_another_key_is_invalid(exported, s3):
    """A digest forged and re-signed with a key auditsite does not hold fails."""
    _, digests = exported
    body = s3.get_object(Bucket=BUCKET, Key=digests[1].key)["Body"].read()
    forger = Ed25519PrivateKey.generate()
    s3.put_object(
        Bucket=BUCKET,
        Key=digests[1].key,
        Body=body,
        Metadata={"signature": base64.b64encode(forger.sign(body)).decode()},
    )
    report = _verify(s3)
    # The forged digest fails its signature, and the next digest's link to it
    # (which repeats the genuine signature) no longer matches either.
    assert [d.split(" ")[0] for d in report.invalid_digests] == [
        digests[1].key,
        digests[2].key,
    ]
    assert "signature does not match" in report.invalid_digests[0]


def test_object_the_chain_does_not_list_is_named(exported, s3, location):
    """An extra object inside the digested range is an unlisted object."""
    objects, _ = exported
    key = objects[0].key.replace(".json", "-copy.json")
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"[]")
    report = _verify(s3)
    assert report.unlisted_objects == [key]
    assert f"Unlisted object: {key}" in report.lines()


def test_objects_newer_than_the_last_digest_are_pending_not_errors(
    exported, s3, location
):
    """Objects written after the newest digest are reported as pending only."""
    from tests.exports.digest_fixtures import put_exported_objects

    new = put_exported_objects(s3, location, [T0 + timedelta(hours=9)])
    report = _verify(s3)
    assert report.ok
    assert report.pending_objects == [new[0].key]


def test_date_range_checks_only_digests_in_range(exported, s3):
    """--from/--to restrict the check to digests whose hour is in range."""
    objects, _ = exported
    s3.delete_object(Bucket=BUCKET, Key=objects[0].key)
    start = T0 + timedelta(hours=1)
    report = _verify(s3, start=start, end=datetime(2026, 3, 2, tzinfo=UTC))
    assert report.ok, report.lines()
    assert (report.digests_total, report.objects_total) == (4, 2)
    assert not _verify(s3, start=T0, end=start).ok


@pytest.fixture
def moto_server():
    from moto.server import ThreadedMotoServer

    # Port 0: the server binds a port the kernel picks, no race for it.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_standalone_script_agrees(moto_server, location, monkeypatch):
    """auditsite-verify, run as its own process against a moto server, agrees."""
    import boto3

    from exports.services import digest_write_due
    from tests.exports.digest_fixtures import put_exported_objects

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    client.create_bucket(Bucket=BUCKET)
    objects = put_exported_objects(client, location, [T0, T0 + timedelta(hours=2)])
    digest_write_due(location=location, now=T0 + timedelta(hours=4), client=client)

    def run(*extra, endpoint=moto_server, env=None):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "auditsite_verify",
                "--bucket",
                BUCKET,
                "--prefix",
                PREFIX,
                "--public-key",
                signing.current_public_key().raw_base64,
                "--endpoint-url",
                endpoint,
                "--region",
                "us-east-1",
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT / "verifier",  # this repository's package, installed or not
            env=env
            or {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"},
        )

    to = ("--to", "2026-03-01T14:00:00Z")
    clean = run(*to)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "4/4 digest files valid" in clean.stdout
    assert "2/2 log files valid" in clean.stdout

    # By default every hour up to two hours ago must have a digest.
    stale = run()
    assert stale.returncode == 1
    assert "First missing hour: 2026-03-01T14:00:00Z" in stale.stdout

    # No AWS credentials anywhere: the bucket is read anonymously, and no
    # instance metadata service is asked. A private bucket: one clear line.
    bare = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    bare |= {
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
    }
    refused = run(*to, env=bare)
    assert refused.returncode == 3
    assert refused.stderr.startswith(f"auditsite-verify: cannot read s3://{BUCKET}: ")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "no AWS credentials found" in refused.stderr
    assert "Traceback" not in refused.stderr
    closed = run(*to, endpoint=f"http://127.0.0.1:{free_port()}", env=bare)
    assert closed.returncode == 3 and len(closed.stderr.strip().splitlines()) == 1
    # A bucket that allows anonymous reads verifies without credentials.
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            }
        ],
    }
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(public_read))
    anonymous = run(*to, env=bare)
    assert anonymous.returncode == 0, anonymous.stdout + anonymous.stderr

    client.delete_object(Bucket=BUCKET, Key=objects[1].key)
    broken = run("--json", *to)
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["missing_objects"] == [objects[1].key]


def test_management_command_names_problems_and_exits_non_zero(
    exported, s3, location, monkeypatch, capsys
):
    """`manage.py verify_export ID` prints the summary; a problem exits with 1."""
    from django.core.management import call_command

    monkeypatch.setattr("exports.destinations.s3.client_for", lambda location: s3)
    monkeypatch.setattr("exports.verification.client_for", lambda location: s3)
    to = ("--to", "2026-03-01T15:00:00Z")
    call_command("verify_export", str(location.pk), *to)
    assert "5/5 digest files valid" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:  # default --to: two hours ago
        call_command("verify_export", str(location.pk))
    assert exit_info.value.code == 1
    assert "First missing hour: 2026-03-01T15:00:00Z" in capsys.readouterr().out
    objects, _ = exported
    s3.delete_object(Bucket=BUCKET, Key=objects[0].key)
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_export", str(location.pk), "--from", "2026-03-01", *to)
    assert exit_info.value.code == 1
    assert f"1 log file missing: {objects[0].key}" in capsys.readouterr().out


def test_admin_action_shows_the_result(exported, s3, location, monkeypatch, client):
    """The location admin's "verify integrity" action reports the result."""
    from django.urls import reverse

    from tests.factories import UserFactory

    monkeypatch.setattr("exports.verification.client_for", lambda location: s3)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse("admin:exports_exportlocation_changelist")
    response = client.post(
        changelist,
        {"action": "verify_integrity", "_selected_action": [str(location.pk)]},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any("5/5 digest files valid" in t and t.endswith("OK") for t in texts)
    digests = client.get(reverse("admin:exports_exportdigest_changelist"))
    key_notes = [str(m) for m in digests.context["messages"]]
    assert any(signing.current_public_key().fingerprint in t for t in key_notes)


def test_hourly_task_writes_every_locations_digests(
    s3, location, monkeypatch, settings
):
    """The hourly task writes due digests for each location."""
    from exports.models import ExportDigest
    from exports.tasks import digests_write_all
    from tests.exports.digest_fixtures import put_exported_objects

    monkeypatch.setattr("exports.destinations.s3.client_for", lambda location: s3)
    settings.AUDITSITE_EXPORT_DIGEST_HOURS_PER_CALL = 3
    put_exported_objects(s3, location, [datetime(2020, 1, 1, tzinfo=UTC)])
    assert digests_write_all() == 3  # bounded: the next call goes on
    first = ExportDigest.objects.order_by("hour_start").first()
    assert first.hour_start == datetime(2020, 1, 1, tzinfo=UTC)
