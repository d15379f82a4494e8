"""The API keys and log streams pages in headless Chromium, desktop and phone."""

import os

import pytest

from audit.org_apikeys import org_api_key_create
from audit.services import Actor
from exports.services.org_streams import org_stream_create
from tests.audit.test_browser import CHROMIUM, PASSWORD, screenshot, sign_in
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"
    ),
]


def test_key_created_once_and_pages_fit_a_phone(browser, live_server):
    """A key is shown once; both pages fit 1280 and 390 px without side-scrolling."""
    org = OrganizationFactory(name="Acme Inc", slug="acme")
    user = UserFactory(email="owner@acme.example", password=PASSWORD)
    MembershipFactory(org=org, user=user)
    org_api_key_create(actor=Actor.system(), org=org, name="old reader")
    # A loopback endpoint nothing listens on: its test fails, no packet leaves.
    org_stream_create(
        actor=Actor.system(),
        org=org,
        name="SOAR webhook",
        destination="webhook",
        endpoint_url="http://127.0.0.1:9/" + "long-path/" * 12,
        destination_secret="whsec-test",
    )
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        sign_in(page, live_server, "owner@acme.example")
        page.goto(f"{live_server.url}/orgs/acme/api-keys/")
        page.get_by_label("Name").fill("SIEM reader")
        page.get_by_role("button", name="Create key").click()
        value = page.locator("#new-key-value").inner_text()
        assert value.startswith("ao_")
        screenshot(page, f"org-api-keys-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(f"{live_server.url}/orgs/acme/api-keys/")
        assert value not in page.content()
        page.get_by_role("link", name="Log streams").click()
        assert page.get_by_text("Connection failed").count() == 1
        assert "whsec-test" not in page.content()
        screenshot(page, f"org-log-streams-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.close()


def test_edit_a_stream_keeps_the_secret_unshown(browser, live_server):
    """Editing a stream at 1280 and 390 px: saved, the secret never in the
    page, a bad value shown on its field, no side-scrolling."""
    from exports.crypto import secret_decrypt
    from exports.models import ExportLocation

    org = OrganizationFactory(name="Acme Inc", slug="acme")
    user = UserFactory(email="owner@acme.example", password=PASSWORD)
    MembershipFactory(org=org, user=user)
    stream = org_stream_create(
        actor=Actor.system(),
        org=org,
        name="SOAR webhook",
        destination="webhook",
        endpoint_url="http://127.0.0.1:9/hook",
        destination_secret="whsec-test",
    )
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        sign_in(page, live_server, "owner@acme.example")
        page.goto(f"{live_server.url}/orgs/acme/log-streams/")
        page.get_by_role("link", name="Edit").click()
        assert "whsec-test" not in page.content()
        page.get_by_label("Endpoint URL").fill("not a url")
        page.get_by_role("button", name="Save changes").click()
        assert page.locator(".field-error").count() >= 1
        screenshot(page, f"org-log-stream-edit-error-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_label("Name").fill(f"SOAR {width}")
        page.get_by_label("Endpoint URL").fill("http://127.0.0.1:9/other")
        page.get_by_role("button", name="Save changes").click()
        assert page.get_by_text(f"The stream SOAR {width} is saved.").count() == 1
        assert "whsec-test" not in page.content()
        page.get_by_role("link", name="Edit").click()
        screenshot(page, f"org-log-stream-edit-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.close()
    saved = ExportLocation.objects.get(pk=stream.pk)
    assert saved.name == "SOAR 390" and saved.endpoint_url.endswith("/other")
    assert secret_decrypt(saved.destination_secret_encrypted) == "whsec-test"
