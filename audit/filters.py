"""The SPEC section 5 filters, shared by the admin, the org pages and the API.

Every filter maps to a column with an index ending in the newest-first
order (see ``AuditEvent.Meta.indexes``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_filters.widgets import CSVWidget

from audit.models import AuditEvent, Category, CausedByType


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        return None


def _day_start(value) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    # In UTC: PostgreSQL refuses offsets Python allows (e.g. -18:49).
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _day_after(value: datetime) -> datetime:
    try:
        return value + timedelta(days=1)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


class RepeatedOrCommaSeparatedWidget(CSVWidget):
    """Reads every value of a repeated parameter, each possibly comma-separated.

    django-filter's CSV widget reads only the last of repeated values, which
    is what a multi-select sends.
    """

    def value_from_datadict(self, data, files, name):
        if not hasattr(data, "getlist"):
            return super().value_from_datadict(data, files, name)
        values = data.getlist(name)
        if not values:
            return None
        return [part for value in values for part in value.split(",")]


class CommaSeparatedCharFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """`event_type=UserCreated,UserDeleted`, or the parameter repeated."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RepeatedOrCommaSeparatedWidget)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        values = [v.strip() for v in value if v and v.strip()]
        return qs.filter(**{f"{self.field_name}__in": values}) if values else qs


def _org_ids_named(value: str) -> list[uuid.UUID]:
    """Ids of the orgs whose name (any case) or slug is ``value``."""
    from audit.models import Organization

    return list(
        Organization.objects.filter(Q(name__iexact=value) | Q(slug=value)).values_list(
            "id", flat=True
        )
    )


class AuditEventFilterForm(forms.Form):
    """Checks the filter values that can be wrong without being malformed."""

    def clean_org(self) -> str:
        value = (self.cleaned_data.get("org") or "").strip()
        # An id is accepted as is: events outlive a deleted org.
        if value and not _as_uuid(value) and not _org_ids_named(value):
            raise forms.ValidationError(
                "No org has the id, name or slug %(value)s.",
                code="unknown_org",
                params={"value": repr(value)},
            )
        return value


class AuditEventFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(
        method="filter_user",
        label="User (id or email)",
        help_text="The user the event is about.",
    )
    org = django_filters.CharFilter(
        method="filter_org",
        label="Org (id or name)",
        help_text="The org the event is about.",
    )
    event_type = CommaSeparatedCharFilter(
        field_name="event_type",
        label="Event type",
        help_text="One or several, comma-separated: UserCreated,UserDeleted",
    )
    category = django_filters.ChoiceFilter(choices=Category.choices, label="Category")
    # No DISTINCT: it would force a sort of every matching row (no joins here).
    caused_by_type = django_filters.MultipleChoiceFilter(
        choices=CausedByType.choices, label="Caused by", distinct=False
    )
    caused_by_id = django_filters.CharFilter(label="Caused by id")
    created_after = django_filters.DateTimeFilter(
        method="filter_after",
        label="From",
        help_text="Events at or after this date/time (ISO 8601).",
    )
    created_before = django_filters.DateTimeFilter(
        method="filter_before",
        label="To",
        help_text="Events before the end of this date, or before this exact time.",
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []
        form = AuditEventFilterForm

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # A filter whose value is invalid must not be dropped silently (which
        # would widen the result): the API answers 400 before getting here,
        # other callers (the admin's sidebar) get no rows.
        if self.is_bound and self.form.errors:
            return queryset.none()
        return super().filter_queryset(queryset)

    def filter_user(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        as_uuid = _as_uuid(value)
        if as_uuid:
            return qs.filter(user_id=as_uuid)
        return qs.filter(user_email=value.lower())

    def filter_org(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        as_uuid = _as_uuid(value)
        if as_uuid:
            return qs.filter(org_id=as_uuid)
        ids = _org_ids_named(value)
        if ids:
            # By id only: an OR with org_name cannot use one ordered index
            # and costs a scan of the org's events at millions of rows.
            return qs.filter(org_id__in=ids)
        # No such org (any more): the name its events were recorded with.
        return qs.filter(org_name=value)

    def filter_after(self, qs: QuerySet, name: str, value) -> QuerySet:
        return qs.filter(created_at__gte=_day_start(value)) if value else qs

    def filter_before(self, qs: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return qs
        raw = self.data.get("created_before", "")
        # A bare date means "up to the end of that day", inclusive.
        if isinstance(raw, str) and len(raw.strip()) == 10:
            return qs.filter(created_at__lt=_day_after(_day_start(value)))
        return qs.filter(created_at__lt=_day_start(value))


class OrgAuditEventFilter(AuditEventFilter):
    """The filters on an org's own audit log page and its exports.

    The org comes from the URL and the viewer's membership only: there is no
    ``org`` filter here, and an ``org`` parameter is ignored.
    """

    CUSTOMER_FILTERS = (
        "user",
        "event_type",
        "category",
        "caused_by_type",
        "created_after",
        "created_before",
    )

    # Customers never see operator events, so they cannot pick that category.
    category = django_filters.ChoiceFilter(
        choices=[c for c in Category.choices if c[0] != Category.OPERATOR],
        label="Category",
        empty_label="Any category",
    )

    def __init__(self, *args, caused_by_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters = {
            name: f for name, f in self.filters.items() if name in self.CUSTOMER_FILTERS
        }
        if caused_by_choices is not None:
            self.filters["caused_by_type"].extra["choices"] = caused_by_choices

    def active_params(self) -> dict[str, str | list[str]]:
        """The customer filters present in the request, for links and exports."""
        params: dict[str, str | list[str]] = {}
        for name in self.CUSTOMER_FILTERS:
            values = [v for v in self.data.getlist(name) if v.strip()]
            if values:
                params[name] = values if len(values) > 1 else values[0]
        return params
