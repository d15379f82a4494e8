"""The audit app's models, one module per topic, all importable from here.

- ``accounts``: users, orgs, org permissions, roles, memberships.
- ``events``: the event catalog, audit events, their daily rollup, the
  customer-facing settings, the org page's background exports.
- ``keys``: operator and org API keys (one abstract :class:`SecretKey`),
  portal links.
- ``scim``: an org's SCIM key and what its identity provider knows.

Import from here (``from audit.models import ApiKey``): the modules only sort them.
"""

from audit.models.accounts import (
    RETENTION_DAYS,
    Membership,
    Organization,
    OrgPermission,
    Plan,
    Role,
    User,
    UserManager,
)
from audit.models.events import (
    AuditEvent,
    AuditSettings,
    Category,
    CausedByType,
    CustomerExport,
    EventDayCount,
    EventType,
)
from audit.models.keys import ApiKey, OrgApiKey, PortalLink, SecretKey
from audit.models.scim import ScimKey, ScimMembership

__all__ = [
    "RETENTION_DAYS",
    "ApiKey",
    "AuditEvent",
    "AuditSettings",
    "Category",
    "CausedByType",
    "CustomerExport",
    "EventDayCount",
    "EventType",
    "Membership",
    "OrgApiKey",
    "OrgPermission",
    "Organization",
    "Plan",
    "PortalLink",
    "Role",
    "ScimKey",
    "ScimMembership",
    "SecretKey",
    "User",
    "UserManager",
]
