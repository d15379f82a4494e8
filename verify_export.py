#!/usr/bin/env python3
"""Verify an auditsite S3 export: digests, objects and coverage.

Standalone: needs only boto3 and cryptography, so a customer can check their
bucket without auditsite. Like ``aws cloudtrail validate-logs``, it reads
every digest under ``<prefix>/digests/``, checks each digest's Ed25519
signature and its link to the previous digest, fetches every object a digest
lists and checks its SHA-256 and size, checks that the objects' export
positions follow each other with no gap, names every object under the
prefix that no digest lists, and demands a digest for every hour from the
first digest up to ``--to`` (default: two hours ago; auditsite writes one per
hour, empty or not), naming the first missing hour: a bucket whose newest
digests and objects were deleted does not pass for a quiet end.

    python verify_export.py --bucket B --prefix P --public-key KEY_OR_URL \\
        [--endpoint-url URL] [--region R] [--location-id ID] \\
        [--from DATE] [--to DATE] [--json]

``--public-key`` takes a base64 raw key, a PEM file, or the URL of
auditsite's ``/.well-known/auditsite-export-key``; repeat it to accept
several keys (rotation). Credentials come from the usual AWS environment;
with none, the bucket is read anonymously (a bucket or endpoint that allows
public reads). Reading needs ``s3:ListBucket`` and ``s3:GetObject``. Exit
status 0 means everything verified; 1 means a problem was found, or nothing
is verified yet (no digest); 2 means bad arguments; 3 means the bucket could
not be read (one line on stderr says why).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

ZERO_POSITION = "0" * 20 + "-" + "0" * 20
DIGEST_RE = re.compile(
    r"(?:^|/)digests/year=\d{4}/month=\d{2}/day=\d{2}/"
    r"(?P<location>[^/_]+)_(?P<hour>\d{8}T\d{2})0000Z_digest\.json$"
)
OBJECT_NAME_RE = re.compile(
    r"^(?P<location>[^/_]+)_(?P<from>\d{20}-\d{20})_(?P<to>\d{20}-\d{20})\."
)


def join_key(prefix: str, *parts: str) -> str:
    """Join an S3 prefix and key parts with single slashes."""
    items = [prefix.strip("/")] if prefix.strip("/") else []
    return "/".join([*items, *(p.strip("/") for p in parts)])


def canonical_json(data: dict) -> bytes:
    """The exact bytes a digest is signed over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


# --- public keys --------------------------------------------------------------


def load_public_keys(values: list[str]) -> dict:
    """Public keys by fingerprint, from base64, PEM files or auditsite's URL."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys = {}

    def add_raw(raw: bytes) -> None:
        keys[hashlib.sha256(raw).hexdigest()] = Ed25519PublicKey.from_public_bytes(raw)

    for value in values:
        value = value.strip()
        if value.startswith(("http://", "https://")):
            with urllib.request.urlopen(value, timeout=30) as response:  # noqa: S310
                published = json.load(response)
            for item in [published, *published.get("previous_keys", [])]:
                add_raw(base64.b64decode(item["public_key"]))
        elif value.startswith("-----BEGIN") or value.endswith(".pem"):
            text = value if value.startswith("-----BEGIN") else open(value).read()
            key = serialization.load_pem_public_key(text.encode())
            add_raw(
                key.public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                )
            )
        else:
            add_raw(base64.b64decode(value))
    return keys


# --- the report -----------------------------------------------------------------


@dataclass
class Report:
    bucket: str
    prefix: str
    requested_from: str | None = None
    requested_to: str | None = None
    found_from: str | None = None
    found_to: str | None = None
    digests_total: int = 0
    digests_valid: int = 0
    objects_total: int = 0
    objects_valid: int = 0
    invalid_digests: list[str] = field(default_factory=list)
    missing_digests: list[str] = field(default_factory=list)
    invalid_objects: list[str] = field(default_factory=list)
    missing_objects: list[str] = field(default_factory=list)
    coverage_breaks: list[str] = field(default_factory=list)
    unlisted_objects: list[str] = field(default_factory=list)
    pending_objects: list[str] = field(default_factory=list)
    # Hours with no digest between the first digest and ``required_to`` (or
    # between two digests of an hourly chain), the first ones; and how many.
    required_to: str | None = None
    missing_hours: list[str] = field(default_factory=list)
    missing_hours_count: int = 0
    nothing_verified: bool = False

    @property
    def ok(self) -> bool:
        return not (
            self.nothing_verified
            or self.missing_hours_count
            or self.invalid_digests
            or self.missing_digests
            or self.invalid_objects
            or self.missing_objects
            or self.coverage_breaks
            or self.unlisted_objects
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}

    def lines(self) -> list[str]:
        """Human output in the manner of ``aws cloudtrail validate-logs``."""
        out = [f"Validating digests and log files for s3://{self.bucket}/{self.prefix}"]
        out.append(
            f"Results requested for {self.requested_from or 'the first digest'} "
            f"to {self.requested_to or 'the last digest'}"
        )
        if self.required_to:
            out.append(f"A digest is required for every hour up to {self.required_to}")
        if self.found_from:
            out.append(f"Results found for {self.found_from} to {self.found_to}:")
        else:
            out.append("No digests found.")
        if self.nothing_verified:
            out.append(
                f"nothing verified yet: no digest under s3://{self.bucket}/"
                f"{join_key(self.prefix, 'digests')}/"
            )
        out.append("")
        out.append(f"{self.digests_valid}/{self.digests_total} digest files valid")
        for key in self.invalid_digests:
            out.append(f"digest INVALID: {key}")
        for key in self.missing_digests:
            out.append(f"digest missing: {key}")
        if self.missing_hours_count:
            out.append(
                f"First missing hour: {self.missing_hours[0]} "
                f"({self.missing_hours_count} hour(s) without a digest)"
            )
        out.append(f"{self.objects_valid}/{self.objects_total} log files valid")
        for key in self.invalid_objects:
            out.append(f"1 log file INVALID: {key}")
        for key in self.missing_objects:
            out.append(f"1 log file missing: {key}")
        for text in self.coverage_breaks:
            out.append(f"Coverage break after {text}")
        for key in self.unlisted_objects:
            out.append(f"Unlisted object: {key}")
        if self.pending_objects:
            out.append(
                f"{len(self.pending_objects)} log file(s) newer than the last digest "
                "(not yet in a digest)"
            )
        out.append("OK" if self.ok else "FAILED")
        return out


# --- verification ---------------------------------------------------------------


def _hour_of(key: str) -> datetime:
    match = DIGEST_RE.search(key)
    return datetime.strptime(match["hour"], "%Y%m%dT%H").replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _list_keys(client, bucket: str, prefix: str) -> list[str]:
    list_prefix = join_key(prefix, "") if prefix.strip("/") else ""
    keys = []
    kwargs = {"Bucket": bucket, "Prefix": list_prefix}
    while True:
        page = client.list_objects_v2(**kwargs)
        keys.extend(item["Key"] for item in page.get("Contents", []))
        if not page.get("IsTruncated"):
            return keys
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def _get(client, bucket: str, key: str):
    """(body, metadata) of an object, or None when it does not exist."""
    from botocore.exceptions import ClientError

    try:
        response = client.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None
        raise
    return response["Body"].read(), response.get("Metadata", {})


def _check_signature(body: bytes, metadata: dict, public_keys: dict) -> str | None:
    """None when the digest is signed by a known key, else the reason."""
    from cryptography.exceptions import InvalidSignature

    try:
        data = json.loads(body)
    except ValueError:
        return "not JSON"
    key = public_keys.get(data.get("public_key_fingerprint"))
    if key is None:
        return "signed by an unknown key"
    signature = metadata.get("signature", "")
    try:
        key.verify(base64.b64decode(signature), body)
    except (InvalidSignature, ValueError):
        return "signature does not match"
    if canonical_json(data) != body:
        return "not in canonical form"
    return None


def verify(
    client,
    *,
    bucket: str,
    prefix: str,
    public_keys: dict,
    location_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    expected_digest_keys: list[str] | None = None,
    until: datetime | None = None,
) -> Report:
    """Check the export under ``s3://bucket/prefix`` and return the report.

    ``client`` is a boto3 S3 client. ``start``/``end`` restrict the check to
    digests whose hour starts in ``[start, end)``. ``until`` demands a digest
    for every hour that ends by then, from each chain's first digest on (the
    command line's ``--to``, default two hours ago). ``expected_digest_keys``
    (what auditsite's database recorded) names digests that must exist.
    """
    report = Report(
        bucket=bucket,
        prefix=prefix,
        requested_from=_iso(start) if start else None,
        requested_to=_iso(end) if end else None,
        required_to=_iso(until) if until else None,
    )
    all_keys = _list_keys(client, bucket, prefix)
    present = set(all_keys)
    digests_root = join_key(prefix, "digests") + "/"
    digest_keys = sorted(
        (k for k in all_keys if k.startswith(digests_root) and DIGEST_RE.search(k)),
        key=lambda k: (DIGEST_RE.search(k)["location"], _hour_of(k)),
    )
    locations = {DIGEST_RE.search(k)["location"] for k in digest_keys}
    if location_id:
        locations = {location_id}
        digest_keys = [
            k for k in digest_keys if DIGEST_RE.search(k)["location"] == location_id
        ]
    for key in expected_digest_keys or []:
        if key not in present:
            report.missing_digests.append(key)

    if not digest_keys:
        report.nothing_verified = True
    listed: set[str] = set()
    chain_end: dict[str, str] = {}
    found = []
    for location in sorted(locations):
        chain = [k for k in digest_keys if DIGEST_RE.search(k)["location"] == location]
        chain_end[location], versions = _verify_chain(
            client, bucket, chain, start, end, public_keys, report, listed, present
        )
        label = f" (location {location})" if len(locations) > 1 else ""
        for hour in _missing_hours(versions, start, end, until):
            report.missing_hours_count += 1
            if len(report.missing_hours) < 100:
                report.missing_hours.append(_iso(hour) + label)
        for key in chain:
            hour = _hour_of(key)
            if (start is None or hour >= start) and (end is None or hour < end):
                found.append(hour)
    if found:
        report.found_from = _iso(min(found))
        report.found_to = _iso(max(found) + timedelta(hours=1))

    if start is None and end is None:
        _find_unlisted(all_keys, prefix, listed, locations, chain_end, report)
    return report


def _missing_hours(versions, start, end, until):
    """The hours of one chain with no digest, in order.

    ``versions`` maps each digest's hour to its format version. From version
    2 on every hour gets a digest, so a jump before one is missing hours;
    after the newest, every hour that ends by ``until`` must have one.
    """
    hour_step = timedelta(hours=1)
    hours = sorted(versions)
    if not hours:
        return

    def wanted(hour):
        return (start is None or hour >= start) and (end is None or hour < end)

    for before, after in zip(hours, hours[1:], strict=False):
        if versions[after] >= 2:
            hour = before + hour_step
            while hour < after:
                if wanted(hour):
                    yield hour
                hour += hour_step
    if until is not None:
        hour = hours[-1] + hour_step
        while hour + hour_step <= until:
            if wanted(hour):
                yield hour
            hour += hour_step


def _verify_chain(
    client, bucket, chain, start, end, public_keys, report, listed, present
) -> tuple[str, dict]:
    """Check one location's digests in order.

    Returns where its coverage ends and each digest's hour -> format version.
    """
    previous_key = None
    previous_signature = None
    previous_position = None
    previous_object = None
    in_range_started = False
    versions: dict[datetime, int] = {}
    for key in chain:
        hour = _hour_of(key)
        in_range = (start is None or hour >= start) and (end is None or hour < end)
        fetched = _get(client, bucket, key)
        if fetched is None:  # deleted between list and get
            report.missing_digests.append(key)
            continue
        body, metadata = fetched
        problem = _check_signature(body, metadata, public_keys)
        data = json.loads(body) if problem != "not JSON" else {}
        version = data.get("version", 1) if isinstance(data, dict) else 1
        versions[hour] = version if isinstance(version, int) else 1
        if problem is None and data.get("digest_start") != _iso(hour):
            problem = "digest_start does not match its key"
        if in_range:
            report.digests_total += 1
        if problem is not None:
            if in_range:
                report.invalid_digests.append(f"{key} ({problem})")
            previous_key, previous_signature = key, metadata.get("signature")
            continue
        link_from = data.get("previous_digest_key")
        if in_range:
            if link_from != previous_key or (
                previous_key is not None
                and data.get("previous_digest_signature") != previous_signature
            ):
                if link_from and link_from not in present:
                    report.missing_digests.append(link_from)
                else:
                    report.invalid_digests.append(
                        f"{key} (previous digest link does not match {previous_key})"
                    )
            else:
                report.digests_valid += 1
        for item in data.get("objects", []):
            listed.add(item["key"])
            if not in_range:
                previous_position = item["position_to"]
                previous_object = item["key"]
                continue
            report.objects_total += 1
            expected_from = previous_position
            if expected_from is None and not in_range_started:
                expected_from = ZERO_POSITION if link_from is None else None
            if expected_from is not None and item["position_from"] != expected_from:
                report.coverage_breaks.append(
                    f"{previous_object or '(start of export)'}: next object "
                    f"{item['key']} starts at {item['position_from']}, expected "
                    f"{expected_from}"
                )
            in_range_started = True
            previous_position = item["position_to"]
            previous_object = item["key"]
            got = _get(client, bucket, item["key"])
            if got is None:
                report.missing_objects.append(item["key"])
            elif (
                len(got[0]) != item["size"]
                or hashlib.sha256(got[0]).hexdigest() != item["sha256"]
            ):
                report.invalid_objects.append(item["key"])
            else:
                report.objects_valid += 1
        previous_key, previous_signature = key, metadata.get("signature")
    return previous_position or ZERO_POSITION, versions


def _find_unlisted(all_keys, prefix, listed, locations, chain_end, report):
    digests_root = join_key(prefix, "digests") + "/"
    for key in all_keys:
        name = key.rsplit("/", 1)[-1]
        if key in listed or key.startswith(digests_root):
            continue
        if name.startswith("verify-test-"):
            continue
        match = OBJECT_NAME_RE.match(name)
        if match and match["location"] not in locations and len(locations) > 1:
            continue
        if (
            match
            and match["location"] in chain_end
            and match["from"] >= chain_end[match["location"]]
        ):
            # Written after the newest digest: the next digest will list it.
            report.pending_objects.append(key)
            continue
        if match and not locations:
            report.pending_objects.append(key)
            continue
        report.unlisted_objects.append(key)


# --- command line ---------------------------------------------------------------


def parse_moment(value: str, *, end: bool = False) -> datetime:
    """A date (whole day; ``end`` makes it inclusive) or an ISO date-time, UTC."""
    if len(value) == 10:
        moment = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def credentials_found() -> bool:
    """Whether boto3 finds AWS credentials (environment, profile, instance role)."""
    import boto3

    return boto3.Session().get_credentials() is not None


def s3_client(*, endpoint_url: str | None, region: str | None, anonymous: bool):
    """A boto3 S3 client; ``anonymous`` sends unsigned requests.

    Unsigned is what ``aws s3 --no-sign-request`` does: it works where the
    bucket (or the S3-compatible endpoint) allows anonymous reads.
    """
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(signature_version=UNSIGNED) if anonymous else None
    return boto3.client(
        "s3", endpoint_url=endpoint_url or None, region_name=region, config=config
    )


def _read_error(exc: Exception, *, bucket: str, anonymous: bool) -> str:
    """One line saying why the bucket could not be read."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        reason = f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    else:
        reason = str(exc) or type(exc).__name__
    hint = (
        " (no AWS credentials found, so the bucket was read anonymously; set "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE if it is not "
        "public)"
        if anonymous
        else ""
    )
    return f"verify_export: cannot read s3://{bucket}: {reason}{hint}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--public-key", action="append", required=True)
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region")
    parser.add_argument("--location-id")
    parser.add_argument("--from", dest="start")
    parser.add_argument(
        "--to",
        dest="end",
        help="last day (inclusive) or ISO time to check, and up to which every "
        "hour must have a digest (default: two hours ago)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        start = parse_moment(args.start) if args.start else None
        end = parse_moment(args.end, end=True) if args.end else None
        public_keys = load_public_keys(args.public_key)
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    until = end or datetime.now(UTC) - timedelta(hours=2)

    from botocore.exceptions import BotoCoreError, ClientError

    anonymous = not credentials_found()
    try:
        client = s3_client(
            endpoint_url=args.endpoint_url, region=args.region, anonymous=anonymous
        )
        report = verify(
            client,
            bucket=args.bucket,
            prefix=args.prefix,
            public_keys=public_keys,
            location_id=args.location_id,
            start=start,
            end=end,
            until=until,
        )
    except (BotoCoreError, ClientError, ValueError) as exc:
        print(
            _read_error(exc, bucket=args.bucket, anonymous=anonymous), file=sys.stderr
        )
        return 3
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
