"""The events-per-day bar chart above an org's log: plain server-side SVG.

Its cost does not grow with the org's event count. When every active filter
is one the rollup ``EventDayCount`` keeps (event type, category, caused by,
the hidden kinds, a date range on whole days) and the viewer's days are UTC
days, the counts come from the rollup: exact, at most (days x kinds) rows.
Otherwise (a user filter, a time of day, another time zone) the chart
counts the newest ``FALLBACK_LIMIT`` matching events of the range with one
bounded index scan, and says so when there were more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEvent, AuditSettings, Organization
from audit.selectors import event_counts_per_day_newest, event_day_counts

DEFAULT_DAYS = 30
MAX_DAYS = 90
WIDTH = 720
HEIGHT = 120
LABEL_SPACE = 18
FALLBACK_LIMIT = 2_000
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "GMT", "Etc/GMT", "Zulu"})


@dataclass
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Chart:
    bars: list[Bar]
    total: int
    peak: int
    first: date
    last: date
    # Set when only the newest FALLBACK_LIMIT events were counted: nothing at
    # or before this moment is in the bars (its day is counted in part).
    counted_after: datetime | None = None
    fallback_limit: int = FALLBACK_LIMIT
    width: int = WIDTH
    height: int = HEIGHT
    plot_height: int = HEIGHT - LABEL_SPACE


def chart_range(
    *, after: datetime | None, before: datetime | None, zone, today: date | None = None
) -> tuple[date, date]:
    """The local days the chart covers: the filter's range, at most ``MAX_DAYS``.

    Without a range it is the last ``DEFAULT_DAYS`` days. A longer range
    keeps its most recent ``MAX_DAYS`` days.
    """
    today = today or timezone.localdate(timezone=zone)
    last = timezone.localtime(before, zone).date() if before else today
    if before and timezone.localtime(before, zone).time() == time.min:
        last -= timedelta(days=1)  # an exclusive midnight bound
    first = timezone.localtime(after, zone).date() if after else None
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first = last
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
    return first, last


def _is_midnight_utc(moment: datetime | None) -> bool:
    return moment is None or (timezone.localtime(moment, UTC).time() == time.min)


def events_per_day_chart(
    *,
    org: Organization,
    settings: AuditSettings,
    filters: dict,
    events: QuerySet[AuditEvent],
    first: date,
    last: date,
    zone,
    after: datetime | None = None,
    before: datetime | None = None,
) -> Chart:
    """Bars for each local day from ``first`` to ``last`` of the filtered ``events``.

    ``filters`` is the org filter form's cleaned data, ``events`` the same
    filters applied (for what the rollup cannot answer); ``after`` and
    ``before`` are the date filter's bounds (``before`` exclusive).
    """
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    counted_after = None
    if events.query.is_empty() or (after and before and after >= before):
        counts = {}
    elif (
        getattr(zone, "key", str(zone)) in UTC_NAMES
        and not filters.get("user")
        and _is_midnight_utc(after)
        and _is_midnight_utc(before)
    ):
        counts = event_day_counts(
            org=org,
            first=first,
            last=last,
            hidden_caused_by=settings.hidden_caused_by(),
            event_types=list(filters.get("event_type") or []),
            category=filters.get("category") or None,
            caused_by_types=list(filters.get("caused_by_type") or []),
        )
    else:
        counts, counted_after = event_counts_per_day_newest(
            events=events, start=start, end=end, zone=zone, limit=FALLBACK_LIMIT
        )
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    peak = max(counts.values(), default=0)
    plot = HEIGHT - LABEL_SPACE
    slot = WIDTH / len(days)
    bars = []
    for i, day in enumerate(days):
        count = counts.get(day, 0)
        height = round(plot * count / peak, 1) if peak else 0
        if count and height < 1:
            height = 1
        bars.append(
            Bar(
                day=day,
                count=count,
                x=round(i * slot + slot * 0.1, 1),
                y=round(plot - height, 1),
                width=round(max(slot * 0.8, 1), 1),
                height=height,
            )
        )
    return Chart(
        bars=bars,
        total=sum(counts.values()),
        peak=peak,
        first=first,
        last=last,
        counted_after=counted_after,
    )
