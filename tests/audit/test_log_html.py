"""The audit-log rows and chart bars built in Python equal the template markup."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from audit.charts import Bar
from audit.log_html import chart_bars_html, event_rows_html
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script> & \"quoted\" 'single'"

# The markup audit_log.html had before the rows were built in Python.
TEMPLATE_ROWS = """      {% for event, description in rows %}
      <tr>
        <td data-label="Time"><a href="{% url 'org-audit-event' org.slug event.uuid %}{% if query %}?{{ query }}{% endif %}"><time datetime="{{ event.created_at|date:'c' }}">{{ event.created_at|date:"M j, Y H:i:s T" }}</time></a></td>
        <td data-label="Who"><span class="who">{{ event.actor_label }}</span> <span class="badge badge--{{ event.caused_by_type|lower }}">{{ event.get_caused_by_type_display }}</span></td>
        <td data-label="What"><code>{{ event.event_type }}</code></td>
        <td data-label="Description" class="events__description">{{ description }}</td>
        <td data-label="Source IP">{{ event.caused_by_source_ip|default:"—" }}</td>
      </tr>
      {% endfor %}
"""  # noqa: E501
TEMPLATE_BARS = """    {% for bar in chart.bars %}
      <rect x="{{ bar.x }}" y="{{ bar.y }}" width="{{ bar.width }}" height="{{ bar.height }}" class="chart__bar"><title>{{ bar.day|date:"D M j" }}: {{ bar.count }} event{{ bar.count|pluralize }}</title></rect>
    {% endfor %}
"""  # noqa: E501


def render(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


def sample_rows(org):
    moments = [
        datetime(2025, 1, 2, 23, 30, 5, 123456, tzinfo=UTC),
        # 01:30 in New York on this day happens twice (the DST fall-back hour).
        datetime(2025, 11, 2, 5, 30, tzinfo=UTC),
        datetime(2025, 11, 2, 6, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 15, tzinfo=UTC),
        datetime(999, 7, 4, 9, 5, 7, tzinfo=UTC),
    ]
    events = [
        AuditEventFactory(
            org_id=org.pk,
            org_name=org.name,
            created_at=moment,
            caused_by_type=kind,
            caused_by_metadata=metadata,
            caused_by_source_ip=ip,
            event_type=event_type,
        )
        for moment, kind, metadata, ip, event_type in zip(
            moments,
            ["User", "ApiKey", "Impersonation", "Employee", "System"],
            [{"email": HOSTILE}, {"name": 42}, {}, {"email": 1.5}, {"name": True}],
            ["203.0.113.7", None, "", "2001:db8::1", "198.51.100.2"],
            ["UserCreated", "UserDeleted", HOSTILE, "OrgUserAdded", "UserLoggedOut"],
            strict=True,
        )
    ]
    descriptions = [HOSTILE, "plain", "", "a & b", "<b>x</b>"]
    return list(zip(events, descriptions, strict=True))


@pytest.mark.parametrize(
    "zone", ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
)
@pytest.mark.parametrize("query", ["", "user=a%40b.example&event_type=<x>&c='\""])
def test_rows_equal_the_template_markup(org, zone, query):
    """Every value, time zone, DST fold and query string renders as the template did."""
    rows = sample_rows(org)
    with timezone.override(zone):
        expected = render(TEMPLATE_ROWS, {"rows": rows, "org": org, "query": query})
        built = "      " + event_rows_html(rows, org_slug=org.slug, query=query) + "\n"
    assert built == expected
    assert "<script>" not in built and "&lt;script&gt;" in built


def test_bars_equal_the_template_markup():
    """Bars (ints, floats, one and several events) render as the template did."""
    first = date(2024, 12, 30)
    bars = [
        Bar(
            day=first + timedelta(days=i),
            count=c,
            x=i * 24.5,
            y=y,
            width=19.2,
            height=h,
        )
        for i, (c, y, h) in enumerate([(0, 102, 0), (1, 101.0, 1), (17, 0.0, 102.0)])
    ]

    class Chart:
        pass

    chart = Chart()
    chart.bars = bars
    expected = render(TEMPLATE_BARS, {"chart": chart})
    assert "    " + chart_bars_html(bars) + "\n" == expected


def test_page_escapes_hostile_values(client, member, org):
    """A value carrying <script>&"' is shown escaped in every cell of the page."""
    AuditEventFactory(
        org_id=org.pk,
        org_name=org.name,
        caused_by_type="User",
        caused_by_metadata={"email": HOSTILE},
        caused_by_source_ip="203.0.113.9",
        created_at=timezone.now() - timedelta(minutes=1),
    )
    client.force_login(member)
    page = client.get(reverse("org-audit-log", args=[org.slug]), {"user": HOSTILE})
    body = page.content.decode()
    assert "<script>alert" not in body
    # The filter value is echoed in the form and the export fields, escaped.
    escaped = (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
        "&quot;quoted&quot; &#x27;single&#x27;"
    )
    assert escaped in body
    page = client.get(reverse("org-audit-log", args=[org.slug]))
    body = page.content.decode()
    assert (
        '<span class="who">&lt;script&gt;alert(1)&lt;/script&gt; &amp; '
        "&quot;quoted&quot; &#x27;single&#x27;</span>"
    ) in body
    assert "<script>alert" not in body
