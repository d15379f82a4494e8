"""docs/integrating.md: its shell blocks run, in order, against a live server."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from audit.models import AuditEvent, Membership, Organization, User

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "integrating.md"


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_doc_has_the_walkthrough_steps():
    """The doc makes a key, loads users, orgs, members, sends an event, opens a link."""
    script = "\n".join(shell_blocks())
    for needle in (
        "apikeys create",
        "/api/v1/users/",
        "/api/v1/orgs/",
        "/members/",
        "/api/v1/events/",
        "/api/v1/portal-links",
    ):
        assert needle in script, needle


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_every_command_of_the_walkthrough_works(live_server, settings):
    """Run the doc's commands with bash and curl; each succeeds, the link opens."""
    from tests.exports.e2e_support import database_url

    settings.AUDITSITE_PORTAL_RETURN_HOSTS = ["app.example.com"]
    script = "set -euo pipefail\n" + "\n".join(shell_blocks())
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "AUDITSITE_URL": live_server.url,
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        # `python` in the doc is this virtualenv's.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("/orgs/acme/audit-log/")
    assert result.stdout.rstrip().splitlines()[-1].startswith("302 ")
    assert (
        User.objects.filter(email__in=["ann@acme.example", "bob@acme.example"]).count()
        == 2
    )
    assert Organization.objects.filter(slug="acme").exists()
    assert Membership.objects.filter(org__slug="acme").count() == 2
    login = AuditEvent.objects.filter(
        event_type="UserLoginAttempt",
        event_data__UserLoginAttempt__method="portal_link",
    )
    assert login.count() == 1
    assert AuditEvent.objects.filter(
        event_type="UserLoginAttempt", caused_by_type="ApiKey"
    ).exists()
