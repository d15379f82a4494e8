"""Configuring streams: one validation, write-only secrets, command, API, admin."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.services import Actor
from exports import services
from exports.crypto import secret_decrypt
from exports.models import ExportLocation
from tests.exports.receivers import DatadogReceiver, SplunkReceiver, WebhookReceiver

SECRET = "stream-secret-456"
URL = "/api/v1/export-locations/"


def _check(**fields):
    fields.setdefault("interval", "EVERY_HOUR")
    with pytest.raises(ValidationError) as caught:
        services.export_location_create(actor=Actor.system(), verify=False, **fields)
    assert not ExportLocation.objects.exists()
    return caught.value.message_dict


def test_each_destination_requires_its_secret_and_endpoint(db):
    """datadog: API key; splunk: URL and token; webhook: https URL and secret."""
    assert _check(destination="datadog") == {
        "destination_secret": ["Required: the API key."]
    }
    assert _check(destination="splunk") == {
        "destination_secret": ["Required: the HEC token."],
        "endpoint_url": ["Required for splunk."],
    }
    errors = _check(
        destination="webhook",
        endpoint_url="http://hooks.example.com/audit",
        destination_secret=SECRET,
    )
    assert errors == {
        "endpoint_url": ["Must be an https:// URL (http:// only for localhost)."]
    }


def test_unknown_options_and_s3_fields_are_rejected(db):
    """Options of another vendor, S3 fields and a file format: one line each."""
    errors = _check(
        destination="datadog",
        destination_secret=SECRET,
        destination_options={"service": "x", "index": "main", "site": "MARS"},
        bucket="customer-audit",
        file_format="parquet",
    )
    assert errors == {
        "destination_options": [
            "Unknown option index for datadog (allowed: hostname, service, site, "
            "tags).",
            "site: must be one of US1, US3, US5, EU, AP1, AP2, US1-FED (or set the "
            "endpoint URL).",
        ],
        "bucket": ["Only for S3 locations, not datadog."],
        "file_format": [
            "datadog receives SPEC JSON events; the file format must be json."
        ],
    }
    assert _check(
        destination="webhook",
        endpoint_url="https://hooks.example.com/",
        destination_secret=SECRET,
        destination_options={"tags": []},
    ) == {"destination_options": ["Unknown option tags for webhook (allowed: none)."]}
    assert _check(
        destination="splunk",
        endpoint_url="https://splunk.example:8088",
        destination_secret=SECRET,
        destination_options={"index": ["main"]},
    ) == {"destination_options": ["index: must be a text of at most 200."]}


def test_secret_is_encrypted_never_logged_and_destination_is_fixed(db):
    """The secret is a Fernet token; events name it only; no destination swap."""
    with WebhookReceiver(SECRET) as receiver:
        location = services.export_location_create(
            actor=Actor.system(),
            destination="webhook",
            endpoint_url=receiver.url,
            destination_secret=SECRET,
            interval="EVERY_HOUR",
        )
        assert location.connection_status == "SUCCESS"
        assert location.name == "webhook 127.0.0.1"
        stored = ExportLocation.objects.get(pk=location.pk)
        assert SECRET not in stored.destination_secret_encrypted
        assert secret_decrypt(stored.destination_secret_encrypted) == SECRET
        services.export_location_update(
            actor=Actor.system(), location=location, destination_secret="rotated-1"
        )
        with pytest.raises(ValidationError) as caught:
            services.export_location_update(
                actor=Actor.system(), location=location, destination="datadog"
            )
    assert caught.value.message_dict["destination"] == [
        "Cannot change from webhook: create a new location."
    ]
    changed = AuditEvent.objects.get(event_type="ExportLocationCredentialsChanged")
    assert changed.event_data["ExportLocationCredentialsChanged"]["fields"] == [
        "destination_secret"
    ]
    created = AuditEvent.objects.get(event_type="ExportLocationCreated")
    assert created.event_data["ExportLocationCreated"]["destination"] == "webhook"
    everything = json.dumps(list(AuditEvent.objects.values("event_data")))
    assert SECRET not in everything and "rotated-1" not in everything


@pytest.mark.parametrize(
    ("kind", "receiver_class", "config"),
    [
        ("datadog", DatadogReceiver, {"apiKey": SECRET, "service": "billing"}),
        ("splunk", SplunkReceiver, {"token": SECRET, "index": "audit"}),
        ("webhook", WebhookReceiver, {"secret": SECRET}),
    ],
)
def test_command_creates_and_lists_each_destination(
    db, tmp_path, capsys, kind, receiver_class, config
):
    """exports create --destination KIND config.json; list shows it."""
    path = tmp_path / "config.json"
    with receiver_class(SECRET) as receiver:
        config = {"interval": "CONTINUOUS", "endpointUrl": receiver.url, **config}
        path.write_text(json.dumps(config))
        call_command("exports", "create", "--destination", kind, str(path))
    location = ExportLocation.objects.get()
    assert capsys.readouterr().out.strip() == f"{location.pk} SUCCESS"
    assert location.destination == kind and location.interval == "CONTINUOUS"
    options = {k: v for k, v in config.items() if k in ("service", "index")}
    assert location.destination_options == options
    call_command("exports", "list", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert row["destination"] == kind and row["endpoint_url"] == receiver.url
    assert SECRET not in json.dumps(row)
    call_command("exports", "list")
    _, line = capsys.readouterr().out.splitlines()
    assert line.split("\t")[2:4] == [kind, receiver.url]


def test_command_refuses_bad_stream_configs(db, tmp_path):
    """Unknown keys, --auth on a stream, no --auth on S3: errors, nothing made."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"interval": "EVERY_HOUR", "apiKey": "k", "index": "x"}))
    with pytest.raises(CommandError, match="unknown key index for datadog"):
        call_command("exports", "create", "--destination", "datadog", str(path))
    with pytest.raises(CommandError, match="--auth is for S3 locations"):
        call_command(
            "exports",
            "create",
            "--destination",
            "datadog",
            "--auth",
            "access-key",
            str(path),
        )
    with pytest.raises(CommandError, match="needs --auth"):
        call_command("exports", "create", str(path))
    path.write_text(json.dumps({"interval": "EVERY_HOUR"}))
    with pytest.raises(CommandError) as caught:
        call_command("exports", "create", "--destination", "splunk", str(path))
    assert str(caught.value) == (
        "token: Required: the HEC token.; endpointUrl: Required for splunk."
    )
    assert not ExportLocation.objects.exists()


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


def test_api_creates_a_stream_and_never_returns_its_secret(api):
    """POST with destination: 201, secret write-only, health and no S3 policies."""
    with DatadogReceiver(SECRET) as receiver:
        response = api.post(
            URL,
            {
                "destination": "datadog",
                "endpoint_url": receiver.url,
                "destination_secret": SECRET,
                "destination_options": {"tags": ["env:prod"]},
                "interval": "EVERY_5_MINUTES",
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert SECRET.encode() not in response.content
    assert "destination_secret" not in body and body["destination_secret_set"]
    assert body["destination"] == "datadog" and body["connection_status"] == "SUCCESS"
    assert body["destination_options"] == {"tags": ["env:prod"]}
    assert body["health"] == {"state": "ok", "text": "OK"}
    assert body["bucket_policy"] is None and body["trust_policy"] is None
    listed = api.get(URL).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["destination"] for r in rows] == ["datadog"]


def test_api_names_the_field_of_a_bad_stream(api):
    """A webhook without a secret over plain http: 400 per field, nothing made."""
    response = api.post(
        URL,
        {
            "destination": "webhook",
            "endpoint_url": "http://hooks.example.com/",
            "interval": "EVERY_HOUR",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "destination_secret": ["Required: the signing secret."],
        "endpoint_url": ["Must be an https:// URL (http:// only for localhost)."],
    }
    assert not ExportLocation.objects.exists()
