"""Writes: every change auditsite makes records its audit event here.

Each service is keyword-only, takes the ``actor`` that caused the change and
records the matching catalog event in the same ``transaction.atomic()`` as
the change, so a change without its event (or the reverse) cannot commit.

One module per topic; this package re-exports their public names so callers
write ``from audit.services import Actor, user_update``.
"""

from audit.services import signin
from audit.services.events import (
    Actor,
    audit_log_export_start,
    event_record,
    events_delete_for_retention,
)
from audit.services.operator_access import (
    group_create,
    group_delete,
    group_update,
    user_groups_set,
    user_permissions_set,
)
from audit.services.orgs_members import (
    BOOLEAN_ORG_SETTINGS,
    ORG_EDITABLE_FIELDS,
    ORG_SETTING_EVENTS,
    ORG_UPDATED_FIELDS,
    membership_add,
    membership_change_role,
    membership_remove,
    org_create,
    org_delete,
    org_rename,
    org_update,
)
from audit.services.settings_catalog import (
    event_type_create,
    event_type_delete,
    event_type_update,
    org_permission_create,
    org_permission_delete,
    org_permission_update,
    role_create,
    role_delete,
    role_permissions_set,
    role_update,
    settings_update,
)
from audit.services.updates import FieldChanges, fields_update
from audit.services.users import (
    FLAG_EVENTS,
    METADATA_FIELDS,
    OPERATOR_FLAG_EVENTS,
    USER_EDITABLE_FIELDS,
    user_change_email,
    user_change_metadata,
    user_change_username,
    user_create,
    user_delete,
    user_disable,
    user_enable,
    user_lock,
    user_password_changed,
    user_unlock,
    user_update,
)

__all__ = [
    "signin",
    "Actor",
    "BOOLEAN_ORG_SETTINGS",
    "FLAG_EVENTS",
    "FieldChanges",
    "METADATA_FIELDS",
    "OPERATOR_FLAG_EVENTS",
    "ORG_EDITABLE_FIELDS",
    "ORG_SETTING_EVENTS",
    "ORG_UPDATED_FIELDS",
    "USER_EDITABLE_FIELDS",
    "audit_log_export_start",
    "event_record",
    "event_type_create",
    "event_type_delete",
    "event_type_update",
    "events_delete_for_retention",
    "fields_update",
    "group_create",
    "group_delete",
    "group_update",
    "membership_add",
    "membership_change_role",
    "membership_remove",
    "org_create",
    "org_delete",
    "org_permission_create",
    "org_permission_delete",
    "org_permission_update",
    "org_rename",
    "org_update",
    "role_create",
    "role_delete",
    "role_permissions_set",
    "role_update",
    "settings_update",
    "user_change_email",
    "user_change_metadata",
    "user_change_username",
    "user_create",
    "user_delete",
    "user_disable",
    "user_enable",
    "user_groups_set",
    "user_lock",
    "user_password_changed",
    "user_permissions_set",
    "user_unlock",
    "user_update",
]
