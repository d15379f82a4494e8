"""Every page works in Chromium under the Content-Security-Policy (SPEC 12).

The ``browser`` fixture fails a test on any CSP violation its pages log.
"""

import os

import pytest

from tests.conftest import CHROMIUM
from tests.factories import AuditEventFactory, MembershipFactory, UserFactory

PASSWORD = "secret-pass-123"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"
    ),
]

ADMIN_PAGES = [
    "/admin/",
    "/admin/audit/auditevent/",
    "/admin/audit/user/",
    "/admin/audit/user/add/",
    "/admin/audit/organization/",
    "/admin/audit/role/",
    "/admin/audit/eventtype/",
    "/admin/audit/apikey/",
    "/admin/exports/exportlocation/",
    "/admin/exports/exportlocation/add/",
    "/admin/exports/exportrun/",
]


def _visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers["content-security-policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )
    page.wait_for_load_state("networkidle")
    return response


def test_customer_pages_run_under_the_policy(browser, live_server, org):
    """Sign-in, the org's log, an event, members and the account page: no
    CSP violation, and the org pages may not be framed by default."""
    MembershipFactory(org=org, user=UserFactory(email="owner@acme.example"))
    event = AuditEventFactory(org_id=org.pk, org_name=org.name)
    page = browser.new_page()
    _visit(page, f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("owner@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in (
        "/orgs/acme/audit-log/",
        f"/orgs/acme/audit-log/{event.uuid}/",
        "/orgs/acme/members/",
        "/account/",
    ):
        response = _visit(page, f"{live_server.url}{path}")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_admin_pages_run_under_the_policy(browser, live_server, staff):
    """The admin's lists and forms (filters, toggles, widgets) log no CSP
    violation."""
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
    AuditEventFactory()
    for path in ADMIN_PAGES:
        _visit(page, f"{live_server.url}{path}")
    page.goto(f"{live_server.url}/admin/audit/auditevent/")
    page.get_by_role("button", name="Hide filters").click()
    assert not page.locator("#changelist-filter").is_visible()


def test_swagger_page_renders_under_the_policy(browser, live_server):
    """/api/docs/ loads its start-up script as a file and shows the API."""
    page = browser.new_page()
    _visit(page, f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "auditsite API" in page.locator(".swagger-ui .info .title").inner_text()


def test_an_inline_script_is_a_violation_the_fixture_sees(browser, live_server):
    """The policy refuses an injected inline script and the fixture records it
    (which would fail the test; cleared here)."""
    page = browser.new_page()
    _visit(page, f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.ran = true';
                   document.body.appendChild(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran === true") is False
    assert any("inline script" in v for v in browser.violations)
    browser.violations.clear()
