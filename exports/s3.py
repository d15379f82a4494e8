"""Everything that talks to S3 and STS: the only module that imports boto3.

Clients are built per location: an access key, or an IAM role assumed with
STS ``AssumeRole`` and ``ExternalId`` = the location's id. botocore's
"standard" retry mode retries throttling, 5xx and connection errors with
exponential backoff; what still fails comes out as ``DestinationError`` with
``retryable`` telling a transient fault from a permission or configuration
problem (which needs a human).
"""

from __future__ import annotations

import boto3
import botocore.exceptions
from botocore.config import Config
from django.conf import settings

from exports.crypto import secret_decrypt

ROLE_SESSION_NAME = "auditsite-export"
# Errors that a later attempt may not hit: throttling, server faults.
_RETRYABLE_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "RequestLimitExceeded",
}


class DestinationError(Exception):
    """S3 or STS refused or failed; ``str()`` is AWS's own message."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def _config() -> Config:
    timeout = float(getattr(settings, "AUDITSITE_EXPORT_S3_TIMEOUT", 10))
    return Config(
        retries={
            "mode": "standard",
            "max_attempts": int(
                getattr(settings, "AUDITSITE_EXPORT_S3_MAX_ATTEMPTS", 5)
            ),
        },
        connect_timeout=timeout,
        read_timeout=timeout,
        s3={"addressing_style": "path"},
    )


def _classify(exc: Exception) -> DestinationError:
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = str(error.get("Code", ""))
        retryable = code in _RETRYABLE_CODES or int(status) >= 500
        return DestinationError(str(exc), retryable=retryable)
    if isinstance(
        exc,
        botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError,
    ):
        return DestinationError(str(exc), retryable=True)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return DestinationError(str(exc), retryable=False)
    return DestinationError(f"{type(exc).__name__}: {exc}", retryable=True)


def client_for(location):
    """An S3 client for an ``ExportLocation`` (assuming its role if it has one)."""
    endpoint = location.endpoint_url or None
    region = location.region or "us-east-1"
    try:
        if location.auth_type == "assumed_role":
            sts = boto3.client(
                "sts",
                region_name=region,
                endpoint_url=endpoint,
                config=_config(),
                **_platform_credentials(),
            )
            credentials = sts.assume_role(
                RoleArn=location.role_arn,
                RoleSessionName=ROLE_SESSION_NAME,
                ExternalId=str(location.id),
            )["Credentials"]
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        else:
            keys = {
                "aws_access_key_id": location.access_key_id,
                "aws_secret_access_key": secret_decrypt(
                    location.secret_access_key_encrypted
                ),
            }
        return boto3.client(
            "s3", region_name=region, endpoint_url=endpoint, config=_config(), **keys
        )
    except botocore.exceptions.BotoCoreError as exc:
        raise _classify(exc) from exc
    except botocore.exceptions.ClientError as exc:
        raise _classify(exc) from exc


def _platform_credentials() -> dict[str, str]:
    """auditsite's own AWS identity for STS (else boto3's default chain)."""
    key = getattr(settings, "AUDITSITE_AWS_ACCESS_KEY_ID", "")
    secret = getattr(settings, "AUDITSITE_AWS_SECRET_ACCESS_KEY", "")
    if key and secret:
        return {"aws_access_key_id": key, "aws_secret_access_key": secret}
    return {}


def object_put(client, *, bucket: str, key: str, body: bytes, content_type: str):
    """PUT one object; raise ``DestinationError`` when S3 keeps failing."""
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise _classify(exc) from exc


def bucket_create(*, endpoint_url: str, bucket: str, region: str = "us-east-1"):
    """Create a bucket if missing (the local demo and tests, not customers)."""
    client = boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="demo",
        aws_secret_access_key="demo",
        config=_config(),
    )
    try:
        client.create_bucket(Bucket=bucket)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
