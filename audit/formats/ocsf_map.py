"""How each auditsite event type maps to OCSF 1.x: class, activity, severity.

Data only (the ``ocsf`` format reads it; the README's table is checked
against it by ``tests/exports/test_formats_ocsf.py``). Every built-in type,
the ``operator`` types included, has a row in ``MAPPING``; a custom type
(or one added to the catalog later) maps by its category (``BY_CATEGORY``).

Classes (OCSF category 3 Identity & Access Management, and 6 Application
Activity): Account Change 3001, Authentication 3002, Entity Management 3004,
Group Management 3006, API Activity 6003 where nothing fits. Activity ids
are the class's own (99 = Other); severity ids are OCSF's (1 Informational,
2 Low, 3 Medium, 4 High).
"""

from __future__ import annotations

from typing import NamedTuple

OCSF_VERSION = "1.5.0"


class OcsfClass(NamedTuple):
    """An OCSF event class: its uid, name, category and activity names."""

    uid: int
    name: str
    category_uid: int
    category_name: str
    activities: dict[int, str]


ACCOUNT_CHANGE = OcsfClass(
    3001,
    "Account Change",
    3,
    "Identity & Access Management",
    {
        1: "Create",
        2: "Enable",
        3: "Password Change",
        4: "Password Reset",
        5: "Disable",
        6: "Delete",
        7: "Attach Policy",
        8: "Detach Policy",
        9: "Lock",
        10: "MFA Factor Enable",
        11: "MFA Factor Disable",
        12: "Unlock",
        99: "Other",
    },
)
AUTHENTICATION = OcsfClass(
    3002,
    "Authentication",
    3,
    "Identity & Access Management",
    {1: "Logon", 2: "Logoff", 6: "Preauth", 99: "Other"},
)
ENTITY_MANAGEMENT = OcsfClass(
    3004,
    "Entity Management",
    3,
    "Identity & Access Management",
    {
        1: "Create",
        2: "Read",
        3: "Update",
        4: "Delete",
        8: "Enable",
        9: "Disable",
        10: "Activate",
        99: "Other",
    },
)
GROUP_MANAGEMENT = OcsfClass(
    3006,
    "Group Management",
    3,
    "Identity & Access Management",
    {
        1: "Assign Privileges",
        2: "Revoke Privileges",
        3: "Add User",
        4: "Remove User",
        5: "Delete",
        6: "Create",
        99: "Other",
    },
)
API_ACTIVITY = OcsfClass(
    6003,
    "API Activity",
    6,
    "Application Activity",
    {1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"},
)
CLASSES = {c.uid: c for c in (ACCOUNT_CHANGE, AUTHENTICATION, ENTITY_MANAGEMENT,
                              GROUP_MANAGEMENT, API_ACTIVITY)}  # fmt: skip

SEVERITIES = {1: "Informational", 2: "Low", 3: "Medium", 4: "High"}


class Mapping(NamedTuple):
    """Where one event type lands in OCSF; ``failure`` marks a failed attempt."""

    class_uid: int
    activity_id: int
    severity_id: int
    failure: bool = False


A, AU, E, G, API = 3001, 3002, 3004, 3006, 6003

MAPPING: dict[str, Mapping] = {
    # --- user events ---
    "UserCreated": Mapping(A, 1, 1),
    "UserDeleted": Mapping(A, 6, 3),
    "UserDisabled": Mapping(A, 5, 2),
    "EmailConfirmed": Mapping(A, 99, 1),
    "UserEnabled": Mapping(A, 2, 1),
    "UserLocked": Mapping(A, 9, 3),
    "UserUnlocked": Mapping(A, 12, 2),
    "EmailChangeRequested": Mapping(A, 99, 1),
    "UserMFALocked": Mapping(A, 9, 3),
    "UserLoggedOut": Mapping(AU, 2, 1),
    "UserImpersonation": Mapping(AU, 1, 3),
    "EmailChanged": Mapping(A, 99, 2),
    "PasswordChanged": Mapping(A, 3, 2),
    "UserMetadataChanged": Mapping(A, 99, 1),
    "AddedToOrg": Mapping(G, 3, 1),
    "RemovedFromOrg": Mapping(G, 4, 2),
    "RemovedOtherUserFromOrg": Mapping(G, 4, 2),
    "RoleChangedWithinOrg": Mapping(G, 1, 2),
    "ForgotPassword": Mapping(A, 4, 2),
    "InvitedUserToOrg": Mapping(G, 99, 1),
    "RejectedOrgInvitation": Mapping(G, 99, 1),
    "UserLoginAttempt": Mapping(AU, 1, 1),
    "UserLoginStillNeedsMFA": Mapping(AU, 6, 1),
    "UserLoginInvalidMFAAttempt": Mapping(AU, 1, 3, failure=True),
    "UserInvalidMFAAttempt": Mapping(AU, 99, 3, failure=True),
    "EnabledMFA": Mapping(A, 10, 2),
    "DisabledMFA": Mapping(A, 11, 3),
    "AddPermission": Mapping(A, 7, 2),
    "RemovePermission": Mapping(A, 8, 2),
    "ExternalAccountMerged": Mapping(A, 99, 2),
    "UserExportInitiated": Mapping(API, 2, 1),
    "CreatedPersonalAPIKey": Mapping(E, 1, 2),
    "DeletedPersonalAPIKey": Mapping(E, 4, 2),
    "CreatedOrg": Mapping(G, 6, 1),
    "UpdatedOrgName": Mapping(E, 3, 1),
    "EnabledOrgDomainAutoJoin": Mapping(E, 8, 2),
    "DisabledOrgDomainAutoJoin": Mapping(E, 9, 2),
    "EnabledOrgDomainRestrict": Mapping(E, 8, 2),
    "DisabledOrgDomainRestrict": Mapping(E, 9, 2),
    "RevokedOrgInvitation": Mapping(G, 99, 1),
    "ChangedUsersRoleWithinOrg": Mapping(G, 1, 2),
    "SetupSAML": Mapping(E, 1, 2),
    "WentLiveWithSAML": Mapping(E, 10, 3),
    "RemovedSAML": Mapping(E, 4, 3),
    "UsernameChanged": Mapping(A, 99, 2),
    "InitiatedSMSMFAEnrollment": Mapping(A, 99, 1),
    "CompletedSMSMFAEnrollment": Mapping(A, 10, 2),
    "RemovedSMSMFAPhoneNumber": Mapping(A, 11, 3),
    "InitiatedSMSMFAVerification": Mapping(AU, 99, 1),
    "CompletedSMSMFAVerification": Mapping(AU, 99, 1),
    # --- org events ---
    "OrgCreated": Mapping(G, 6, 1),
    "OrgUpdated": Mapping(E, 3, 1),
    "OrgDeleted": Mapping(G, 5, 3),
    "OrgSAMLSetup": Mapping(E, 1, 2),
    "OrgSAMLWentLive": Mapping(E, 10, 3),
    "OrgSAMLRemoved": Mapping(E, 4, 3),
    "OrgNameUpdated": Mapping(E, 3, 1),
    "OrgCanSetupSAMLEnabled": Mapping(E, 8, 2),
    "OrgCanSetupSAMLDisabled": Mapping(E, 9, 2),
    "OrgDomainUpdated": Mapping(E, 3, 2),
    "OrgDomainAutoJoinEnabled": Mapping(E, 8, 2),
    "OrgDomainAutoJoinDisabled": Mapping(E, 9, 2),
    "OrgDomainRestrictEnabled": Mapping(E, 8, 2),
    "OrgDomainRestrictDisabled": Mapping(E, 9, 2),
    "OrgMetadataUpdated": Mapping(E, 3, 1),
    "OrgMaxUsersUpdated": Mapping(E, 3, 1),
    "OrgAutoLogoutSecondsUpdated": Mapping(E, 3, 2),
    "OrgCustomRoleMappingSet": Mapping(E, 3, 2),
    "OrgRequire2FAByUpdated": Mapping(E, 3, 2),
    "OrgSCIMKeyCreated": Mapping(E, 1, 3),
    "OrgSCIMKeyRevoked": Mapping(E, 4, 2),
    "OrgAPIKeyCreated": Mapping(E, 1, 3),
    "OrgAPIKeyDeleted": Mapping(E, 4, 2),
    "OrgInvitationSent": Mapping(G, 99, 1),
    "OrgInvitationRevoked": Mapping(G, 99, 1),
    "OrgUserAdded": Mapping(G, 3, 1),
    "OrgUserRoleChanged": Mapping(G, 1, 2),
    "OrgUserRemoved": Mapping(G, 4, 2),
    "OrgLogStreamCreated": Mapping(API, 1, 2),
    "OrgLogStreamChanged": Mapping(API, 3, 2),
    "OrgLogStreamDeleted": Mapping(API, 4, 3),
    "OrgLogStreamPaused": Mapping(API, 3, 3),
    # --- operator events (auditsite's own configuration, SPEC section 7) ---
    "AuditLogSettingsChanged": Mapping(API, 3, 3),
    "RoleCreated": Mapping(E, 1, 2),
    "RoleChanged": Mapping(E, 3, 2),
    "RoleDeleted": Mapping(E, 4, 2),
    "RolePermissionAdded": Mapping(E, 3, 2),
    "RolePermissionRemoved": Mapping(E, 3, 2),
    "OrgPermissionCreated": Mapping(E, 1, 2),
    "OrgPermissionChanged": Mapping(E, 3, 2),
    "OrgPermissionDeleted": Mapping(E, 4, 2),
    "CustomEventTypeCreated": Mapping(API, 1, 1),
    "CustomEventTypeChanged": Mapping(API, 3, 1),
    "CustomEventTypeDeleted": Mapping(API, 4, 1),
    "UserStaffStatusChanged": Mapping(A, 99, 4),
    "UserSuperuserStatusChanged": Mapping(A, 99, 4),
    "UserGroupsChanged": Mapping(G, 99, 3),
    "UserPermissionsChanged": Mapping(A, 99, 3),
    "GroupCreated": Mapping(G, 6, 2),
    "GroupChanged": Mapping(G, 99, 2),
    "GroupDeleted": Mapping(G, 5, 2),
    "OperatorAPIKeyCreated": Mapping(E, 1, 3),
    "OperatorAPIKeyRevoked": Mapping(E, 4, 2),
    "OperatorAPIKeyScopesChanged": Mapping(E, 3, 3),
    "ExportLocationCreated": Mapping(API, 1, 2),
    "ExportLocationChanged": Mapping(API, 3, 2),
    "ExportLocationCredentialsChanged": Mapping(API, 3, 3),
    "ExportLocationDeleted": Mapping(API, 4, 3),
    "ExportLocationPaused": Mapping(API, 3, 3),
    "ExportLocationResumed": Mapping(API, 3, 2),
    "ExportLocationReplayed": Mapping(API, 99, 2),
    "ExportLocationVerified": Mapping(API, 99, 1),
    "RetentionPurgeRun": Mapping(API, 4, 1),
}

# A custom type (or a type without a row above) maps by its category.
BY_CATEGORY: dict[str, Mapping] = {
    "user": Mapping(A, 99, 1),
    "org": Mapping(E, 99, 1),
    "operator": Mapping(API, 99, 1),
}


def mapping_for(event_type: str, category: str) -> Mapping:
    """The mapping of a type: its own row, else its category's."""
    return MAPPING.get(event_type) or BY_CATEGORY.get(category) or BY_CATEGORY["org"]


def markdown_table() -> str:
    """The README's mapping table, generated from ``MAPPING`` and ``BY_CATEGORY``.

    ``python -c "from audit.formats.ocsf_map import markdown_table as t;
    print(t())"`` prints it; a test checks the README holds exactly this.
    """
    lines = [
        "| event type | OCSF class | activity | severity |",
        "|---|---|---|---|",
    ]

    def line(name: str, mapping: Mapping) -> str:
        ocsf_class = CLASSES[mapping.class_uid]
        activity = ocsf_class.activities[mapping.activity_id]
        failure = " (status Failure)" if mapping.failure else ""
        return (
            f"| {name} | {ocsf_class.name} {ocsf_class.uid} | "
            f"{activity} {mapping.activity_id}{failure} | "
            f"{SEVERITIES[mapping.severity_id]} {mapping.severity_id} |"
        )

    lines += [line(f"`{name}`", mapping) for name, mapping in MAPPING.items()]
    lines += [
        line(f"any other `{category}` type", mapping)
        for category, mapping in BY_CATEGORY.items()
    ]
    return "\n".join(lines)
