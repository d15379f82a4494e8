"""Customer exports of an org's log: CSV and JSON of exactly the filtered view."""

import csv
import io
import json

import pytest
from django.urls import reverse

from audit.formats import csv_safe, event_as_spec
from audit.models import AuditEvent, AuditSettings
from tests.factories import AuditEventFactory
from tests.spec import SPEC_EVENT_FIELDS

pytestmark = pytest.mark.django_db


def export_url(org_, fmt):
    return reverse("org-audit-log-export", args=[org_.slug, fmt])


def event_for(org_, **fields):
    return AuditEventFactory(org_id=org_.pk, org_name=org_.name, **fields)


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response), newline="")))


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def test_csv_export_holds_the_filtered_events(member_client, org, other_org):
    """The CSV has a header and one row per event of the current filters, no more."""
    wanted = event_for(org, event_type="UserDeleted", user_email="zoë@acme.example")
    event_for(org, event_type="UserCreated")
    event_for(other_org, event_type="UserDeleted")
    response = member_client.post(
        export_url(org, "csv"), {"event_type": "UserDeleted", "org": other_org.slug}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert [row["id"] for row in rows] == [str(wanted.uuid)]
    assert rows[0]["user_email"] == "zoë@acme.example"
    assert rows[0]["org_name"] == "Acme Inc"


def test_csv_lines_end_with_crlf(member_client, org):
    """The CSV is RFC 4180: CRLF line endings."""
    event_for(org)
    text = body(member_client.post(export_url(org, "csv")))
    assert text.count("\r\n") == 2


def test_csv_neutralises_formulas(member_client, org):
    """A cell starting with = (or + - @) comes out prefixed with a quote."""
    event_for(org, user_email='=HYPERLINK("http://evil")', caused_by_id="+1-555")
    rows = csv_rows(member_client.post(export_url(org, "csv")))
    assert rows[0]["user_email"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["caused_by_id"] == "'+1-555"


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_csv_safe(raw, safe):
    """Only cells that a spreadsheet would evaluate are prefixed."""
    assert csv_safe(raw) == safe


def test_json_export_is_the_spec_format(member_client, org):
    """The JSON export is an array of SPEC section 3 events, created_at in seconds."""
    event = event_for(
        org,
        event_type="UserCreated",
        user_email="new@acme.example",
        event_data={"UserCreated": {"email": "new@acme.example"}},
        caused_by_metadata={"email": "owner@acme.example"},
        caused_by_source_ip="1.1.1.1",
    )
    response = member_client.post(export_url(org, "json"))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body(response))
    assert data == [event_as_spec(event)]
    assert data[0]["created_at"] == int(event.created_at.timestamp())
    assert data[0]["org_id"] == str(org.pk) and data[0]["id"] == str(event.uuid)
    assert tuple(data[0]) == SPEC_EVENT_FIELDS  # every field, in the SPEC's order


def test_empty_json_export_is_an_empty_array(member_client, org):
    """With nothing to export, the JSON file is still a valid empty array."""
    assert json.loads(body(member_client.post(export_url(org, "json")))) == []


def test_export_records_user_export_initiated(member_client, member, org):
    """Each export records UserExportInitiated with its format and filters."""
    member_client.post(export_url(org, "csv"), {"caused_by_type": "User"})
    event = AuditEvent.objects.get(event_type="UserExportInitiated")
    assert event.org_id == org.pk and event.user_id == member.pk
    assert event.caused_by_type == "User"
    assert event.event_data["UserExportInitiated"] == {
        "format": "csv",
        "filters": {"caused_by_type": "User"},
    }


def test_export_of_another_org_is_403(member_client, other_org):
    """Another org's export URL is refused and records nothing."""
    event_for(other_org)
    for fmt in ("csv", "json"):
        assert member_client.post(export_url(other_org, fmt)).status_code == 403
    assert not AuditEvent.objects.filter(event_type="UserExportInitiated").exists()


def test_export_needs_the_permission(client, org, plain_member):
    """A member without View Audit Log cannot export."""
    client.force_login(plain_member)
    assert client.post(export_url(org, "csv")).status_code == 403


def test_export_is_not_triggered_by_a_link(member_client, org):
    """A GET of the export URL exports nothing (exports are POSTed by the page)."""
    assert member_client.get(export_url(org, "csv")).status_code == 405


def test_includes_employees_off_hides_employee_events_from_exports(member_client, org):
    """With "includes employees" off, neither export contains staff events."""
    user_event = event_for(org, caused_by_type="User")
    event_for(org, caused_by_type="Employee")
    AuditSettings.objects.filter(pk=1).update(includes_employees=False)
    rows = csv_rows(member_client.post(export_url(org, "csv")))
    assert [row["id"] for row in rows] == [str(user_event.uuid)]
    data = json.loads(body(member_client.post(export_url(org, "json"))))
    ids = [item["id"] for item in data]
    # The first export's own UserExportInitiated event (caused by the User) is
    # in the second export; no Employee event is.
    assert str(user_event.uuid) in ids
    assert all(item["caused_by_type"] != "Employee" for item in data)


def test_csv_columns_are_the_spec_fields_then_category_and_description(
    member_client, org
):
    """The CSV header is the SPEC fields in order, then `category`, `description`."""
    event = event_for(
        org,
        event_type="UserLocked",
        user_email="ant@acme.example",
        caused_by_metadata={"email": "ops@operator.example"},
    )
    text = body(member_client.post(export_url(org, "csv")))
    header = next(csv.reader(io.StringIO(text)))
    assert header == [*SPEC_EVENT_FIELDS, "category", "description"]
    (row,) = [
        r for r in csv.DictReader(io.StringIO(text)) if r["id"] == str(event.uuid)
    ]
    assert row["created_at"] == str(int(event.created_at.timestamp()))
    assert row["category"] == "user"
    assert row["description"] == "ant@acme.example was locked by ops@operator.example"
    assert json.loads(row["caused_by_metadata"]) == {"email": "ops@operator.example"}


def test_parquet_export_holds_the_filtered_events_typed(member_client, org, other_org):
    """The Parquet export holds the filtered view as typed SPEC columns."""
    import pyarrow.parquet as pq

    mine = event_for(org, event_type="UserCreated")
    event_for(org, event_type="UserDeleted")
    event_for(other_org, event_type="UserCreated")
    response = member_client.post(
        export_url(org, "parquet"), {"event_type": "UserCreated"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.parquet"')
    data = b"".join(response.streaming_content)
    table = pq.read_table(io.BytesIO(data))
    assert table.schema.names == list(SPEC_EVENT_FIELDS)
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [str(mine.uuid)]
    assert rows[0]["created_at"] == mine.created_at


def test_org_page_offers_csv_json_and_parquet(member_client, org):
    """The org page has an export button per format: CSV, JSON, Parquet."""
    page = member_client.get(reverse("org-audit-log", args=[org.slug]))
    html = page.content.decode()
    for fmt in ("csv", "json", "parquet"):
        assert export_url(org, fmt) in html


def test_json_export_has_the_bytes_of_an_exported_json_object(member_client, org):
    """The org page's JSON and an export location's JSON are one writer:
    a compact array, the same bytes for the same events."""
    from audit.formats import json_text

    events = [event_for(org, event_type="UserCreated") for _ in range(3)]
    newest_first = sorted(events, key=lambda e: (e.created_at, e.seq), reverse=True)
    expected = "[" + ",".join(json_text(event_as_spec(e)) for e in newest_first) + "]"
    assert body(member_client.post(export_url(org, "json"))) == expected
