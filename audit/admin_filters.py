"""Admin sidebar filters for audit events, backed by ``audit.filters``.

The free-text filters (user, org, dates) render a small input instead of a
list of links: with thousands of users a link list would be useless and
each link would cost a query.
"""

from __future__ import annotations

from django.contrib import admin

from audit.filters import AuditEventFilter
from audit.selectors import event_catalog

IGNORED_PARAMS = {"p", "e", "all"}


class InputFilter(admin.SimpleListFilter):
    """A list filter that is one text (or date) input, applied on Enter."""

    template = "admin/audit/input_filter.html"
    input_type = "text"
    placeholder = ""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.preserved_params = [
            (key, value)
            for key, values in request.GET.lists()
            if key != self.parameter_name and key not in IGNORED_PARAMS
            for value in values
        ]

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        return ()

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return AuditEventFilter(data={self.parameter_name: value}, queryset=queryset).qs


class UserFilter(InputFilter):
    title = "user (id or email)"
    parameter_name = "user"
    placeholder = "user@example.com"


class OrgFilter(InputFilter):
    title = "org (id, name or slug)"
    parameter_name = "org"
    placeholder = "acme"


class DateInputFilter(InputFilter):
    """An input filter with the browser's date picker."""

    input_type = "date"


class CreatedAfterFilter(DateInputFilter):
    title = "date from"
    parameter_name = "created_after"


class CreatedBeforeFilter(DateInputFilter):
    title = "date to (inclusive)"
    parameter_name = "created_before"


class EventTypeFilter(admin.SimpleListFilter):
    """One event type by link, or several with `?event_type=A,B`.

    A link per catalog type: its template writes them in one Python loop.
    """

    template = "admin/audit/list_filter.html"
    title = "event type"
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        # The change list describes its rows with the same catalog read.
        self.catalog = event_catalog()
        return self.catalog.choices(include_operator=True)

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return AuditEventFilter(data={"event_type": value}, queryset=queryset).qs
