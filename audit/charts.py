"""The events-per-day bar chart above an org's log: plain server-side SVG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import event_counts_per_day

DEFAULT_DAYS = 30
MAX_DAYS = 90
WIDTH = 720
HEIGHT = 120
LABEL_SPACE = 18


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


def events_per_day_chart(
    *, events: QuerySet[AuditEvent], first: date, last: date, zone
) -> Chart:
    """Bars for each local day from ``first`` to ``last`` (one GROUP BY query)."""
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    counts = event_counts_per_day(events=events, start=start, end=end, zone=zone)
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
        bars=bars, total=sum(counts.values()), peak=peak, first=first, last=last
    )
