"""The org pages' navigation: one entry per page the member may open."""

from __future__ import annotations

from typing import NamedTuple

from django.urls import NoReverseMatch, reverse

from audit import selectors
from audit.models import OrgPermission


class NavEntry(NamedTuple):
    """A tab of the org pages: its key (``active``), label and URL."""

    key: str
    label: str
    url: str


# (key, label, URL name, permission needed), in the order the tabs show.
ORG_PAGES = [
    ("members", "Members", "org-members", OrgPermission.MANAGE_MEMBERS),
    ("api-keys", "API keys", "org-api-keys", OrgPermission.MANAGE_API_KEYS),
    (
        "log-streams",
        "Log streams",
        "org-log-streams",
        OrgPermission.MANAGE_LOG_STREAMS,
    ),
    ("scim", "SCIM", "org-scim", OrgPermission.MANAGE_SCIM),
]


def org_nav(*, user, org, can_view_log: bool) -> list[NavEntry]:
    """The tabs ``user`` may open in ``org``, checked like the pages check them.

    The audit log needs `View Audit Log` and the org's log switched on
    (``can_view_log``, from ``orgs_for_viewer``); each other page its own
    permission. A page whose URL is not installed is left out.
    """
    entries = []
    if can_view_log:
        entries.append(
            NavEntry("log", "Audit log", reverse("org-audit-log", args=[org.slug]))
        )
    granted = selectors.org_permissions_of(user=user, org=org)
    for key, label, url_name, codename in ORG_PAGES:
        if codename not in granted:
            continue
        try:
            url = reverse(url_name, args=[org.slug])
        except NoReverseMatch:
            continue
        entries.append(NavEntry(key, label, url))
    return entries
