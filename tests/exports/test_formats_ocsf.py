"""OCSF: every mapped record validates, each type lands in its documented class."""

from pathlib import Path

import pytest
from py_ocsf_models import OCSF_VERSION as LIBRARY_OCSF_VERSION
from py_ocsf_models.events.base_event import BaseEvent
from py_ocsf_models.objects.metadata import Metadata
from py_ocsf_models.objects.user import User
from pydantic import ConfigDict

from audit import formats
from audit.catalog import builtin_catalog
from audit.formats import ocsf, ocsf_map
from audit.models import EventType
from exports.rows import ExportRow
from tests.exports.format_rows import spec_rows

FORMATS_DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


class StrictUser(User):
    """py-ocsf-models' User, refusing attributes the schema does not have."""

    model_config = ConfigDict(extra="forbid")


class StrictMetadata(Metadata):
    model_config = ConfigDict(extra="forbid")


# The classes SPEC section 9 names, with their OCSF category.
SPEC_CLASSES = {3001: 3, 3002: 3, 3004: 3, 3006: 3, 6003: 6}


def _rows_of_every_type() -> list[ExportRow]:
    """One row per built-in type (each cause kind), plus a custom type per category."""
    types = [(e["event_type"], e["category"]) for e in builtin_catalog()]
    types += [(f"AcmeCustom{c.title()}", c) for c in ("user", "org", "operator")]
    causes = [
        ("User", "u-1", {"email": "ant@acme.example"}, "", None),
        ("Employee", "staff-1", {"email": "ops@auditsite.example"}, "", None),
        ("ApiKey", "key_demo01", {"name": "billing-service"}, "", None),
        ("Impersonation", "u-1", {"email": "ant@acme.example"}, "staff-2",
         {"email": "support@auditsite.example"}),
        ("Scim", "scim_okta", {"name": "Okta SCIM"}, "", None),
        ("System", "", None, "", None),
    ]  # fmt: skip
    base = spec_rows(len(types))
    rows = []
    for i, ((event_type, category), row) in enumerate(zip(types, base, strict=True)):
        cause, cause_id, meta, imp_id, imp_meta = causes[i % len(causes)]
        # Types of the user classes are about a user (operator ones included).
        user_class = ocsf_map.mapping_for(event_type, category).class_uid < 3004
        about_user = category == "user" or user_class or i % 2
        rows.append(
            ExportRow(
                *row._replace(
                    event_type=event_type,
                    category=category,
                    event_data={event_type: {"n": i}},
                    user_id=row.user_id if about_user else None,
                    user_email=row.user_email if about_user else "",
                    org_id=None if i % 5 == 0 else row.org_id,
                    org_name="" if i % 5 == 0 else row.org_name,
                    caused_by_type=cause,
                    caused_by_id=cause_id,
                    caused_by_metadata=meta,
                    impersonator_id=imp_id,
                    impersonator_metadata=imp_meta,
                ),
                txid=0,
                seq=i + 1,
            )
        )
    return rows


def test_every_builtin_type_has_a_row():
    """Every built-in catalog type, operator types included, is in the table."""
    assert {e["event_type"] for e in builtin_catalog()} == set(ocsf_map.MAPPING)


def test_every_record_validates_against_ocsf():
    """Every mapped record passes py-ocsf-models' validation of the OCSF objects."""
    rows = _rows_of_every_type()
    records = formats.parse("ocsf", formats.render("ocsf", rows))
    assert len(records) == len(rows)
    assert ocsf_map.OCSF_VERSION == LIBRARY_OCSF_VERSION
    for row, record in zip(rows, records, strict=True):
        BaseEvent.model_validate(record)  # metadata, severity_id, status_id, ...
        StrictMetadata.model_validate(record["metadata"])
        StrictUser.model_validate(record["actor"]["user"])
        if "user" in record:
            StrictUser.model_validate(record["user"])
        assert record["class_uid"] in SPEC_CLASSES
        assert record["category_uid"] == SPEC_CLASSES[record["class_uid"]]
        assert record["type_uid"] == record["class_uid"] * 100 + record["activity_id"]
        assert record["metadata"]["uid"] == str(row.uuid)
        assert record["metadata"]["product"]["name"] == "auditsite"
        assert record["time"] == int(row.created_at.timestamp() * 1000)
        assert record["unmapped"]["id"] == str(row.uuid)
        assert record["unmapped"]["event_type"] == row.event_type
        required = {
            3001: "user",
            3002: "user",
            3004: "entity",
            3006: "group",
            6003: "api",
        }[record["class_uid"]]
        if record["class_uid"] in (3001, 3002) or row.org_id:
            assert required in record, (row.event_type, record)
        if row.caused_by_source_ip:
            assert record["src_endpoint"] == {"ip": row.caused_by_source_ip}


@pytest.mark.parametrize(
    ("event_type", "class_uid", "activity_id"),
    [
        ("UserCreated", 3001, 1),
        ("PasswordChanged", 3001, 3),
        ("UserLoginAttempt", 3002, 1),
        ("UserLoggedOut", 3002, 2),
        ("OrgUpdated", 3004, 3),
        ("OrgUserAdded", 3006, 3),
        ("UserExportInitiated", 6003, 2),
        ("ExportLocationCreated", 6003, 1),
    ],
)
def test_types_land_in_their_documented_class(event_type, class_uid, activity_id):
    """A sample of types lands in the class and activity the table documents."""
    [row] = [r for r in _rows_of_every_type() if r.event_type == event_type]
    record = ocsf.record(row)
    assert (record["class_uid"], record["activity_id"]) == (class_uid, activity_id)
    assert f"| `{event_type}` | " in ocsf_map.markdown_table()


@pytest.mark.django_db
def test_custom_types_map_by_category():
    """A custom type maps by its category: user, org, operator."""
    EventType.objects.create(
        event_type="AcmeThing", name="Acme Thing", category="org", template="x"
    )
    by_type = {r.event_type: ocsf.record(r) for r in _rows_of_every_type()}
    assert by_type["AcmeCustomUser"]["class_uid"] == 3001
    assert by_type["AcmeCustomOrg"]["class_uid"] == 3004
    assert by_type["AcmeCustomOperator"]["class_uid"] == 6003
    assert by_type["AcmeCustomOrg"]["activity_id"] == 99


def test_formats_doc_documents_the_table():
    """docs/formats.md's OCSF table is the one the module generates."""
    assert ocsf_map.markdown_table() in FORMATS_DOC.read_text()
