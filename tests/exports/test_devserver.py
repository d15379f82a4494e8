"""`manage.py devserver`: what a developer sees in the console."""

import socket
import time

import pytest
import requests
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule, Success

from audit.models import Role
from tests.exports.e2e_support import manage_py, stop, wait_for
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.workers import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _listening(port: int) -> bool:
    # A bare connect, not a request: a request would add a line to the log.
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_devserver_console_is_quiet_while_idle_and_on_a_403(tmp_path):
    """A scheduled task run and a 403 print no traceback and fewer than 10 lines."""
    org = OrganizationFactory(slug="acme")
    intern = UserFactory(email="intern@acme.example")
    MembershipFactory(org=org, user=intern, role=Role.objects.get(name="Member"))
    client = Client()
    client.force_login(intern)
    session = client.cookies["sessionid"].value
    # Due now and every minute: the scheduler enqueues it and the worker runs
    # it within the test, as it does for an export location every 30 s.
    Schedule.objects.create(
        name="devserver-test",
        func="django.utils.timezone.now",
        schedule_type=Schedule.MINUTES,
        minutes=1,
        next_run=timezone.now(),
    )
    port = free_port()
    log_path = tmp_path / "devserver.log"
    with log_path.open("wb") as log:
        server = manage_py(
            "devserver", "--no-s3", "--port", str(port), env={"Q_WORKERS": "1"}, log=log
        )
        try:
            assert wait_for(lambda: _listening(port), timeout=60), log_path.read_text()
            response = requests.get(
                f"http://127.0.0.1:{port}/orgs/acme/audit-log/",
                cookies={"sessionid": session},
                timeout=30,
            )
            assert response.status_code == 403
            # django-q2's scheduler first wakes 30 s after the cluster starts.
            ran = wait_for(
                lambda: (
                    Success.objects.filter(name__isnull=False)
                    .filter(func="django.utils.timezone.now")
                    .exists()
                ),
                timeout=75,
            )
            assert ran, log_path.read_text()
            time.sleep(1)
            output = log_path.read_text()
        finally:
            stop(server)
    lines = [line for line in output.splitlines() if line.strip()]
    assert "Traceback" not in output, output
    assert len(lines) < 10, output
    assert any("403" in line for line in lines), output
