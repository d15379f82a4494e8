"""The customer pages in headless Chromium (Debian's, never downloaded).

The ``browser`` fixture (tests/conftest.py) fails a test whose pages log a
Content-Security-Policy violation.

Set AUDITSITE_SCREENSHOTS=/some/dir to keep desktop and phone screenshots.
"""

import csv
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from audit.models import AuditEvent, AuditSettings, Role
from tests.conftest import CHROMIUM
from tests.factories import (
    AuditEventFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)

PASSWORD = "secret-pass-123"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"
    ),
]


def sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def screenshot(page, name, full_page=True):
    folder = os.environ.get("AUDITSITE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def download(page, button, tmp_path):
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_member_reads_filters_pages_and_exports(browser, live_server, tmp_path):
    """A member signs in, filters, pages, and downloads CSV and JSON of the view."""
    org = OrganizationFactory(name="Acme Inc", slug="acme")
    member = MembershipFactory(org=org, user=UserFactory(email="owner@acme.example"))
    base = timezone.now() - timedelta(hours=3)
    for i in range(60):
        AuditEventFactory(
            org_id=org.pk,
            org_name=org.name,
            event_type="UserCreated",
            user_email=f"user{i:02d}@acme.example",
            created_at=base + timedelta(minutes=i),
            caused_by_source_ip="203.0.113.7",
        )
    formula = AuditEventFactory(
        org_id=org.pk,
        org_name=org.name,
        event_type="UserDeleted",
        user_email="=1+2@acme.example",
        created_at=base - timedelta(minutes=1),
    )
    AuditEventFactory(
        org_id=org.pk,
        org_name=org.name,
        event_type="UserDeleted",
        caused_by_type="Employee",
        caused_by_metadata={"email": "staff@operator.example"},
        created_at=base - timedelta(minutes=2),
    )
    AuditSettings.objects.filter(pk=1).update(includes_employees=False)
    assert member.user.email == "owner@acme.example"

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server, "owner@acme.example")
    page.wait_for_url("**/orgs/acme/audit-log/")
    rows = page.locator("table.events tbody tr")
    assert rows.count() == 50
    assert "user59@acme.example" in rows.first.inner_text()
    screenshot(page, "audit-log-desktop")

    page.get_by_role("link", name="Older →").click()
    assert page.locator("table.events tbody tr").count() == 11
    assert "user09@acme.example" in page.locator("tbody tr").first.inner_text()
    assert "staff@operator.example" not in page.content()

    page.goto(f"{live_server.url}/orgs/acme/audit-log/")
    page.get_by_label("Event type").select_option("UserDeleted")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**event_type=UserDeleted**")
    assert page.locator("table.events tbody tr").count() == 1

    csv_file = download(page, "Export CSV", tmp_path)
    with csv_file.open(encoding="utf-8", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert [row["id"] for row in exported] == [str(formula.uuid)]
    assert exported[0]["user_email"] == "'=1+2@acme.example"

    json_file = download(page, "Export JSON", tmp_path)
    data = json.loads(json_file.read_text(encoding="utf-8"))
    assert [item["id"] for item in data] == [str(formula.uuid)]
    assert AuditEvent.objects.filter(event_type="UserExportInitiated").count() == 2

    page.locator("table.events tbody a").first.click()
    assert str(formula.uuid) in page.content()

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{live_server.url}/orgs/acme/audit-log/")
    assert phone.locator("table.events tbody tr").count() == 50
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    screenshot(phone, "audit-log-phone", full_page=False)


def test_member_without_permission_gets_403(browser, live_server):
    """A member whose role lacks View Audit Log sees the 403 page."""
    org = OrganizationFactory(name="Acme Inc", slug="acme")
    MembershipFactory(
        org=org,
        role=Role.objects.get(name="Member"),
        user=UserFactory(email="intern@acme.example"),
    )
    page = browser.new_page()
    sign_in(page, live_server, "intern@acme.example")
    response = page.goto(f"{live_server.url}/orgs/acme/audit-log/")
    assert response.status == 403
    assert page.get_by_role("heading", name="You don't have access").is_visible()


def staff_page(browser, live_server, staff):
    """A 1280x800 page signed in as ``staff`` (a session made by the test client)."""
    from django.test import Client

    client = Client()
    client.force_login(staff)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def _clipped_columns(page) -> list[str]:
    """Headers of the admin result table that do not fit in its visible box."""
    return page.evaluate(
        """() => {
          const box = document.querySelector('#changelist .results');
          const table = document.getElementById('result_list');
          const right = Math.min(box.getBoundingClientRect().right,
                                 document.documentElement.clientWidth);
          const clipped = [...table.querySelectorAll('thead th')]
            .filter(th => th.getBoundingClientRect().right > right + 1)
            .map(th => th.innerText.trim());
          if (table.scrollWidth > box.clientWidth + 1) clipped.push('(table scrolls)');
          return clipped;
        }"""
    )


def test_admin_event_list_fits_a_laptop_screen(browser, live_server):
    """At 1280x800 every column of the admin's event list is visible, filters too."""
    staff = UserFactory(
        email="staff@operator.example", is_staff=True, is_superuser=True
    )
    org = OrganizationFactory(name="Globex Corporation International", slug="globex")
    for i in range(5):
        AuditEventFactory(
            org_id=org.pk,
            org_name=org.name,
            event_type="EnabledOrgDomainAutoJoin",
            user_email=f"a-rather-long-user-name-{i}@subsidiary.globex.example",
            caused_by_type="Employee",
            caused_by_metadata={"email": "operations-team@operator.example"},
            caused_by_source_ip="2001:db8:85a3::8a2e:370:7334",
        )
    page = staff_page(browser, live_server, staff)
    page.goto(f"{live_server.url}/admin/audit/auditevent/")
    assert page.locator("#result_list tbody tr").count() == 5
    assert page.locator("#changelist-filter").is_visible()
    screenshot(page, "admin-events-1280", full_page=False)
    assert _clipped_columns(page) == []

    page.get_by_role("button", name="Hide filters").click()
    assert not page.locator("#changelist-filter").is_visible()
    assert _clipped_columns(page) == []
    page.reload()  # the choice is remembered
    assert not page.locator("#changelist-filter").is_visible()
    page.get_by_role("button", name="Show filters").click()
    assert page.locator("#changelist-filter").is_visible()


def test_admin_export_location_list_fits_a_laptop_screen(browser, live_server):
    """At 1280x800 every column of the export locations list is visible."""
    from audit.actors import Actor
    from exports.services import export_location_create

    staff = UserFactory(email="staff@operator.example", is_staff=True)
    staff.is_superuser = True
    staff.save()
    actor = Actor.system()
    export_location_create(
        actor=actor,
        verify=False,
        name="Acme security data lake, production account",
        bucket="acme-security-audit-logs-production-eu-west-1",
        region="eu-west-1",
        path_prefix="auditsite/exports/v1",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        interval="EVERY_24_HOURS",
        file_format="parquet",
    )
    export_location_create(
        actor=actor,
        verify=False,
        name="Datadog EU (security team)",
        destination="datadog",
        endpoint_url="https://http-intake.logs.datadoghq.eu",
        destination_secret="0123456789abcdef0123456789abcdef",
        interval="CONTINUOUS",
    )
    page = staff_page(browser, live_server, staff)
    page.goto(f"{live_server.url}/admin/exports/exportlocation/")
    assert page.locator("#result_list tbody tr").count() == 2
    screenshot(page, "admin-export-locations-1280", full_page=False)
    assert _clipped_columns(page) == []
