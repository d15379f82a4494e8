"""The built-in event catalog (SPEC section 4) and description rendering.

Each entry is (display name, description template). The ``event_type`` is
the display name with spaces and hyphens removed. Templates use ``{name}``
placeholders, resolved by :func:`render_description`:

- ``{user}``: the email (or id) of the user the event is about,
- ``{org}``: the name (or id) of the org the event is about,
- ``{actor}``: who caused it (email from ``caused_by_metadata``, else type),
- ``{impersonator}``: the impersonating employee, when there is one,
- any other name: a key of the event's details (``event_data[event_type]``),
  with dots for nested keys (``{new.role}``).

Only this placeholder syntax is understood (no attribute access, no format
specs), so operator-written templates for custom types are safe to render.
"""

from __future__ import annotations

import json
import re
from typing import Any

USER = "user"
ORG = "org"
# auditsite's own configuration (SPEC section 7): never shown to customers,
# delivered to a location only when its categories ask for it.
OPERATOR = "operator"

USER_EVENTS: list[tuple[str, str]] = [
    ("User Created", "{user} was created by {actor}"),
    ("User Deleted", "{user} was deleted by {actor}"),
    ("User Disabled", "{user} was disabled by {actor}"),
    ("Email Confirmed", "{user} confirmed their email address"),
    ("User Enabled", "{user} was enabled by {actor}"),
    ("User Locked", "{user} was locked by {actor}"),
    ("User Unlocked", "{user} was unlocked by {actor}"),
    ("Email Change Requested", "{user} requested an email change to {new_email}"),
    ("User MFA Locked", "{user} was locked out after too many MFA attempts"),
    ("User Logged Out", "{user} logged out"),
    ("User Impersonation", "{user} was impersonated by {impersonator}"),
    ("Email Changed", "{user} had their email changed to {new} from {old} by {actor}"),
    ("Password Changed", "{user} had their password changed by {actor}"),
    (
        "User Metadata Changed",
        "{user} had their account properties changed to {new} from {old} by {actor}",
    ),
    ("Added To Org", "{user} was added to {org} as {role} by {actor}"),
    ("Removed From Org", "{user} left {org}"),
    ("Removed Other User From Org", "{removed_user} was removed from {org} by {user}"),
    (
        "Role Changed Within Org",
        "{user} had their role in {org} changed to {new} by {actor}",
    ),
    ("Forgot Password", "{user} asked for a password reset"),
    ("Invited User To Org", "{user} invited {invitee_email} to {org} as {role}"),
    ("Rejected Org Invitation", "{user} rejected the invitation to {org}"),
    ("User Login Attempt", "{user} tried to log in ({result})"),
    ("User Login Still Needs MFA", "{user} logged in and still needs MFA"),
    ("User Login Invalid MFA Attempt", "{user} entered an invalid MFA code at login"),
    ("User Invalid MFA Attempt", "{user} entered an invalid MFA code"),
    ("Enabled MFA", "{user} enabled MFA"),
    ("Disabled MFA", "{user} had MFA disabled by {actor}"),
    ("Add Permission", "{user} was given the permission {permission} by {actor}"),
    ("Remove Permission", "{user} lost the permission {permission} by {actor}"),
    ("External Account Merged", "{user} merged an external account from {provider}"),
    ("User Export Initiated", "{user} exported the audit log of {org} as {format}"),
    ("Created Personal API Key", "{user} created a personal API key"),
    ("Deleted Personal API Key", "{user} deleted a personal API key"),
    ("Created Org", "{user} created the org {org}"),
    ("Updated Org Name", "{user} renamed {org} to {new} from {old}"),
    ("Enabled Org Domain Auto-Join", "{user} enabled domain auto-join for {org}"),
    ("Disabled Org Domain Auto-Join", "{user} disabled domain auto-join for {org}"),
    ("Enabled Org Domain Restrict", "{user} enabled domain restriction for {org}"),
    ("Disabled Org Domain Restrict", "{user} disabled domain restriction for {org}"),
    (
        "Revoked Org Invitation",
        "{user} revoked the invitation of {invitee_email} to {org}",
    ),
    (
        "Changed Users Role Within Org",
        "{user} changed the role of {target_email} in {org} to {new} from {old}",
    ),
    ("Setup SAML", "{user} set up SAML for {org}"),
    ("Went Live With SAML", "{user} took SAML live for {org}"),
    ("Removed SAML", "{user} removed SAML from {org}"),
    (
        "Username Changed",
        "{user} had their username changed to {new} from {old} by {actor}",
    ),
    ("Initiated SMS MFA Enrollment", "{user} started SMS MFA enrollment"),
    ("Completed SMS MFA Enrollment", "{user} completed SMS MFA enrollment"),
    ("Removed SMS MFA Phone Number", "{user} removed their SMS MFA phone number"),
    ("Initiated SMS MFA Verification", "{user} started SMS MFA verification"),
    ("Completed SMS MFA Verification", "{user} completed SMS MFA verification"),
]

ORG_EVENTS: list[tuple[str, str]] = [
    ("Org Created", "{org} was created by {actor}"),
    ("Org Updated", "{org} was updated to {new} from {old} by {actor}"),
    ("Org Deleted", "{org} was deleted by {actor}"),
    ("Org SAML Setup", "SAML was set up for {org} by {actor}"),
    ("Org SAML Went Live", "SAML went live for {org} by {actor}"),
    ("Org SAML Removed", "SAML was removed from {org} by {actor}"),
    ("Org Name Updated", "{org} was renamed to {new} from {old} by {actor}"),
    ("Org Can Setup SAML Enabled", "{org} was allowed to set up SAML by {actor}"),
    (
        "Org Can Setup SAML Disabled",
        "{org} was no longer allowed to set up SAML by {actor}",
    ),
    (
        "Org Domain Updated",
        "{org} had its domain changed to {new} from {old} by {actor}",
    ),
    ("Org Domain Auto-Join Enabled", "{org} had domain auto-join enabled by {actor}"),
    ("Org Domain Auto-Join Disabled", "{org} had domain auto-join disabled by {actor}"),
    ("Org Domain Restrict Enabled", "{org} had domain restriction enabled by {actor}"),
    (
        "Org Domain Restrict Disabled",
        "{org} had domain restriction disabled by {actor}",
    ),
    (
        "Org Metadata Updated",
        "{org} had its metadata changed to {new} from {old} by {actor}",
    ),
    (
        "Org Max Users Updated",
        "{org} had its user limit changed to {new} from {old} by {actor}",
    ),
    (
        "Org Auto-Logout Seconds Updated",
        "{org} had its auto-logout changed to {new} seconds from {old} by {actor}",
    ),
    ("Org Custom Role Mapping Set", "{org} had its custom role mapping set by {actor}"),
    (
        "Org Require 2FA By Updated",
        "{org} now requires 2FA by {new} (was {old}), set by {actor}",
    ),
    ("Org SCIM Key Created", "A SCIM key was created for {org} by {actor}"),
    ("Org SCIM Key Revoked", "A SCIM key was revoked for {org} by {actor}"),
    ("Org API Key Created", "An API key was created for {org} by {actor}"),
    ("Org API Key Deleted", "An API key was deleted for {org} by {actor}"),
    ("Org Invitation Sent", "{actor} invited {invitee_email} to {org} as {role}"),
    (
        "Org Invitation Revoked",
        "{actor} revoked the invitation of {invitee_email} to {org}",
    ),
    ("Org User Added", "{user} was added to {org} as {role} by {actor}"),
    (
        "Org User Role Changed",
        "{user} had their role in {org} changed to {new} from {old} by {actor}",
    ),
    ("Org User Removed", "{user} was removed from {org} by {actor}"),
    # The org's own log streams (SPEC section 11); details never hold a secret.
    (
        "Org Log Stream Created",
        "{actor} created the log stream {stream} ({destination}) for {org}",
    ),
    (
        "Org Log Stream Changed",
        "{actor} changed the log stream {stream} of {org} to {new} from {old}",
    ),
    ("Org Log Stream Deleted", "{actor} deleted the log stream {stream} of {org}"),
    ("Org Log Stream Paused", "The log stream {stream} of {org} was paused: {reason}"),
]


# Changes to auditsite itself. Details carry the target and, for changes,
# ``old`` and ``new`` (never a secret).
OPERATOR_EVENTS: list[tuple[str, str]] = [
    (
        "Audit Log Settings Changed",
        "{actor} changed the audit log settings to {new} from {old}",
    ),
    ("Role Created", "{actor} created the role {role} with {permissions}"),
    ("Role Changed", "{actor} changed the role {role} to {new} from {old}"),
    ("Role Deleted", "{actor} deleted the role {role}"),
    (
        "Role Permission Added",
        "{actor} gave the role {role} the permission {permission}",
    ),
    (
        "Role Permission Removed",
        "{actor} took the permission {permission} from the role {role}",
    ),
    ("Org Permission Created", "{actor} created the org permission {permission}"),
    (
        "Org Permission Changed",
        "{actor} changed the org permission {permission} to {new} from {old}",
    ),
    ("Org Permission Deleted", "{actor} deleted the org permission {permission}"),
    ("Custom Event Type Created", "{actor} created the custom event type {type}"),
    (
        "Custom Event Type Changed",
        "{actor} changed the custom event type {type} to {new} from {old}",
    ),
    ("Custom Event Type Deleted", "{actor} deleted the custom event type {type}"),
    (
        "User Staff Status Changed",
        "{user} had staff access set to {new} from {old} by {actor}",
    ),
    (
        "User Superuser Status Changed",
        "{user} had superuser access set to {new} from {old} by {actor}",
    ),
    (
        "User Groups Changed",
        "{user} had their operator groups changed to {new} from {old} by {actor}",
    ),
    (
        "User Permissions Changed",
        "{user} had their operator permissions changed to {new} from {old} by {actor}",
    ),
    ("Group Created", "{actor} created the operator group {group}"),
    ("Group Changed", "{actor} changed the operator group {group} to {new} from {old}"),
    ("Group Deleted", "{actor} deleted the operator group {group}"),
    ("Operator API Key Created", "{actor} created the API key {prefix} ({name})"),
    ("Operator API Key Revoked", "{actor} revoked the API key {prefix} ({name})"),
    (
        "Operator API Key Scopes Changed",
        "{actor} changed the scopes of the API key {prefix} ({name}) to {new} "
        "from {old}",
    ),
    (
        "Export Location Created",
        "{actor} created the export location {location} ({destination})",
    ),
    (
        "Export Location Changed",
        "{actor} changed the export location {location} to {new} from {old}",
    ),
    (
        "Export Location Credentials Changed",
        "{actor} changed the credentials of the export location {location}",
    ),
    ("Export Location Deleted", "{actor} deleted the export location {location}"),
    ("Export Location Paused", "{actor} paused the export location {location}"),
    ("Export Location Resumed", "{actor} resumed the export location {location}"),
    (
        "Export Location Replayed",
        "{actor} replayed the export location {location} from {from}",
    ),
    (
        "Export Location Verified",
        "{actor} verified the export location {location}: {status}",
    ),
    ("Retention Purge Run", "{actor} purged {removed} expired events"),
]


def event_type_name(display_name: str) -> str:
    """`User MFA Locked` -> `UserMFALocked`: spaces and hyphens removed."""
    return display_name.replace(" ", "").replace("-", "")


def builtin_catalog() -> list[dict[str, str]]:
    """Every built-in type: ``event_type``, ``name``, ``category``, ``template``."""
    return [
        {
            "event_type": event_type_name(name),
            "name": name,
            "category": category,
            "template": template,
        }
        for category, entries in (
            (USER, USER_EVENTS),
            (ORG, ORG_EVENTS),
            (OPERATOR, OPERATOR_EVENTS),
        )
        for name, template in entries
    ]


BUILTIN_BY_TYPE: dict[str, dict[str, str]] = {
    entry["event_type"]: entry for entry in builtin_catalog()
}


class _BuiltinTypes:
    """The built-in event types as attributes: ``T.UserCreated == "UserCreated"``.

    Code that records or names a built-in type writes ``T.<Type>``, never the
    string: an unknown name raises ``AttributeError`` (and
    ``tests/audit/test_catalog.py`` checks every ``T.<name>`` in the code).
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> str:
        if name in BUILTIN_BY_TYPE:
            return name
        raise AttributeError(f"{name!r} is not a built-in event type")

    def __dir__(self) -> list[str]:
        return sorted(BUILTIN_BY_TYPE)


T = _BuiltinTypes()

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")


def format_value(value: Any) -> str:
    """Render a detail value for humans: `{ firstName: "Buddy" }` for dicts."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if not value:
            return "{ }"
        inner = ", ".join(f"{key}: {json.dumps(item)}" for key, item in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list):
        return ", ".join(format_value(item) for item in value)
    return str(value)


def render_description(template: str, context: dict[str, Any], details: dict) -> str:
    """Fill ``template`` from ``context`` (user, org, actor, ...) and ``details``.

    Unknown placeholders render as ``?`` rather than failing: a description
    must never make an event unreadable.
    """

    def lookup(match: re.Match) -> str:
        path = match.group(1).split(".")
        head = path[0]
        if head in context and len(path) == 1:
            return format_value(context[head])
        value: Any = details
        for part in path:
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return "?"
        return format_value(value)

    return _PLACEHOLDER.sub(lookup, template)
