"""Admin for export runs and delivered objects: read-only, in human units."""

from datetime import timedelta

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from audit.admin.base import ReadOnlyAdminMixin
from exports.models import ExportObject, ExportRun


def human_duration(value: timedelta | None) -> str:
    """``389 ms``, ``2.4 s``, ``3 min 05 s``, ``1 h 02 min`` (``-`` if running)."""
    if value is None:
        return "-"
    seconds = value.total_seconds()
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s"
    hours, rest = divmod(round(seconds) // 60, 60)
    return f"{hours} h {rest:02d} min"


def human_size(value: int) -> str:
    """``0 bytes``, ``12.3 KB``, ``4.0 MB`` (Django's filesizeformat)."""
    return filesizeformat(value)


def moment_html(value) -> str:
    """A time with seconds and zone, kept on one line in lists."""
    if value is None:
        return "-"
    text = date_format(timezone.localtime(value), "Y-m-d H:i:s T")
    return format_html('<span style="white-space: nowrap">{}</span>', text)


class RunStatusFilter(admin.SimpleListFilter):
    """Only the statuses runs are stored with (never "nothing to do")."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (value, label)
            for value, label in ExportRun.Status.choices
            if value != ExportRun.Status.NOTHING_TO_DO
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


# A run as both run lists show it (a location's recent runs, every run).
RUN_COLUMNS = [
    "started_at",
    "status",
    "events",
    "size",
    "object_count",
    "took",
    "error",
    "replay",
]


class RunColumnsMixin:
    """The run columns in human units: bytes as a size, the duration."""

    @admin.display(description="Size", ordering="bytes")
    def size(self, obj):
        return human_size(obj.bytes)

    @admin.display(description="Duration")
    def took(self, obj):
        return human_duration(obj.duration)


class ExportRunInline(RunColumnsMixin, admin.TabularInline):
    model = ExportRun
    extra = 0
    can_delete = False
    max_num = 0
    fields = readonly_fields = RUN_COLUMNS
    ordering = ["-started_at"]

    def get_queryset(self, request):
        recent = timezone.now() - timedelta(days=7)
        return super().get_queryset(request).filter(started_at__gte=recent)


@admin.register(ExportRun)
class ExportRunAdmin(RunColumnsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["location", *RUN_COLUMNS]
    list_filter = [RunStatusFilter, "replay"]
    list_select_related = ["location"]


@admin.register(ExportObject)
class ExportObjectAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "key",
        "location",
        "event_count",
        "request_count",
        "size",
        "created_at",
    ]
    list_select_related = ["location"]

    @admin.display(description="Size", ordering="size_bytes")
    def size(self, obj):
        return human_size(obj.size_bytes)
