"""Admin for the audit log itself: read-only, fast at millions of rows."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from audit.admin.base import ReadOnlyAdminMixin
from audit.admin_filters import (
    CreatedAfterFilter,
    CreatedBeforeFilter,
    EventTypeFilter,
    OrgFilter,
    UserFilter,
)
from audit.models import (
    AuditEvent,
)
from audit.selectors import (
    estimated_row_count,
    event_describe_many,
    event_description,
    events_all,
)


def _pretty_json(value) -> str:
    if value in (None, "", {}):
        return "-"
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0;">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False),
    )


# --- audit events ----------------------------------------------------------


class EstimatedCountPaginator(Paginator):
    """Never an unbounded ``COUNT(*)`` over the event table.

    With no filter, PostgreSQL's planner estimate is used; with a filter the
    count stops at ``COUNT_CAP`` rows (the page shows "10,000+"-style
    totals). Paging itself is by LIMIT/OFFSET within that bound.
    """

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            estimate = estimated_row_count(queryset.model)
            if estimate is not None and estimate > self.COUNT_CAP:
                return estimate
        capped = queryset.order_by().values("pk")[: self.COUNT_CAP + 1]
        return min(capped.count(), self.COUNT_CAP + 1)


class AuditEventChangeList(ChangeList):
    """Attaches each row's description with one catalog query per page.

    Each row links its two link columns to its change page: the URL is
    reversed once per page and the row's key put in it, instead of a
    ``reverse`` per link (a third of the list's rendering). The rows
    themselves are written by ``audit.admin.result_rows`` (the list's
    template uses ``audit_result_list``).
    """

    PK_PLACEHOLDER = "__pk__"

    def get_results(self, request):
        super().get_results(request)
        catalogs = [
            spec.catalog for spec in self.filter_specs if hasattr(spec, "catalog")
        ]
        descriptions = event_describe_many(
            self.result_list, templates=catalogs[0].templates if catalogs else None
        )
        for event in self.result_list:
            event.description_text = descriptions[event.seq]

    @cached_property
    def change_url_parts(self) -> tuple[str, str]:
        """The change page's URL before and after the row's (quoted) key."""
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(self.PK_PLACEHOLDER,),
            current_app=self.model_admin.admin_site.name,
        )
        head, tail = url.split(self.PK_PLACEHOLDER)
        return head, tail

    def url_for_result(self, result) -> str:
        head, tail = self.change_url_parts
        return f"{head}{quote(getattr(result, self.pk_attname))}{tail}"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Six columns fit a 1280 px screen beside the filters; the cause's type
    # and IP are a filter and the detail page.
    list_display = [
        "created_at",
        "event_type",
        "description_column",
        "user_email",
        "org_name",
        "actor_column",
    ]
    list_display_links = ["created_at", "event_type"]
    list_filter = [
        UserFilter,
        OrgFilter,
        EventTypeFilter,
        "category",
        "caused_by_type",
        CreatedAfterFilter,
        CreatedBeforeFilter,
    ]
    search_fields = ["user_email"]
    search_help_text = (
        "Email of the user the event is about (full address or its start)."
    )
    list_per_page = 50
    show_full_result_count = False
    # Facet counts would run one COUNT per filter choice over millions of rows.
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    actions = None
    fieldsets = [
        (
            None,
            {"fields": ["description_detail", "event_type", "category", "uuid", "seq"]},
        ),
        ("About", {"fields": ["user_id", "user_email", "org_id", "org_name"]}),
        ("Details", {"fields": ["event_data_pretty"]}),
        (
            "Caused by",
            {
                "fields": [
                    "caused_by_type",
                    "caused_by_id",
                    "caused_by_metadata_pretty",
                    "caused_by_source_ip",
                    "caused_by_user_agent",
                    "impersonator_id",
                    "impersonator_metadata_pretty",
                ]
            },
        ),
        ("Time", {"fields": ["created_at", "recorded_at"]}),
    ]

    def get_queryset(self, request):
        return events_all()

    def get_changelist(self, request, **kwargs):
        return AuditEventChangeList

    def get_search_results(self, request, queryset, search_term):
        # Emails are stored lowercase, so a prefix match on the lowercased term
        # can use the pattern index; Django's default icontains scans every row.
        term = search_term.strip().lower()
        if not term:
            return queryset, False
        return queryset.filter(user_email__startswith=term), False

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    @admin.display(description="description")
    def description_column(self, obj: AuditEvent) -> str:
        return getattr(obj, "description_text", None) or event_description(obj)

    @admin.display(description="description")
    def description_detail(self, obj: AuditEvent) -> str:
        return event_description(obj)

    @admin.display(description="caused by")
    def actor_column(self, obj: AuditEvent) -> str:
        return obj.actor_label

    @admin.display(description="event data")
    def event_data_pretty(self, obj: AuditEvent) -> str:
        return _pretty_json(obj.event_data)

    @admin.display(description="caused by metadata")
    def caused_by_metadata_pretty(self, obj: AuditEvent) -> str:
        return _pretty_json(obj.caused_by_metadata)

    @admin.display(description="impersonator metadata")
    def impersonator_metadata_pretty(self, obj: AuditEvent) -> str:
        return _pretty_json(obj.impersonator_metadata)
