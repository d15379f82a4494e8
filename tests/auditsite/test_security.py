"""Page headers, embeddable org pages and production defaults (SPEC 12)."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECURITY_DOC = ROOT / "docs" / "security.md"


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in header.split(";"))
        if part
    }


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api/docs/"])
def test_every_page_sends_the_policy_and_headers(client, db, path):
    """A CSP without inline scripts, nosniff, a Referrer-Policy, no framing."""
    response = client.get(path)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_swagger_start_up_script_is_a_file(client, db):
    """/api/docs/ names its start-up script by URL and serves it as JavaScript."""
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_org_pages_are_unframeable_by_default(client, member, org):
    """With no embed origins the org pages are as unframeable as the rest."""
    client.force_login(member)
    response = client.get(f"/orgs/{org.slug}/audit-log/")
    assert response.status_code == 200
    assert _policy(response)["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_embed_origins_may_frame_the_org_pages_only(client, member, org, settings):
    """AUDITSITE_EMBED_ORIGINS lets those origins frame the org pages (no
    X-Frame-Options there); other pages stay unframeable."""
    settings.AUDITSITE_EMBED_ORIGINS = ["https://app.example.com"]
    client.force_login(member)
    for path in (f"/orgs/{org.slug}/audit-log/", f"/orgs/{org.slug}/members/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _policy(response)["frame-ancestors"] == "https://app.example.com"
        assert "X-Frame-Options" not in response
    account = client.get("/account/")
    assert _policy(account)["frame-ancestors"] == "'none'"
    assert account["X-Frame-Options"] == "DENY"


def _settings_with(env: dict[str, str]) -> dict:
    """Security settings as a fresh process computes them from ``env``."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k, None) for k in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER',"
        "'AUDITSITE_ALLOW_PRIVATE_DESTINATIONS')}))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AUDITSITE_", "SECURE_", "DEBUG", "DATABASE_URL"))
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "auditsite.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_debug_off_means_https_unless_told_otherwise():
    """DEBUG off: Secure cookies, one year of HSTS, the HTTPS redirect, no
    proxy header and the outbound guard on; AUDITSITE_INSECURE_HTTP=1 turns
    the HTTPS parts off; SECURE_PROXY_SSL_HEADER=1 trusts X-Forwarded-Proto."""
    production = _settings_with({"DEBUG": "0"})
    assert production == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": None,
        "AUDITSITE_ALLOW_PRIVATE_DESTINATIONS": False,
    }
    plain = _settings_with({"DEBUG": "0", "AUDITSITE_INSECURE_HTTP": "1"})
    assert plain["SESSION_COOKIE_SECURE"] is False
    assert plain["SECURE_SSL_REDIRECT"] is False
    assert plain["SECURE_HSTS_SECONDS"] == 0
    proxied = _settings_with({"DEBUG": "0", "SECURE_PROXY_SSL_HEADER": "1"})
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def production_settings() -> dict[str, str]:
    """The environment block of docs/security.md, with a random SECRET_KEY."""
    text = SECURITY_DOC.read_text()
    block = re.search(r"```sh production-settings\n(.*?)```", text, re.S)
    assert block, "docs/security.md has no production-settings block"
    env = dict(
        line.split("=", 1) for line in block.group(1).splitlines() if "=" in line
    )
    assert "<" in env["SECRET_KEY"]  # a placeholder, replaced here
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def test_check_deploy_is_clean_with_the_documented_settings():
    """`manage.py check --deploy --fail-level WARNING` passes with exactly the
    production settings docs/security.md shows (what CI runs)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AUDITSITE_", "SECURE_", "DEBUG", "DATABASE_URL"))
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **production_settings()},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
