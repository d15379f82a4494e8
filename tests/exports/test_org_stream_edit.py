"""Editing an org's log stream: the one validation, secrets write-only, events."""

import json

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from exports.crypto import secret_decrypt
from exports.models import ExportLocation
from tests.exports.conftest import BUCKET, ORG_STREAM_SECRET

pytestmark = pytest.mark.django_db
NEW_SECRET = "n3w-s3cr3t-never-shown"


@pytest.fixture
def stream(org, aws, make_org_stream):
    return make_org_stream(org, path_prefix="audit")


def edit_url(org, location):
    return reverse("org-log-stream-edit", args=[org.slug, location.pk])


def form_of(location, **overrides):
    data = {
        "name": location.name,
        "interval": location.interval,
        "bucket": location.bucket,
        "region": location.region,
        "path_prefix": location.path_prefix,
        "file_format": location.file_format,
        "auth_type": location.auth_type,
        "access_key_id": location.access_key_id,
        "role_arn": location.role_arn,
        "secret_access_key": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def changes():
    return AuditEvent.objects.filter(event_type="OrgLogStreamChanged")


def test_edit_page_shows_settings_never_the_secret(owner_client, org, stream):
    """The form holds the stream's settings and no secret."""
    response = owner_client.get(edit_url(org, stream))
    page = response.content.decode()
    assert response.status_code == 200
    assert BUCKET in page and "AKIAEXAMPLE" in page
    assert (
        ORG_STREAM_SECRET not in page and stream.secret_access_key_encrypted not in page
    )
    listing = owner_client.get(reverse("org-log-streams", args=[org.slug]))
    assert edit_url(org, stream) in listing.content.decode()


def test_edit_changes_settings_and_records_names(owner_client, org, stream, member):
    """A change is saved; OrgLogStreamChanged names the fields, values of
    settings only, in the org's log; a blank secret keeps the stored one."""
    response = owner_client.post(
        edit_url(org, stream),
        form_of(stream, name="SIEM", path_prefix="", categories=["org"]),
    )
    assert response.status_code == 302
    stream.refresh_from_db()
    assert (stream.name, stream.path_prefix, stream.categories) == (
        "SIEM",
        "",
        ["org"],
    )
    assert secret_decrypt(stream.secret_access_key_encrypted) == ORG_STREAM_SECRET
    event = changes().get()
    assert event.org_id == org.pk and event.caused_by_id == str(member.pk)
    assert sorted(event.details["fields"]) == ["categories", "name", "path_prefix"]
    assert event.details["new"]["name"] == "SIEM"
    assert event.details["old"]["path_prefix"] == "audit"


def test_new_secret_replaces_and_is_never_recorded(owner_client, org, stream):
    """A new secret replaces the stored one; events name it, never its value."""
    response = owner_client.post(
        edit_url(org, stream),
        form_of(stream, access_key_id="AKIANEW", secret_access_key=NEW_SECRET),
    )
    assert response.status_code == 302
    stream.refresh_from_db()
    assert secret_decrypt(stream.secret_access_key_encrypted) == NEW_SECRET
    event = changes().get()
    assert set(event.details["fields"]) == {"access_key_id", "secret_access_key"}
    assert event.details["new"]["access_key_id"] == "(not shown)"
    for recorded in AuditEvent.objects.all():
        text = json.dumps(recorded.event_data)
        assert (
            NEW_SECRET not in text
            and ORG_STREAM_SECRET not in text
            and "AKIANEW" not in text
        )
    page = owner_client.get(edit_url(org, stream)).content.decode()
    assert NEW_SECRET not in page


def test_nothing_changed_records_nothing(owner_client, org, stream):
    """The form sent back as it came: saved, no event."""
    before = AuditEvent.objects.count()
    assert owner_client.post(edit_url(org, stream), form_of(stream)).status_code == 302
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bucket": "Not_A_Bucket"}, "bucket"),
        ({"bucket": ""}, "bucket"),
        ({"interval": "NEVER"}, "interval"),
        ({"categories": ["operator"]}, "categories"),
        ({"event_types": ["NoSuchType"]}, "event_types"),
        ({"auth_type": "assumed_role", "role_arn": ""}, "role_arn"),
        ({"endpoint_url": "http://127.0.0.1:9000/"}, "endpoint_url"),
    ],
)
def test_bad_input_is_400_on_the_field_nothing_saved(
    owner_client, org, stream, overrides, field, settings
):
    """Bad input (the one location validation, the outbound guard included):
    400 with the error on the field, nothing saved, no event."""
    settings.AUDITSITE_ALLOW_PRIVATE_DESTINATIONS = False
    before = AuditEvent.objects.count()
    saved = ExportLocation.objects.values().get(pk=stream.pk)
    response = owner_client.post(edit_url(org, stream), form_of(stream, **overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert ExportLocation.objects.values().get(pk=stream.pk) == saved
    assert AuditEvent.objects.count() == before


def test_no_field_can_widen_or_move_the_stream(owner_client, org, other_org, stream):
    """orgs, org, enabled or destination posted to the form are not taken."""
    response = owner_client.post(
        edit_url(org, stream),
        form_of(
            stream,
            orgs=str(other_org.pk),
            org=str(other_org.pk),
            enabled="",
            destination="webhook",
        ),
    )
    assert response.status_code == 302
    stream.refresh_from_db()
    assert stream.org_id == org.pk and stream.orgs == [] and stream.enabled
    assert stream.destination == "s3"


def test_another_orgs_stream_is_404(owner_client, org, other_org, aws, make_org_stream):
    """Another org's stream through this org's edit page: 404, unchanged."""
    theirs = make_org_stream(other_org, name="Globex bucket")
    before = AuditEvent.objects.count()
    url = edit_url(org, theirs)
    assert owner_client.get(url).status_code == 404
    assert owner_client.post(url, form_of(theirs, name="mine")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Globex bucket"
    assert AuditEvent.objects.count() == before


def test_edit_needs_manage_log_streams(client, org, plain_member, stream):
    """Without Manage Log Streams: 403, unchanged."""
    client.force_login(plain_member)
    url = edit_url(org, stream)
    assert client.get(url).status_code == 403
    assert client.post(url, form_of(stream, name="x")).status_code == 403
    stream.refresh_from_db()
    assert stream.name == "Acme bucket"


def test_webhook_secret_is_write_only(owner_client, org, aws, make_org_stream):
    """A webhook's URL and secret: blank keeps, a new one replaces."""
    hook = make_org_stream(
        org,
        name="SOAR",
        destination="webhook",
        endpoint_url="http://127.0.0.1:9/hook",
        destination_secret="whsec-old",
    )
    data = {"name": "SOAR", "interval": hook.interval}
    data["endpoint_url"] = "http://localhost:9/other"
    assert owner_client.post(edit_url(org, hook), data).status_code == 302
    hook.refresh_from_db()
    assert hook.endpoint_url == "http://localhost:9/other"
    assert secret_decrypt(hook.destination_secret_encrypted) == "whsec-old"
    data["destination_secret"] = "whsec-new"
    assert owner_client.post(edit_url(org, hook), data).status_code == 302
    hook.refresh_from_db()
    assert secret_decrypt(hook.destination_secret_encrypted) == "whsec-new"
    assert "whsec-new" not in owner_client.get(edit_url(org, hook)).content.decode()


def test_datadog_site_is_changed_other_options_kept(
    owner_client, org, aws, make_org_stream
):
    """The Datadog site is an option of its own; the operator's options stay."""
    stream = make_org_stream(
        org,
        name="Datadog",
        destination="datadog",
        destination_secret="dd-api-key",
    )
    ExportLocation.objects.filter(pk=stream.pk).update(
        destination_options={"service": "acme-audit"}
    )
    data = {"name": "Datadog", "interval": stream.interval, "datadog_site": "EU"}
    assert owner_client.post(edit_url(org, stream), data).status_code == 302
    stream.refresh_from_db()
    assert stream.destination_options == {"service": "acme-audit", "site": "EU"}
    event = changes().get()
    assert event.details["fields"] == ["destination_options"]
    assert "dd-api-key" not in json.dumps(event.event_data)
