"""The audit-log page's table rows and chart bars as HTML, built in Python.

Django's template engine spent most of the page's rendering on these two
loops: per row a ``{% url %}`` (a full ``reverse``), two ``date`` filters and
a dozen variable lookups. These functions write the same markup byte for
byte (tests/audit/test_log_html.py renders the template markup they replace
and compares), escaping every value as the template's autoescape does, and
pass it to ``audit_log.html`` as one safe string each.
"""

from __future__ import annotations

import uuid
from html import escape as _html_escape

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import _datetime_ambiguous_or_imaginary

_PLACEHOLDER = uuid.UUID(int=0)

ROW = (
    "\n      <tr>\n"
    '        <td data-label="Time"><a href="{url}"><time datetime="{iso}">{shown}'
    "</time></a></td>\n"
    '        <td data-label="Who"><span class="who">{actor}</span> '
    '<span class="badge badge--{kind}">{kind_label}</span></td>\n'
    '        <td data-label="What"><code>{event_type}</code></td>\n'
    '        <td data-label="Description" class="events__description">'
    "{description}</td>\n"
    '        <td data-label="Source IP">{ip}</td>\n'
    "      </tr>\n      "
)

BAR = (
    '\n      <rect x="{x}" y="{y}" width="{width}" height="{height}" '
    'class="chart__bar"><title>{day}: {count} event{plural}</title></rect>\n    '
)


def _text(value) -> str:
    """``{{ value }}`` under autoescape: local time, localized, escaped."""
    if type(value) is str:
        return _html_escape(value)
    if isinstance(value, SafeString):
        return value
    return conditional_escape(localize(timezone.template_localtime(value)))


def _months() -> list[str]:
    """The ``date`` filter's ``M`` for each month, in the active language."""
    return [""] + [MONTHS_3[month].title() for month in range(1, 13)]


def _shown_time(local, months: list[str]) -> str:
    """``local|date:"M j, Y H:i:s T"`` (no zone name in a repeated DST hour)."""
    zone = local.tzinfo
    name = "" if _datetime_ambiguous_or_imaginary(local, zone) else zone.tzname(local)
    return (
        f"{months[local.month]} {local.day}, {local.year:04d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {name}"
    )


def event_rows_html(rows, *, org_slug: str, query: str) -> SafeString:
    """The ``<tr>`` of each ``(event, description)``, in the current time zone."""
    template_url = reverse("org-audit-event", args=[org_slug, _PLACEHOLDER])
    head, tail = template_url.split(str(_PLACEHOLDER))
    suffix = tail + ("?" + query if query else "")
    months = _months()
    parts = []
    for event, description in rows:
        local = timezone.localtime(event.created_at)
        ip = event.caused_by_source_ip
        parts.append(
            ROW.format(
                url=_html_escape(f"{head}{event.uuid}{suffix}"),
                iso=_html_escape(local.isoformat()),
                shown=_html_escape(_shown_time(local, months)),
                actor=_text(event.actor_label),
                kind=_html_escape(str(event.caused_by_type).lower()),
                kind_label=_text(event.get_caused_by_type_display()),
                event_type=_text(event.event_type),
                description=_text(description),
                ip=_text(ip) if ip else "—",
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)


def chart_bars_html(bars) -> SafeString:
    """The chart's ``<rect>`` of each bar, with its day and count as a title."""
    months = _months()
    parts = [
        BAR.format(
            x=_text(bar.x),
            y=_text(bar.y),
            width=_text(bar.width),
            height=_text(bar.height),
            day=_html_escape(
                f"{WEEKDAYS_ABBR[bar.day.weekday()]} {months[bar.day.month]}"
                f" {bar.day.day}"
            ),
            count=_text(bar.count),
            plural="" if bar.count == 1 else "s",
        )
        for bar in bars
    ]
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)
