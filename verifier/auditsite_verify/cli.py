"""The ``auditsite-verify`` command (also ``python -m auditsite_verify``).

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

    auditsite-verify --bucket B --prefix P --public-key KEY_OR_URL \\
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
import json
import sys
from datetime import UTC, datetime, timedelta

from auditsite_verify.check import verify
from auditsite_verify.keys import load_public_keys

DESCRIPTION = "Verify an auditsite S3 export: digests, objects and coverage."


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
    return f"auditsite-verify: cannot read s3://{bucket}: {reason}{hint}"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the exit status (0 verified, 1 a problem or
    nothing verified yet, 2 bad arguments, 3 the bucket could not be read)."""
    parser = argparse.ArgumentParser(prog="auditsite-verify", description=DESCRIPTION)
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
