import pytest

from audit.catalog import format_value, render_description
from audit.models import AuditEvent, EventType
from audit.selectors import event_description
from tests.factories import AuditEventFactory


def test_metadata_change_description_matches_spec_example():
    """UserMetadataChanged renders exactly as SPEC section 3 shows."""
    event = AuditEvent(
        event_type="UserMetadataChanged",
        user_email="user@acmeinc.com",
        event_data={
            "UserMetadataChanged": {
                "old": {"firstName": "Ant"},
                "new": {"firstName": "Buddy"},
            }
        },
        caused_by_type="Employee",
        caused_by_metadata={"email": "admin@acme.com"},
    )
    assert event.description(
        "{user} had their account properties changed to {new} from {old} by {actor}"
    ) == (
        "user@acmeinc.com had their account properties changed to "
        '{ firstName: "Buddy" } '
        'from { firstName: "Ant" } by admin@acme.com'
    )


@pytest.mark.django_db
def test_description_uses_the_stored_catalog_template():
    """Without an explicit template the catalog's template is used."""
    event = AuditEventFactory.build(
        event_type="UserLocked",
        user_email="ant@acme.example",
        caused_by_type="Employee",
        caused_by_metadata={"email": "ops@operator.example"},
    )
    assert (
        event_description(event)
        == "ant@acme.example was locked by ops@operator.example"
    )


@pytest.mark.django_db
def test_custom_event_type_renders_its_template():
    """An operator-defined type renders with its own template and detail keys."""
    EventType.objects.create(
        event_type="DocumentShared",
        name="Document Shared",
        category="user",
        template="{user} shared {document.title} with {recipient}",
    )
    event = AuditEventFactory.build(
        event_type="DocumentShared",
        user_email="ant@acme.example",
        event_data={
            "DocumentShared": {"document": {"title": "Q3 plan"}, "recipient": "bo"}
        },
    )
    assert event_description(event) == "ant@acme.example shared Q3 plan with bo"


def test_unknown_placeholders_render_as_question_marks():
    """A template naming a missing key still renders instead of failing."""
    assert (
        render_description("{user} did {thing}", {"user": "a@b.c"}, {}) == "a@b.c did ?"
    )


def test_templates_cannot_reach_attributes():
    """Format-string tricks are not placeholders: they are left as text."""
    text = render_description("{user.__class__} {user!r} {0}", {"user": "a@b.c"}, {})
    assert text == "? {user!r} {0}"


def test_actor_falls_back_to_cause_type():
    """An event with no actor email names its cause type."""
    event = AuditEvent(event_type="UserLocked", caused_by_type="System")
    assert event.actor_label == "System"


def test_format_value_renders_none_bools_and_lists():
    """Detail values read naturally."""
    assert format_value(None) == "(none)"
    assert format_value(True) == "yes"
    assert format_value(["a", 1]) == "a, 1"
