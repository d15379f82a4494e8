"""The event list's rows built in Python equal Django's ``result_list`` markup."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_list
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from audit.admin.result_rows import result_rows
from audit.models import AuditEvent, EventType, User
from audit.templatetags.audit_admin_list import audit_result_list
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script> & \"quoted\" 'single'"
CHANGELIST = "admin:audit_auditevent_changelist"


def hostile_events():
    """Events whose every shown value is hostile, empty or only whitespace."""
    EventType.objects.create(
        event_type="HostileThing",
        name=HOSTILE,
        category="org",
        template="{actor} did <b>{name}</b> & more",
    )
    moments = [
        dt.datetime(2025, 1, 2, 23, 30, 5, 123456, tzinfo=dt.UTC),
        dt.datetime(2025, 11, 2, 5, 30, tzinfo=dt.UTC),  # a DST fold in New York
        dt.datetime(2025, 11, 2, 6, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 1, 15, tzinfo=dt.UTC),
        dt.datetime(999, 7, 4, 9, 5, 7, tzinfo=dt.UTC),
    ]
    values = [
        ("HostileThing", HOSTILE, HOSTILE, {"email": HOSTILE}, {"name": HOSTILE}),
        ("UserCreated", "", "", {}, {}),
        ("UserDeleted", "   ", " \t", {"name": "  "}, {"name": "<i>x</i>"}),
        (HOSTILE, "a@b.example", "Acme & Co", {"email": 1.5}, {}),
        ("OrgUserAdded", "é@ü.example", "Ωmega", {"name": True}, {"name": 42}),
    ]
    for moment, (event_type, email, org_name, metadata, data) in zip(
        moments, values, strict=True
    ):
        AuditEventFactory(
            created_at=moment,
            event_type=event_type,
            user_email=email,
            org_name=org_name,
            caused_by_metadata=metadata,
            event_data={event_type: data},
        )


def changelist(query: dict, user):
    request = RequestFactory().get(reverse(CHANGELIST), query)
    request.user = user
    model_admin = admin.site._registry[AuditEvent]
    cl = model_admin.get_changelist_instance(request)
    cl.formset = None  # as ``changelist_view`` sets it for a list not editable
    return cl


def render(tag: str, cl) -> str:
    source = "{% load admin_list audit_admin_list %}{% " + tag + " cl %}"
    context = {"cl": cl, "opts": cl.opts}
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Australia/Lord_Howe"])
@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, 5),
        ({"q": "a@b"}, 1),
        ({"event_type": f"HostileThing,UserCreated,{HOSTILE}", "category": "user"}, 3),
        ({"o": "1", "created_after": "2020-01-01", "q": "<x>"}, 0),
        ({"o": "-1.2", "created_after": "2020-01-01"}, 4),
    ],
)
def test_rows_equal_djangos_result_list(staff, zone, query, shown):
    """Every value, link, preserved filter, zone and sort renders as Django's did."""
    hostile_events()
    with timezone.override(zone):
        cl = changelist(query, staff)
        assert result_rows(cl) is not None
        expected = render("result_list", cl)
        built = render("audit_result_list", cl)
    assert len(cl.result_list) == shown
    assert built.count("<tr>") == (1 + shown if shown else 0)
    assert built == expected
    assert "<script>" not in built


def test_rows_with_no_results_equal_djangos(staff):
    """An empty page is the same empty markup."""
    cl = changelist({"q": "nobody@nowhere"}, staff)
    assert render("audit_result_list", cl) == render("result_list", cl)


def test_a_description_marked_safe_is_shown_as_django_shows_it(staff):
    """A value that is already safe markup is not escaped twice, as in Django."""
    AuditEventFactory()
    cl = changelist({}, staff)
    for event in cl.result_list:
        event.description_text = mark_safe("<em>safe</em>")
    built = render("audit_result_list", cl)
    assert "<em>safe</em>" in built
    assert built == render("result_list", cl)


def test_a_popup_goes_through_djangos_rows(staff):
    """What the fast rows do not cover (here a popup) is left to Django."""
    AuditEventFactory()
    cl = changelist({"_popup": "1"}, staff)
    assert result_rows(cl) is None
    assert audit_result_list(cl) == result_list(cl)


def test_other_lists_fall_back_to_django(staff):
    """A list with a boolean or a relation column is not built in Python."""
    request = RequestFactory().get(reverse("admin:audit_user_changelist"))
    request.user = staff
    model_admin = admin.site._registry[User]
    cl = model_admin.get_changelist_instance(request)
    cl.formset = None
    assert result_rows(cl) is None


def test_the_event_list_page_uses_the_built_rows(staff_client):
    """The page's table is the rows' markup: each links to its change page."""
    hostile_events()
    response = staff_client.get(reverse(CHANGELIST), {"category": "user"})
    assert response.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", response.text, re.S)
    event = AuditEvent.objects.filter(category="user").first()
    url = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert f'<th class="field-created_at nowrap"><a href="{url}?' in rows[1]
    assert "_changelist_filters=category%3Duser" in rows[1]


@pytest.mark.parametrize(
    "query",
    [{}, {"event_type": "HostileThing"}, {"event_type": HOSTILE, "q": "<a>&b"}],
)
def test_event_type_filter_equals_djangos_filter_markup(staff, query):
    """The event type links (hostile names and keys too) are Django's filter.html."""
    hostile_events()
    EventType.objects.create(
        event_type=HOSTILE, name="Hostile key", category="org", template="x"
    )
    cl = changelist(query, staff)
    [spec] = [spec for spec in cl.filter_specs if spec.title == "event type"]
    source = "{% load admin_list %}{% admin_list_filter cl spec %}"
    context = {"cl": cl, "spec": spec}
    built = engines["django"].from_string(source).render(context)
    spec.template = "admin/filter.html"
    expected = engines["django"].from_string(source).render(context)
    assert built == expected
    assert built.count("<li") == 1 + EventType.objects.count()
    assert "<script>" not in built
    assert built.count('class="selected"') == 1
