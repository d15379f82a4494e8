"""The operator's admin, one module per topic.

Every save and delete goes through ``audit.services`` so that changes made
here record their events with ``caused_by_type`` ``Employee``.
"""

from django.contrib import admin

from audit.admin import accounts, api_keys, catalog, events, scim, tasks
from audit.admin.events import AuditEventAdmin, EstimatedCountPaginator

admin.site.site_header = "auditsite"
admin.site.site_title = "auditsite admin"
admin.site.index_title = "Audit log administration"

__all__ = [
    "AuditEventAdmin",
    "EstimatedCountPaginator",
    "accounts",
    "api_keys",
    "catalog",
    "events",
    "scim",
    "tasks",
]
