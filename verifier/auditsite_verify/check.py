"""The checks: signatures, the hourly chain, objects, coverage, unlisted keys.

Like ``aws cloudtrail validate-logs``: every digest under
``<prefix>/digests/`` is checked for its Ed25519 signature, its canonical
form and its link to the previous digest; every object a digest lists is
fetched and its SHA-256 and size checked; the objects' export positions
must follow each other with no gap from the zero position; an object under
the prefix that no digest lists is named; and every hour from a chain's
first digest up to ``until`` must have a digest (version 2 chains).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

from auditsite_verify.digest import iso as _iso
from auditsite_verify.layout import (
    DIGEST_RE,
    OBJECT_NAME_RE,
    ZERO_POSITION,
    canonical_json,
    join_key,
)
from auditsite_verify.report import Report


def _hour_of(key: str) -> datetime:
    match = DIGEST_RE.search(key)
    return datetime.strptime(match["hour"], "%Y%m%dT%H").replace(tzinfo=UTC)


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
