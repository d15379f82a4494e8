from django.test import RequestFactory
from django.urls import resolve
from rest_framework.request import Request

from audit.actors import Actor, actor_for_request
from tests.factories import UserFactory


def _request(path, user, **meta):
    request = RequestFactory().get(path, **meta)
    request.user = user
    request.resolver_match = resolve(path)
    return request


def test_staff_in_admin_is_employee_and_on_pages_is_user(staff):
    """Staff in the admin act as Employee; the same person on org pages acts as User."""
    admin_request = _request(
        "/admin/audit/user/", staff, REMOTE_ADDR="10.0.0.7", HTTP_USER_AGENT="Firefox"
    )
    actor = actor_for_request(admin_request)
    assert (actor.type, actor.id, actor.source_ip, actor.user_agent) == (
        "Employee",
        str(staff.pk),
        "10.0.0.7",
        "Firefox",
    )
    page_request = _request("/orgs/acme/audit-log/", staff)
    assert actor_for_request(page_request).type == "User"


def test_a_path_that_only_looks_like_the_admin_is_not_the_admin(staff):
    """The admin is what served the request, not a path prefix."""
    request = RequestFactory().get("/admin/audit/user/")
    request.user = staff
    assert actor_for_request(request).type == "User"


def test_api_key_request_is_api_key_with_prefix_and_name(api_key):
    """A DRF request authenticated by an API key is ApiKey: its prefix and name."""
    request = Request(RequestFactory().get("/api/v1/events/", REMOTE_ADDR="10.1.1.1"))
    request._authenticator = None
    request._user, request._auth = None, api_key
    actor = actor_for_request(request)
    assert (actor.type, actor.id, actor.metadata, actor.source_ip) == (
        "ApiKey",
        api_key.prefix,
        {"name": "billing service"},
        "10.1.1.1",
    )


def test_staff_session_on_the_api_is_employee(staff):
    """A staff session calling the operator API is Employee."""
    request = Request(RequestFactory().get("/api/v1/events/"))
    request._authenticator = None
    request._user, request._auth = staff, None
    assert actor_for_request(request).type == "Employee"


def test_anonymous_request_is_user_without_id(db):
    """Nobody signed in (a failed login) is User with no id."""
    from django.contrib.auth.models import AnonymousUser

    request = _request("/accounts/login/", AnonymousUser(), REMOTE_ADDR="10.0.0.9")
    actor = actor_for_request(request)
    assert (actor.type, actor.id, actor.source_ip) == ("User", "", "10.0.0.9")


def test_user_argument_names_the_account(db):
    """``user=`` names the account a login is for, before it is signed in."""
    from django.contrib.auth.models import AnonymousUser

    user = UserFactory()
    request = _request("/accounts/login/", AnonymousUser())
    actor = actor_for_request(request, user=user)
    assert (actor.type, actor.id) == ("User", str(user.pk))


def test_forwarded_for_is_ignored_unless_trusted(settings, staff):
    """A client cannot forge its IP with X-Forwarded-For unless it is trusted."""
    request = _request(
        "/admin/", staff, REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert actor_for_request(request).source_ip == "10.0.0.7"
    settings.AUDITSITE_TRUST_X_FORWARDED_FOR = True
    assert actor_for_request(request).source_ip == "1.2.3.4"


def test_system_actor_is_auditsite():
    """Commands and schedules act as System."""
    assert Actor.system().type == "System"


def test_scim_key_request_is_scim_with_the_key_id(rf, org):
    """A request carrying the org's SCIM key is caused by Scim, id the key's id."""
    from audit.services.scim_keys import scim_key_create

    scim_key, _ = scim_key_create(actor=Actor.system(), org=org)
    request = rf.get("/scim/v2/Users", REMOTE_ADDR="203.0.113.9")
    request.auth = scim_key
    actor = actor_for_request(request)
    assert actor.type == "Scim"
    assert actor.id == str(scim_key.pk)
    assert actor.metadata == {"prefix": scim_key.prefix, "org": "acme"}
    assert actor.source_ip == "203.0.113.9"
