"""OpenAPI examples of the export-location operations (``exports/api.py``)."""

from drf_spectacular.utils import OpenApiExample

_ID = "3f0c9a52-6d1e-4b7e-9a3c-1f2e5d6c7b8a"

S3_CREATE = OpenApiExample(
    "Create an S3 location",
    request_only=True,
    value={
        "name": "Acme audit bucket",
        "bucket": "acme-audit",
        "region": "eu-west-1",
        "path_prefix": "auditsite",
        "auth_type": "access_key",
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": "<secret>",
        "interval": "EVERY_HOUR",
        "file_format": "ndjson.gz",
        "categories": ["user", "org"],
    },
)
DATADOG_CREATE = OpenApiExample(
    "Create a Datadog stream",
    request_only=True,
    value={
        "name": "Datadog EU",
        "destination": "datadog",
        "destination_secret": "<Datadog API key>",
        "destination_options": {"site": "EU", "service": "auditsite"},
        "interval": "CONTINUOUS",
    },
)
SPLUNK_CREATE = OpenApiExample(
    "Create a Splunk HEC stream",
    request_only=True,
    value={
        "destination": "splunk",
        "endpoint_url": "https://splunk.example.com:8088",
        "destination_secret": "<HEC token>",
        "destination_options": {"index": "audit", "sourcetype": "auditsite"},
        "interval": "EVERY_5_MINUTES",
    },
)
WEBHOOK_CREATE = OpenApiExample(
    "Create a signed webhook",
    request_only=True,
    value={
        "destination": "webhook",
        "endpoint_url": "https://hooks.example.com/auditsite",
        "destination_secret": "<HMAC secret>",
        "interval": "CONTINUOUS",
        "event_types": ["OrgUserRoleChanged"],
    },
)
CREATE_EXAMPLES = [S3_CREATE, DATADOG_CREATE, SPLUNK_CREATE, WEBHOOK_CREATE]
PATCH_EXAMPLE = OpenApiExample("Pause", request_only=True, value={"enabled": False})
LOCATION_EXAMPLE = OpenApiExample(
    "A Datadog stream",
    response_only=True,
    value={
        "id": _ID,
        "name": "Datadog EU",
        "destination": "datadog",
        "bucket": "",
        "region": "us-east-1",
        "path_prefix": "",
        "endpoint_url": "",
        "auth_type": "access_key",
        "access_key_id": "",
        "role_arn": "",
        "external_id": _ID,
        "destination_secret_set": True,
        "destination_options": {"site": "EU", "service": "auditsite"},
        "interval": "CONTINUOUS",
        "categories": [],
        "event_types": [],
        "orgs": [],
        "file_format": "json",
        "enabled": True,
        "connection_status": "SUCCESS",
        "connection_checked_at": "2026-11-23T06:32:10Z",
        "in_error": False,
        "last_error": "",
        "consecutive_failures": 0,
        "cursor": "00000000000000000812-00000000000000004211",
        "last_checked_at": "2026-11-23T06:40:02Z",
        "health": {"state": "ok", "text": "OK"},
        "lag": {
            "pending_events": 0,
            "pending_events_capped": False,
            "oldest_pending_at": None,
            "newest_pending_at": None,
            "oldest_pending_age_seconds": 0,
        },
        "trust_policy": None,
        "bucket_policy": None,
        "created_at": "2026-11-23T06:32:09Z",
        "updated_at": "2026-11-23T06:32:09Z",
    },
)
VALIDATION_EXAMPLE = OpenApiExample(
    "Missing secret",
    response_only=True,
    status_codes=["400"],
    value={
        "destination_secret": ["Required: the signing secret."],
        "endpoint_url": ["Must be an https:// URL (http:// only for localhost)."],
    },
)
RUN_EXAMPLE = OpenApiExample(
    "One run",
    response_only=True,
    # drf-spectacular wraps a list operation's example in the array itself.
    value={
        "id": 41,
        "started_at": "2026-11-23T06:40:01Z",
        "finished_at": "2026-11-23T06:40:02Z",
        "duration_seconds": 0.39,
        "status": "success",
        "events": 1200,
        "bytes": 901234,
        "object_count": 1,
        "error": "",
        "replay": False,
        "worker": "web-1:4242:a1b2c3",
    },
)
QUEUED_EXAMPLE = OpenApiExample(
    "Queued", response_only=True, status_codes=["202"], value={"queued": True}
)
REPLAY_EXAMPLE = OpenApiExample(
    "From a date", request_only=True, value={"from": "2026-11-01"}
)
REPLAY_RESULT_EXAMPLE = OpenApiExample(
    "Ranges to re-send",
    response_only=True,
    status_codes=["202"],
    value={"objects": 12},
)
