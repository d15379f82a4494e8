"""The org's SCIM page in headless Chromium, desktop and phone widths.

Set AUDITSITE_SCREENSHOTS=/some/dir to keep the screenshots (docs/img/).
"""

import os

import pytest
from django.utils import timezone

from audit.models import OrgPermission, Role, ScimKey
from tests.audit.test_browser import CHROMIUM, screenshot, sign_in
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"
    ),
]


@pytest.mark.parametrize("width,name", [(1280, "scim-desktop"), (390, "scim-phone")])
def test_scim_page_creates_a_key_shown_once_and_fits(browser, live_server, width, name):
    """An IT admin creates a key, sees it once, and the page fits the screen."""
    permission, _ = OrgPermission.objects.get_or_create(
        codename=OrgPermission.MANAGE_SCIM, defaults={"name": "Manage SCIM"}
    )
    Role.objects.get(name="Owner").permissions.add(permission)
    org = OrganizationFactory(name="Acme Corporation International", slug="acme")
    admin = UserFactory(email="it-admin@acme.example", time_zone="Europe/Paris")
    MembershipFactory(org=org, user=admin)
    page = browser.new_page(viewport={"width": width, "height": 900})
    sign_in(page, live_server, admin.email)
    page.goto(f"{live_server.url}/orgs/acme/scim/")
    assert page.get_by_text("No key").is_visible()
    page.get_by_role("button", name="Create SCIM key").click()
    scim_key = ScimKey.objects.get(org=org)
    ScimKey.objects.filter(pk=scim_key.pk).update(last_used_at=timezone.now())
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith(scim_key.prefix + "_")
    assert page.get_by_text(f"{live_server.url}/scim/v2/").is_visible()
    screenshot(page, name)
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the page scrolls sideways"
    page.goto(f"{live_server.url}/orgs/acme/scim/")
    assert secret not in page.content()
    assert page.get_by_text("Active").first.is_visible()
