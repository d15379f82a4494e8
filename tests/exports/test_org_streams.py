"""An org's own log streams: page, services, selection, limits, retention."""

import json
from datetime import timedelta

import pytest
from auditsite_verify.layout import position_encode
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit import formats
from audit.models import AuditEvent, AuditSettings
from exports import services
from exports.models import ExportLocation, ExportRun, ExportState
from exports.retention import events_purge
from exports.services.org_streams import org_streams_for
from tests.exports.conftest import BUCKET, ORG_STREAM_SECRET, bucket_objects
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db


def streams_url(org):
    return reverse("org-log-streams", args=[org.slug])


def action_url(org, location, action):
    return reverse("org-log-stream-action", args=[org.slug, location.pk, action])


def s3_form(**overrides):
    data = {
        "name": "Acme SIEM bucket",
        "destination": "s3",
        "interval": "EVERY_5_MINUTES",
        "bucket": BUCKET,
        "region": "us-east-1",
        "path_prefix": "audit",
        "file_format": "json",
        "auth_type": "access_key",
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": ORG_STREAM_SECRET,
    }
    data.update(overrides)
    return data


def event_for(org, **fields):
    return AuditEventFactory(org_id=org.pk, org_name=org.name, **fields)


def delivered_ids(aws) -> list[str]:
    objects = bucket_objects(aws)
    return [
        e["id"] for key in sorted(objects) for e in formats.parse("json", objects[key])
    ]


def test_create_from_the_page_verifies_and_records(owner_client, org, aws, member):
    """The page creates an S3 stream for the org, verifies it, records the event."""
    response = owner_client.post(streams_url(org), s3_form())
    assert response.status_code == 302
    location = ExportLocation.objects.get()
    assert location.org == org and location.orgs == []
    assert location.connection_status == "SUCCESS"
    event = AuditEvent.objects.get(event_type="OrgLogStreamCreated")
    assert event.org_id == org.pk and event.category == "org"
    assert event.caused_by_id == str(member.pk)
    assert event.details["stream_id"] == str(location.pk)
    page = owner_client.get(streams_url(org)).content.decode()
    assert "Acme SIEM bucket" in page and "Connected" in page
    assert "Lag" in page and "Last delivery" in page


def test_secret_never_shown_again(owner_client, org, aws, staff):
    """The secret is in no page, event or admin page after creation."""
    owner_client.post(streams_url(org), s3_form())
    location = ExportLocation.objects.get()
    assert ORG_STREAM_SECRET not in owner_client.get(streams_url(org)).content.decode()
    for event in AuditEvent.objects.all():
        assert ORG_STREAM_SECRET not in json.dumps(event.event_data)
    staff_client = Client()
    staff_client.force_login(staff)
    admin_page = staff_client.get(
        reverse("admin:exports_exportlocation_change", args=[location.pk])
    )
    assert ORG_STREAM_SECRET not in admin_page.content.decode()
    assert location.secret_access_key_encrypted not in admin_page.content.decode()


def test_assumed_role_shows_external_id_and_policies(owner_client, org, aws):
    """An assumed-role stream shows its ExternalId, trust and bucket policies."""
    response = owner_client.post(
        streams_url(org),
        s3_form(
            auth_type="assumed_role",
            access_key_id="",
            secret_access_key="",
            role_arn="arn:aws:iam::123456789012:role/auditsite",
        ),
    )
    assert response.status_code == 302
    location = ExportLocation.objects.get()
    page = owner_client.get(streams_url(org)).content.decode()
    assert str(location.pk) in page
    assert "sts:ExternalId" in page
    assert f"arn:aws:s3:::{BUCKET}/*" in page


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bucket": ""}, "bucket"),
        ({"bucket": "Not_A_Bucket"}, "bucket"),
        ({"secret_access_key": ""}, "secret_access_key"),
        ({"interval": "NEVER"}, "interval"),
        ({"categories": ["operator"]}, "categories"),
        ({"destination": "webhook", "bucket": "", "access_key_id": ""}, None),
    ],
)
def test_bad_input_is_a_400_and_saves_nothing(owner_client, org, aws, overrides, field):
    """Bad input: 400 with the error on the field, no stream, no event."""
    response = owner_client.post(streams_url(org), s3_form(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    if field:
        assert form.errors[field]
    assert not ExportLocation.objects.exists()
    assert not AuditEvent.objects.filter(event_type__startswith="OrgLogStream").exists()
    assert not AuditEvent.objects.filter(event_type="ExportLocationCreated").exists()


def test_service_refuses_fields_that_would_widen(org, other_org, aws, make_org_stream):
    """orgs, enabled or the operator category cannot be set on an org stream."""
    with pytest.raises(ValidationError) as orgs:
        make_org_stream(org, orgs=[str(other_org.pk)])
    assert "orgs" in orgs.value.message_dict
    with pytest.raises(ValidationError) as operator:
        make_org_stream(org, categories=["operator"])
    assert "categories" in operator.value.message_dict
    assert not ExportLocation.objects.exists()


def test_posted_orgs_field_is_ignored(owner_client, org, other_org, aws):
    """An orgs value smuggled into the form is not taken."""
    owner_client.post(streams_url(org), s3_form(orgs=str(other_org.pk)))
    assert ExportLocation.objects.get().orgs == []


def test_stream_delivers_only_what_the_org_pages_show(
    org, other_org, aws, make_org_stream
):
    """Own org's events only, hidden kinds and operator events left out."""
    AuditSettings.objects.update_or_create(pk=1, defaults={"includes_api_keys": False})
    location = make_org_stream(org)
    shown = event_for(org, event_type="OrgUpdated", category="org")
    event_for(other_org, event_type="OrgUpdated", category="org")
    event_for(org, caused_by_type="ApiKey")
    event_for(org, event_type="RoleCreated", category="operator")
    AuditEventFactory(org_id=None)
    created = AuditEvent.objects.get(event_type="OrgLogStreamCreated")
    services.export_location_run(location_id=location.pk)
    assert delivered_ids(aws) == [str(created.uuid), str(shown.uuid)]


def test_no_stored_filter_can_widen_the_selection(org, other_org, aws, make_org_stream):
    """Even with orgs and '*' written into the row, only the org's events go."""
    location = make_org_stream(org, categories=["org"])
    ExportLocation.objects.filter(pk=location.pk).update(
        orgs=[str(other_org.pk)], categories=["*"]
    )
    mine = event_for(org, category="user")
    event_for(other_org, category="user")
    event_for(org, event_type="RoleCreated", category="operator")
    services.export_location_run(location_id=location.pk)
    delivered = delivered_ids(aws)
    assert str(mine.uuid) in delivered
    events = AuditEvent.objects.filter(uuid__in=delivered)
    assert set(events.values_list("org_id", flat=True)) == {org.pk}
    assert "operator" not in set(events.values_list("category", flat=True))


def test_filters_narrow_by_type_and_category(org, aws, make_org_stream):
    """An event-type filter narrows the org's events."""
    location = make_org_stream(org, event_types=["OrgUpdated"])
    wanted = event_for(org, event_type="OrgUpdated", category="org")
    event_for(org, event_type="OrgDeleted", category="org")
    services.export_location_run(location_id=location.pk)
    assert delivered_ids(aws) == [str(wanted.uuid)]


def test_at_most_the_configured_number_of_streams(owner_client, org, aws, settings):
    """Past AUDITSITE_ORG_STREAMS_MAX: a clear form error, nothing created."""
    settings.AUDITSITE_ORG_STREAMS_MAX = 1
    assert owner_client.post(streams_url(org), s3_form()).status_code == 302
    response = owner_client.post(streams_url(org), s3_form(name="second"))
    assert response.status_code == 400
    assert "1 log streams, the most allowed" in response.content.decode()
    assert ExportLocation.objects.count() == 1
    assert AuditEvent.objects.filter(event_type="OrgLogStreamCreated").count() == 1


def test_limit_counts_per_org(org, other_org, aws, settings, make_org_stream):
    """Another org's streams do not count against this org's limit."""
    settings.AUDITSITE_ORG_STREAMS_MAX = 1
    make_org_stream(other_org)
    make_org_stream(org)
    assert org_streams_for(org=org).count() == 1


def test_pause_resume_verify_delete(owner_client, org, aws, make_org_stream):
    """Each action works on the org's own stream and records its event."""
    location = make_org_stream(org)
    assert owner_client.post(action_url(org, location, "pause")).status_code == 302
    location.refresh_from_db()
    assert not location.enabled
    assert "Paused" in owner_client.get(streams_url(org)).content.decode()
    owner_client.post(action_url(org, location, "resume"))
    location.refresh_from_db()
    assert location.enabled
    changes = AuditEvent.objects.filter(event_type="OrgLogStreamChanged")
    assert [e.details["new"] for e in changes.order_by("seq")] == [
        {"enabled": False},
        {"enabled": True},
    ]
    assert all(e.org_id == org.pk for e in changes)
    owner_client.post(action_url(org, location, "verify"))
    assert AuditEvent.objects.filter(event_type="ExportLocationVerified").count() == 2
    owner_client.post(action_url(org, location, "delete"))
    assert not ExportLocation.objects.exists()
    deleted = AuditEvent.objects.get(event_type="OrgLogStreamDeleted")
    assert deleted.org_id == org.pk


@pytest.mark.parametrize("action", ["verify", "pause", "delete"])
def test_another_orgs_stream_is_404_and_unchanged(
    owner_client, org, other_org, aws, action, make_org_stream
):
    """Another org's stream id through this org's page: 404, nothing changed."""
    theirs = make_org_stream(other_org)
    before = AuditEvent.objects.count()
    response = owner_client.post(action_url(org, theirs, action))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.enabled
    assert AuditEvent.objects.count() == before
    assert "Acme bucket" not in owner_client.get(streams_url(org)).content.decode()


def test_actions_need_the_permission(client, org, plain_member, aws, make_org_stream):
    """Without Manage Log Streams: 403 on the page and every action."""
    location = make_org_stream(org)
    client.force_login(plain_member)
    assert client.post(streams_url(org), s3_form(name="x")).status_code == 403
    for action in ("verify", "pause", "resume", "delete"):
        assert client.post(action_url(org, location, action)).status_code == 403
    location.refresh_from_db()
    assert location.enabled and ExportLocation.objects.count() == 1


def test_automatic_pause_records_org_log_stream_paused(
    org, aws, settings, make_org_stream
):
    """After AUDITSITE_EXPORT_PAUSE_AFTER failed runs the org sees the pause."""
    settings.AUDITSITE_EXPORT_PAUSE_AFTER = 1
    location = make_org_stream(org, bucket="no-such-bucket-here")
    event_for(org)
    run = services.export_location_run(location_id=location.pk)
    assert run.status == ExportRun.Status.FAILED
    location.refresh_from_db()
    assert not location.enabled
    paused = AuditEvent.objects.get(event_type="OrgLogStreamPaused")
    assert paused.org_id == org.pk and paused.category == "org"
    assert paused.caused_by_type == "System"
    assert "1 failed runs in a row" in paused.details["reason"]
    assert ORG_STREAM_SECRET not in json.dumps(paused.event_data)


def test_operator_location_pause_records_no_org_event(make_location, settings, aws):
    """An operator location's automatic pause stays an operator event only."""
    settings.AUDITSITE_EXPORT_PAUSE_AFTER = 1
    location = make_location(bucket="no-such-bucket-here")
    AuditEventFactory()
    services.export_location_run(location_id=location.pk)
    assert AuditEvent.objects.filter(event_type="ExportLocationPaused").exists()
    assert not AuditEvent.objects.filter(event_type="OrgLogStreamPaused").exists()


def test_retention_keeps_what_an_org_stream_has_to_deliver(
    org, other_org, aws, make_org_stream
):
    """Expired events of the stream's org wait for it; other orgs' go."""
    location = make_org_stream(org)
    ExportLocation.objects.filter(pk=location.pk).update(enabled=False)
    old = timezone.now() - timedelta(days=40)
    mine = event_for(org, created_at=old)
    theirs = event_for(other_org, created_at=old)
    report = events_purge()
    left = set(AuditEvent.objects.values_list("seq", flat=True))
    assert mine.seq in left and theirs.seq not in left
    assert report.kept_back[0]["id"] == str(location.pk)
    # Once delivered, it goes too.
    everything = position_encode(2**63 - 1, 2**63 - 1)
    ExportState.objects.filter(pk=location.pk).update(cursor=everything)
    events_purge()
    assert not AuditEvent.objects.filter(seq=mine.seq).exists()


def test_admin_lists_org_streams_with_their_org(
    staff_client, org, aws, make_org_stream
):
    """The operator's location list shows each stream's org and filters by it."""
    make_org_stream(org)
    url = reverse("admin:exports_exportlocation_changelist")
    page = staff_client.get(url).content.decode()
    assert "Acme Inc" in page
    filtered = staff_client.get(url, {"org__id__exact": str(org.pk)})
    assert filtered.status_code == 200 and "Acme bucket" in filtered.content.decode()
