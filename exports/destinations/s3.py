"""Everything that talks to S3 and STS: the only module that imports boto3.

``S3Destination`` is the engine's destination (``destinations.base``); the
digest writer, the integrity check, the demo and the bench use the plain
functions below.

Clients are built per location: an access key, or an IAM role assumed with
STS ``AssumeRole`` and ``ExternalId`` = the location's id. botocore's
"standard" retry mode retries throttling, 5xx and connection errors with
exponential backoff; what still fails comes out as ``DestinationError`` with
``retryable`` telling a transient fault from a permission or configuration
problem (which needs a human). What S3 (or whatever answers at a custom
endpoint URL) says is kept as its status and at most 200 characters of plain
text. A custom endpoint URL passes the outbound guard (``destinations.guard``)
each time a client is built, before boto3 connects to it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from auditsite_verify import layout
from django.conf import settings

from exports.crypto import secret_decrypt
from exports.destinations import guard
from exports.destinations.base import Batch, DeliveryResult, receiver_text

if TYPE_CHECKING:
    from botocore.config import Config

# boto3 and botocore (about 0.4 s to import, more on a busy machine) are
# imported by the functions that use them: the web process and commands that
# never reach S3 do not pay for them.

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
    from botocore.config import Config

    timeout = settings.AUDITSITE_EXPORT_S3_TIMEOUT
    return Config(
        retries={
            "mode": "standard",
            "max_attempts": settings.AUDITSITE_EXPORT_S3_MAX_ATTEMPTS,
        },
        connect_timeout=timeout,
        read_timeout=timeout,
        s3={"addressing_style": "path"},
    )


def _classify(exc: Exception) -> DestinationError:
    import botocore.exceptions

    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = str(error.get("Code", ""))
        retryable = code in _RETRYABLE_CODES or int(status) >= 500
        # botocore's framing (code, operation, retries) around what the
        # server said, cut to 200 plain characters.
        said = str(error.get("Message") or "")
        text = str(exc).replace(said, receiver_text(said)) if said else str(exc)
        return DestinationError(f"HTTP {status}: {text}", retryable=retryable)
    if isinstance(
        exc,
        botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError,
    ):
        return DestinationError(receiver_text(str(exc)), retryable=True)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return DestinationError(str(exc), retryable=False)
    return DestinationError(
        receiver_text(f"{type(exc).__name__}: {exc}"), retryable=True
    )


def client_for(location):
    """An S3 client for an ``ExportLocation`` (assuming its role if it has one)."""
    import boto3
    import botocore.exceptions

    endpoint = location.endpoint_url or None
    region = location.region or "us-east-1"
    try:
        guard.url_check(endpoint)
    except guard.DestinationRefused as exc:
        raise DestinationError(str(exc), retryable=False) from exc
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
    key = settings.AUDITSITE_AWS_ACCESS_KEY_ID
    secret = settings.AUDITSITE_AWS_SECRET_ACCESS_KEY
    if key and secret:
        return {"aws_access_key_id": key, "aws_secret_access_key": secret}
    return {}


def object_put(
    client,
    *,
    bucket: str,
    key: str,
    body: bytes,
    content_type: str,
    metadata: dict[str, str] | None = None,
):
    """PUT one object; raise ``DestinationError`` when S3 keeps failing."""
    import botocore.exceptions

    extra = {"Metadata": metadata} if metadata else {}
    try:
        client.put_object(
            Bucket=bucket, Key=key, Body=body, ContentType=content_type, **extra
        )
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise _classify(exc) from exc


def join_key(prefix: str, name: str) -> str:
    """``prefix/name`` with single slashes (no prefix: the name), as the
    verifier joins them (``auditsite_verify.layout.join_key``)."""
    return layout.join_key((prefix or "").strip(), name)


class S3Destination:
    """An export location's bucket: deterministic keys, so exactly once."""

    exactly_once = True
    wants_file = True

    def __init__(self, location, *, client=None):
        self.location = location
        self._client = client

    @property
    def client(self):
        """The S3 client, built on first use (an assumed role costs a call)."""
        if self._client is None:
            self._client = client_for(self.location)
        return self._client

    def key_for(self, name: str) -> str:
        return join_key(self.location.path_prefix, name)

    def _put(self, key: str, body: bytes, content_type: str, **kw) -> DeliveryResult:
        try:
            object_put(
                self.client,
                bucket=self.location.bucket,
                key=key,
                body=body,
                content_type=content_type,
                **kw,
            )
        except DestinationError as exc:
            return DeliveryResult.failed(str(exc), retryable=exc.retryable)
        return DeliveryResult.delivered(
            key,
            requests=1,
            size_bytes=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
        )

    def verify(self, *, now=None) -> DeliveryResult:
        """Write ``verify-test-<timestamp>`` under the prefix."""
        from django.utils import timezone

        now = now or timezone.now()
        key = self.key_for(f"verify-test-{now:%Y%m%dT%H%M%SZ}")
        return self._put(key, b"auditsite export location verification\n", "text/plain")

    def deliver(self, batch: Batch) -> DeliveryResult:
        return self._put(self.key_for(batch.name), batch.body, batch.content_type)

    def deliver_to_key(self, key: str, batch: Batch) -> DeliveryResult:
        """Re-deliver to a recorded key (a replay of an object cut before a
        change of the naming rule keeps its old key)."""
        return self._put(key, batch.body, batch.content_type)

    def digest_put(self, *, key: str, body: bytes, metadata: dict) -> DeliveryResult:
        """PUT a signed digest; the signature travels in ``x-amz-meta-*``."""
        return self._put(key, body, "application/json", metadata=metadata)


def bucket_create(*, endpoint_url: str, bucket: str, region: str = "us-east-1"):
    """Create a bucket if missing (the local demo and tests, not customers)."""
    import boto3

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
