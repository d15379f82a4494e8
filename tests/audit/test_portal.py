from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent, PortalLink
from audit.services.portal import token_hash
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/portal-links"


@pytest.fixture(autouse=True)
def _return_hosts(settings):
    settings.AUDITSITE_PORTAL_RETURN_HOSTS = ["app.example.com"]


def mint(api_client, org, user, **extra):
    response = api_client.post(
        URL, {"org_id": str(org.pk), "user_id": str(user.pk), **extra}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def logins():
    return list(
        AuditEvent.objects.filter(event_type="UserLoginAttempt").order_by("seq")
    )


def open_link(client, url):
    """What a browser does: GET the page, then submit its form (POST)."""
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="portal-open"' in page.content.decode()
    return client.post(url)


def test_mint_answers_url_and_expiry_and_stores_only_a_hash(api_client, org, member):
    """201 {url, expires_at}; the token is not stored, its SHA-256 is."""
    body = mint(api_client, org, member)
    assert body["url"].startswith("http://testserver/portal/")
    token = body["url"].rsplit("/", 1)[1]
    link = PortalLink.objects.get()
    assert link.token_hash == token_hash(token)
    assert token not in link.token_hash
    expected = link.created_at + timedelta(seconds=300)
    assert abs((link.expires_at - expected).total_seconds()) < 1
    # The trailing slash works too; the email names the user as well.
    response = api_client.post(
        URL + "/", {"org_id": str(org.pk), "user_email": member.email}, format="json"
    )
    assert response.status_code == 201


def test_opening_signs_in_once_and_lands_on_the_org_log(api_client, org, member):
    """The link signs the member in, records success by portal_link, works once."""
    url = mint(api_client, org, member)["url"]
    client = Client()
    response = open_link(client, url)
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/{org.slug}/audit-log/"
    assert client.get(response["Location"]).status_code == 200
    [success] = logins()
    assert success.user_id == member.pk
    assert success.details["outcome"] == "success"
    assert success.details["method"] == "portal_link"

    again = Client().post(url)
    assert again.status_code == 403
    assert 'data-problem="used"' in again.content.decode()
    failed = logins()[-1]
    assert failed.details["outcome"] == "failure"
    assert failed.details["method"] == "portal_link"
    assert failed.user_id == member.pk


def test_a_get_alone_does_not_spend_the_link(api_client, org, member):
    """A link scanner's GET leaves the link usable."""
    url = mint(api_client, org, member)["url"]
    Client().get(url)
    Client().get(url)
    assert PortalLink.objects.get().used_at is None
    assert not logins()
    assert Client().post(url).status_code == 302


def test_expired_and_altered_links_get_a_403_saying_which(api_client, org, member):
    """Past its lifetime: 'expired'; a changed token: 'invalid'; both recorded."""
    url = mint(api_client, org, member)["url"]
    altered = Client().post(url[:-2] + ("AA" if not url.endswith("AA") else "BB"))
    assert altered.status_code == 403
    assert 'data-problem="invalid"' in altered.content.decode()
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = Client().post(url)
    assert expired.status_code == 403
    assert 'data-problem="expired"' in expired.content.decode()
    assert [e.details["outcome"] for e in logins()] == ["failure", "failure"]
    assert all(e.details["method"] == "portal_link" for e in logins())


def test_the_session_reaches_only_that_org(api_client, org, other_org, member):
    """Another org's pages, the admin and the API are 403 for a portal session."""
    member.is_staff = True
    member.is_superuser = True
    member.save()
    MembershipFactory(org=other_org, user=member)
    client = Client()
    open_link(client, mint(api_client, org, member)["url"])
    assert client.get(f"/orgs/{org.slug}/audit-log/").status_code == 200
    assert client.get(f"/orgs/{other_org.slug}/audit-log/").status_code == 403
    assert client.get("/admin/").status_code == 403
    assert client.get("/api/v1/events/").status_code == 403
    assert client.get("/account/").status_code == 403
    assert client.get("/")["Location"] == f"/orgs/{org.slug}/audit-log/"


def test_the_log_links_back_to_an_allowed_return_url(api_client, org, member, settings):
    """return_url shows as a link back while its host stays allowed."""
    url = mint(api_client, org, member, return_url="https://app.example.com/settings")[
        "url"
    ]
    client = Client()
    open_link(client, url)
    page = client.get(f"/orgs/{org.slug}/audit-log/").content.decode()
    assert 'href="https://app.example.com/settings"' in page
    settings.AUDITSITE_PORTAL_RETURN_HOSTS = []
    page = client.get(f"/orgs/{org.slug}/audit-log/").content.decode()
    assert "https://app.example.com/settings" not in page


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"return_url": "https://evil.example/phish"}, "return_url"),
        ({"return_url": "javascript:alert(1)"}, "return_url"),
        ({"org_id": "nope"}, "org_id"),
        ({"user_id": None, "user_email": "nobody@acme.example"}, "user_email"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_requests_are_400_naming_the_field(api_client, org, member, body, field):
    """Another host, malformed ids, unknown users or fields: 400, no link."""
    payload = {"org_id": str(org.pk), "user_id": str(member.pk), **body}
    payload = {k: v for k, v in payload.items() if v is not None}
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not PortalLink.objects.exists()


def test_a_member_without_view_audit_log_gets_no_link(api_client, org, plain_member):
    """A role without View Audit Log, or no membership at all: 400 on user_id."""
    outsider = UserFactory()
    for user in (plain_member, outsider):
        response = api_client.post(
            URL, {"org_id": str(org.pk), "user_id": str(user.pk)}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "user_id"
    assert not PortalLink.objects.exists()


def test_the_portal_scope_is_needed(org, member):
    """A key without `portal` gets 403 naming it."""
    from rest_framework.test import APIClient

    from audit.apikeys import api_key_create

    _, raw = api_key_create(name="ingest")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.post(
        URL, {"org_id": str(org.pk), "user_id": str(member.pk)}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key lacks the scope portal."


def test_a_password_login_ends_the_portal_hold(api_client, org, member):
    """Signing in with a password afterwards is a normal session again."""
    member.set_password("secret-pass-123")
    member.save()
    other = OrganizationFactory()
    MembershipFactory(org=other, user=member)
    client = Client()
    open_link(client, mint(api_client, org, member)["url"])
    client.post(
        "/accounts/login/",
        {"username": member.email, "password": "secret-pass-123"},
    )
    assert client.get(f"/orgs/{other.slug}/audit-log/").status_code == 200


def test_links_a_day_past_expiry_are_cleared_when_minting(api_client, org, member):
    """Old links do not pile up: minting removes those a day past expiry."""
    mint(api_client, org, member)
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(days=2))
    mint(api_client, org, member)
    assert PortalLink.objects.count() == 1
