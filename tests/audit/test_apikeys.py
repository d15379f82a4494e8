import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from audit.apikeys import api_key_for_raw_key
from audit.models import ApiKey

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def bearer(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def run(*args) -> str:
    out = io.StringIO()
    call_command("apikeys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_create_command_prints_a_working_key_on_its_last_line():
    """`apikeys create NAME` prints a key that authenticates, stored only hashed."""
    raw_key = (
        run("create", "billing service", "--scope", "events:read")
        .strip()
        .splitlines()[-1]
    )
    assert re.fullmatch(r"as_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", raw_key)
    api_key = ApiKey.objects.get()
    assert api_key.name == "billing service"
    assert api_key.prefix == raw_key[:11]
    assert raw_key not in api_key.key_hash
    assert bearer(raw_key).get(URL).status_code == 200


def test_list_command_shows_prefix_name_and_status(api_key):
    """`apikeys list` shows each key's prefix, name and whether it is revoked."""
    output = run("list")
    line = next(line for line in output.splitlines() if api_key.prefix in line)
    assert "billing service" in line
    assert "active" in line
    assert api_key.raw_key not in output


def test_revoke_command_makes_the_key_401(api_key):
    """`apikeys revoke PREFIX` revokes the key at once."""
    assert bearer(api_key.raw_key).get(URL).status_code == 200
    assert "Revoked" in run("revoke", api_key.prefix)
    assert bearer(api_key.raw_key).get(URL).status_code == 401
    assert "revoked" in run("list")
    with pytest.raises(CommandError):
        run("revoke", "as_unknown0")


def test_key_use_is_recorded(api_key):
    """Using a key sets its last-used time."""
    assert ApiKey.objects.get().last_used_at is None
    bearer(api_key.raw_key).get(URL)
    assert ApiKey.objects.get().last_used_at is not None


def test_a_key_with_a_wrong_secret_is_refused(api_key):
    """The right prefix with another secret does not authenticate."""
    forged = api_key.prefix + "_" + "x" * 43
    assert api_key_for_raw_key(forged) is None
    assert bearer(forged).get(URL).status_code == 401


def test_admin_shows_a_new_key_once(staff_client):
    """Adding a key in the admin shows it once; its page never shows it again."""
    response = staff_client.post(
        "/admin/audit/apikey/add/",
        {"name": "warehouse sync", "scopes": ["events:read"]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    raw_key = re.search(r'<code id="api-key"[^>]*>([^<]+)</code>', html).group(1)
    assert "shown only this once" in html
    api_key = ApiKey.objects.get()
    assert api_key.created_by.email == "staff@operator.example"
    assert bearer(raw_key).get(URL).status_code == 200

    for url in (
        "/admin/audit/apikey/",
        f"/admin/audit/apikey/{api_key.pk}/change/",
    ):
        page = staff_client.get(url).content.decode()
        assert api_key.prefix in page
        assert raw_key not in page
        assert api_key.key_hash not in page


def test_admin_revoke_action(staff_client, api_key):
    """The admin's revoke action makes the key 401 and records who revoked it."""
    response = staff_client.post(
        "/admin/audit/apikey/",
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
        follow=True,
    )
    assert "Revoked 1 API key" in response.content.decode()
    api_key.refresh_from_db()
    assert api_key.revoked_by.email == "staff@operator.example"
    assert bearer(api_key.raw_key).get(URL).status_code == 401
