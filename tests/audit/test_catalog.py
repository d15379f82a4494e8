import ast
import re
from pathlib import Path

import pytest

from audit.catalog import (
    BUILTIN_BY_TYPE,
    OPERATOR_EVENTS,
    ORG_EVENTS,
    USER_EVENTS,
    T,
    builtin_catalog,
    event_type_name,
)
from audit.models import EventType

SPEC_USER_EVENTS = """User Created, User Deleted, User Disabled, Email Confirmed,
User Enabled, User Locked, User Unlocked, Email Change Requested, User MFA
Locked, User Logged Out, User Impersonation, Email Changed, Password Changed,
User Metadata Changed, Added To Org, Removed From Org, Removed Other User From
Org, Role Changed Within Org, Forgot Password, Invited User To Org, Rejected
Org Invitation, User Login Attempt, User Login Still Needs MFA, User Login
Invalid MFA Attempt, User Invalid MFA Attempt, Enabled MFA, Disabled MFA, Add
Permission, Remove Permission, External Account Merged, User Export
Initiated, Created Personal API Key, Deleted Personal API Key, Created Org,
Updated Org Name, Enabled Org Domain Auto-Join, Disabled Org Domain
Auto-Join, Enabled Org Domain Restrict, Disabled Org Domain Restrict, Revoked
Org Invitation, Changed Users Role Within Org, Setup SAML, Went Live With
SAML, Removed SAML, Username Changed, Initiated SMS MFA Enrollment, Completed
SMS MFA Enrollment, Removed SMS MFA Phone Number, Initiated SMS MFA
Verification, Completed SMS MFA Verification"""

SPEC_ORG_EVENTS = """Org Created, Org Updated, Org Deleted, Org SAML Setup, Org
SAML Went Live, Org SAML Removed, Org Name Updated, Org Can Setup SAML
Enabled, Org Can Setup SAML Disabled, Org Domain Updated, Org Domain
Auto-Join Enabled, Org Domain Auto-Join Disabled, Org Domain Restrict
Enabled, Org Domain Restrict Disabled, Org Metadata Updated, Org Max Users
Updated, Org Auto-Logout Seconds Updated, Org Custom Role Mapping Set, Org
Require 2FA By Updated, Org SCIM Key Created, Org SCIM Key Revoked, Org API
Key Created, Org API Key Deleted, Org Invitation Sent, Org Invitation
Revoked, Org User Added, Org User Role Changed, Org User Removed"""

# SPEC section 11 adds the org's own log streams to the built-in org types.
SPEC_11_ORG_EVENTS = """Org Log Stream Created, Org Log Stream Changed, Org Log
Stream Deleted, Org Log Stream Paused"""


def _names(text: str) -> list[str]:
    return [" ".join(name.split()) for name in text.split(",")]


def test_catalog_lists_every_spec_user_event_in_order():
    """The 50 user events are exactly SPEC section 4's, in its order."""
    assert [name for name, _ in USER_EVENTS] == _names(SPEC_USER_EVENTS)
    assert len(USER_EVENTS) == 50


def test_catalog_lists_every_spec_org_event_in_order():
    """The org events are SPEC section 4's 28 then section 11's 4, in order."""
    assert [name for name, _ in ORG_EVENTS] == _names(SPEC_ORG_EVENTS) + _names(
        SPEC_11_ORG_EVENTS
    )
    assert len(ORG_EVENTS) == 32


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("User Created", "UserCreated"),
        ("User MFA Locked", "UserMFALocked"),
        ("Enabled Org Domain Auto-Join", "EnabledOrgDomainAutoJoin"),
        ("Org Require 2FA By Updated", "OrgRequire2FAByUpdated"),
    ],
)
def test_event_type_name_drops_spaces_and_hyphens(name, expected):
    """Event type names follow SPEC section 4's examples."""
    assert event_type_name(name) == expected


def test_event_types_are_unique_and_camel_case():
    """No two catalog entries share an event_type, and each is CamelCase."""
    types = [entry["event_type"] for entry in builtin_catalog()]
    assert len(types) == len(set(types)) == 82 + len(OPERATOR_EVENTS)
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]*", t) for t in types)


def test_every_template_names_its_subject():
    """Each template mentions the user or org it is about."""
    for entry in builtin_catalog():
        subject = "{user}" if entry["category"] == "user" else "{org}"
        assert subject in entry["template"] or "{actor}" in entry["template"], entry


def test_operator_category_covers_spec_section_7():
    """The operator types name every change SPEC section 7 lists."""
    types = {event_type_name(name) for name, _ in OPERATOR_EVENTS}
    assert {
        "AuditLogSettingsChanged",
        "RolePermissionAdded",
        "RolePermissionRemoved",
        "CustomEventTypeCreated",
        "UserStaffStatusChanged",
        "UserSuperuserStatusChanged",
        "UserGroupsChanged",
        "UserPermissionsChanged",
        "OperatorAPIKeyCreated",
        "OperatorAPIKeyRevoked",
        "ExportLocationCreated",
        "ExportLocationChanged",
        "ExportLocationCredentialsChanged",
        "ExportLocationDeleted",
        "ExportLocationPaused",
        "ExportLocationResumed",
        "ExportLocationReplayed",
        "ExportLocationVerified",
        "RetentionPurgeRun",
    } <= types
    assert all(
        e["category"] == "operator"
        for e in builtin_catalog()
        if e["event_type"] in types
    )


@pytest.mark.django_db
def test_migrations_load_the_whole_catalog():
    """After migrate, every built-in type is in the database with its category."""
    stored = dict(
        EventType.objects.filter(builtin=True).values_list("event_type", "category")
    )
    assert stored == {e["event_type"]: e["category"] for e in builtin_catalog()}


def _app_sources():
    root = Path(__file__).resolve().parents[2]
    for app in ("audit", "exports", "auditsite"):
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, path.read_text()


def test_every_event_type_constant_in_the_code_is_in_the_catalog():
    """Each ``T.<name>`` the app writes names a built-in type, executed or not."""
    used = set()
    for _, source in _app_sources():
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "T"
            ):
                used.add(node.attr)
    assert used, "no T.<name> found: the scan is broken"
    assert used - set(BUILTIN_BY_TYPE) == set()


def test_events_are_recorded_with_constants_not_strings():
    """No ``event_type="..."`` literal is left where the app records an event."""
    literal = re.compile(r"event_type\s*=\s*f?[\"']")
    offenders = [str(path) for path, source in _app_sources() if literal.search(source)]
    assert offenders == []


def test_an_unknown_constant_fails():
    """A typo in a constant raises instead of recording an unknown type."""
    assert T.UserCreated == "UserCreated"
    with pytest.raises(AttributeError):
        T.UserCreatd  # noqa: B018


@pytest.mark.django_db
def test_one_catalog_read_gives_what_the_two_selectors_give():
    """The page's one catalog query yields the same templates and choices."""
    from audit import selectors

    EventType.objects.create(
        event_type="ZetaThing", name="aardvark thing", category="org", template="z"
    )
    EventType.objects.filter(event_type="UserCreated").update(template="custom")
    catalog = selectors.event_catalog()
    assert catalog.templates == selectors.event_type_templates()
    assert catalog.templates["UserCreated"] == "custom"
    assert catalog.choices() == selectors.event_type_choices()
    assert catalog.choices(include_operator=True) == selectors.event_type_choices(
        include_operator=True
    )
    assert len(catalog.choices(include_operator=True)) > len(catalog.choices())
