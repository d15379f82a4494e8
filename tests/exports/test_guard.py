"""exports.destinations.guard: no destination reaches the operator's network.

The guard is on in these tests (the suite turns it off elsewhere, for its
receivers on 127.0.0.1). No test sends a packet to a non-loopback address:
"public" answers come from a patched resolver, and the connections they would
lead to are refused before a socket opens or land on a loopback listener.
"""

import json
import socket

import httpcore
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.services import Actor
from exports import services
from exports.destinations import guard, http
from exports.models import ExportLocation
from tests.exports.receivers import Answer, WebhookReceiver
from tests.factories import AuditEventFactory

SECRET = "whsec-test"
# Every spelling of a non-public address tried in the security review, and
# the IPv6 forms that carry an IPv4 address.
REFUSED = {
    "http://169.254.169.254/latest/": "link-local address 169.254.169.254",
    "http://127.0.0.1:9/": "loopback address 127.0.0.1",
    "http://localhost/": "loopback address",
    "http://[::1]/": "loopback address ::1",
    "http://10.0.0.5/": "private address 10.0.0.5",
    "http://192.168.1.10/": "private address 192.168.1.10",
    "http://172.16.0.1/": "private address 172.16.0.1",
    "http://[fd00::5]/": "private address fd00::5",
    "http://[fe80::1]/": "link-local address fe80::1",
    "http://224.0.0.1/": "multicast address 224.0.0.1",
    "http://[ff02::1]/": "multicast address ff02::1",
    "http://0.0.0.0/": "unspecified address 0.0.0.0",
    "http://[::]/": "unspecified address ::",
    "http://100.64.0.1/": "shared (carrier-grade NAT) address 100.64.0.1",
    "http://240.0.0.1/": "address 240.0.0.1",
    "http://[::ffff:127.0.0.1]/": "loopback address 127.0.0.1",
    "http://[::ffff:10.0.0.5]/": "private address 10.0.0.5",
    "http://[64:ff9b::a9fe:a9fe]/": "link-local address 169.254.169.254",
    "http://[2002:a00:5::]/": "private address 10.0.0.5",
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/": "loopback address 127.0.0.1",
    "http://2130706433/": "loopback address 127.0.0.1",
    "http://0x7f000001/": "loopback address 127.0.0.1",
    "http://0177.0.0.1/": "loopback address 127.0.0.1",
    "http://127.1/": "loopback address 127.0.0.1",
}
PUBLIC = "93.184.215.14"


@pytest.fixture(autouse=True)
def guard_on(settings):
    """The guard as production has it (the suite's default turns it off)."""
    settings.AUDITSITE_ALLOW_PRIVATE_DESTINATIONS = False


class Listener:
    """A TCP socket on 127.0.0.1 that accepts only when asked: ``connections()``
    counts the connections the kernel completed for it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def accept(self, timeout: float | None = None):
        self.sock.settimeout(timeout)
        return self.sock.accept()[0]

    def connections(self) -> int:
        count = 0
        while True:
            try:
                self.accept(timeout=0).close()
            except (BlockingIOError, TimeoutError):
                return count
            count += 1


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.sock.close()


def _resolver(*answers: str):
    """A getaddrinfo for the guard only (``guard.getaddrinfo``; the socket
    module's own stays real) that answers each call with the next address (the
    last one repeating): a DNS name that rebinds."""
    calls: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        assert guard._literal(host) is None, "the guard resolves names only"
        calls.append(host)
        ip = answers[min(len(calls), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (ip, port or 0))]

    getaddrinfo.calls = calls
    return getaddrinfo


def _webhook(endpoint_url: str):
    return services.export_location_create(
        actor=Actor.system(),
        destination="webhook",
        endpoint_url=endpoint_url,
        destination_secret=SECRET,
        interval="EVERY_HOUR",
    )


@pytest.mark.parametrize("url", sorted(REFUSED))
def test_api_refuses_each_non_public_address_naming_why(db, staff, url):
    """POST of a location whose endpoint leads to a non-public address: 400
    naming the address, nothing saved, no event recorded."""
    api = APIClient()
    api.force_authenticate(staff)
    events = AuditEvent.objects.count()
    response = api.post(
        "/api/v1/export-locations/",
        {
            "destination": "webhook",
            "endpoint_url": url.replace("http://", "https://"),
            "destination_secret": SECRET,
            "interval": "EVERY_HOUR",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    [message] = [
        m for m in response.json()["endpoint_url"] if m.startswith("Refused: ")
    ]
    assert "resolves to a" in message
    assert REFUSED[url] in message
    assert not ExportLocation.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:9000", "http://2130706433/", "http://[::ffff:a00:5]/"]
)
def test_exports_create_refuses_an_s3_endpoint_naming_why(db, tmp_path, url):
    """`exports create` with a private S3 endpoint URL: one line naming the
    field and the address, nothing saved."""
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "interval": "EVERY_HOUR",
                "bucket": "customer-audit",
                "endpointUrl": url,
                "accessKeyId": "AKIAEXAMPLE",
                "secretAccessKey": "secret",
            }
        )
    )
    with pytest.raises(CommandError) as raised:
        call_command("exports", "create", "--auth", "access-key", str(config))
    message = str(raised.value)
    assert message.startswith("endpointUrl: Refused: ")
    assert "resolves to a" in message
    assert not ExportLocation.objects.exists()


def test_exports_create_refuses_a_webhook_on_the_metadata_address(db, tmp_path):
    """`exports create --destination webhook` to 169.254.169.254 is refused."""
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"endpointUrl": "https://169.254.169.254/", "secret": SECRET})
    )
    with pytest.raises(CommandError, match="link-local address 169.254.169.254"):
        call_command("exports", "create", "--destination", "webhook", str(config))
    assert not ExportLocation.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused(db, monkeypatch):
    """A host name is judged by what it resolves to, every address of it."""
    monkeypatch.setattr(guard, "getaddrinfo", _resolver("10.0.0.5"))
    with pytest.raises(ValidationError) as raised:
        _webhook("https://hooks.internal.example/")
    [message] = raised.value.message_dict["endpoint_url"]
    assert message == (
        "Refused: hooks.internal.example resolves to a private address 10.0.0.5."
    )
    assert not ExportLocation.objects.exists()


def test_public_addresses_pass_and_embedded_public_ipv4_too():
    """Public IPv4 and IPv6, and IPv6 forms leading to a public IPv4, pass."""
    for url in (
        f"https://{PUBLIC}/",
        "https://[2606:4700:4700::1111]/",
        "https://[::ffff:5db8:d70e]/",
        "https://[64:ff9b::5db8:d70e]/",
        "https://[2002:5db8:d70e::]/",
    ):
        assert guard.url_problem(url) is None, url


def test_switch_allows_private_destinations(settings):
    """AUDITSITE_ALLOW_PRIVATE_DESTINATIONS=1 lets an on-premises receiver be saved."""
    settings.AUDITSITE_ALLOW_PRIVATE_DESTINATIONS = True
    assert guard.url_problem("http://10.0.0.5/") is None


def test_rebinding_name_passes_save_but_is_refused_at_connect(
    db, monkeypatch, listener
):
    """A name answering a public address at save and 127.0.0.1 at delivery is
    saved, then refused when connecting: the listener gets no connection."""
    port = listener.port
    resolver = _resolver(PUBLIC, "127.0.0.1")
    monkeypatch.setattr(guard, "getaddrinfo", resolver)
    # The save-time verification would connect to the public address: refuse
    # every connection the test did not aim at the listener.
    real_connect = httpcore.SyncBackend.connect_tcp

    def loopback_only(self, host, port_, *args, **kwargs):
        if host != "127.0.0.1":
            raise httpcore.ConnectError("test: no packets to public addresses")
        return real_connect(self, host, port_, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", loopback_only)
    location = _webhook(f"https://rebinding.example:{port}/hook")
    assert ExportLocation.objects.filter(pk=location.pk).exists()
    status = services.export_location_verify(actor=Actor.system(), location=location)
    assert status == (
        "rebinding.example: rebinding.example resolves to a loopback address 127.0.0.1"
    )
    assert resolver.calls == ["rebinding.example"] * 3
    assert listener.connections() == 0


def test_connected_peer_is_judged_again(db, monkeypatch, listener):
    """A connection that lands on 127.0.0.1 although the name was public is
    closed before a byte of the request is sent."""
    port = listener.port
    monkeypatch.setattr(guard, "getaddrinfo", _resolver(PUBLIC))
    real_connect = httpcore.SyncBackend.connect_tcp

    def lands_on_loopback(self, host, port_, *args, **kwargs):
        return real_connect(self, "127.0.0.1", port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", lands_on_loopback)
    result = http.send(http.Request(url=f"http://{PUBLIC}:{port}/", body=b"{}"))
    assert not result.ok and not result.retryable
    assert "connected to a loopback address 127.0.0.1" in result.error
    conn = listener.accept(timeout=2)
    conn.settimeout(2)
    assert conn.recv(1024) == b""  # closed without a request
    conn.close()


def test_s3_endpoint_is_checked_again_at_each_run(db, monkeypatch):
    """An S3 endpoint URL saved when it was public, now resolving privately,
    fails its verify and its run with the reason, before boto3 is used."""
    monkeypatch.setattr(guard, "getaddrinfo", _resolver("10.0.0.5"))

    def no_boto3(*args, **kwargs):
        raise AssertionError("boto3 used for a refused endpoint")

    monkeypatch.setattr("boto3.client", no_boto3)
    location = ExportLocation.objects.create(
        name="Minio",
        bucket="customer-audit",
        endpoint_url="https://minio.example:9000",
        access_key_id="AKIAEXAMPLE",
        interval="EVERY_HOUR",
    )
    status = services.export_location_verify(actor=Actor.system(), location=location)
    assert status == ("Refused: minio.example resolves to a private address 10.0.0.5.")


def test_long_html_answer_is_kept_as_200_plain_characters(db, settings):
    """A receiver's 483-character HTML answer is stored as status + at most 200
    characters of text, tags stripped, in the status and the run's error."""
    settings.AUDITSITE_ALLOW_PRIVATE_DESTINATIONS = True
    settings.AUDITSITE_EXPORT_HTTP_MAX_ATTEMPTS = 1
    page = (
        "<html><head><script>alert('x')</script></head><body><h1>Denied</h1>"
        + "<p>"
        + "no entry " * 45
        + "</p></body></html>"
    ).encode()
    with WebhookReceiver(SECRET) as receiver:
        receiver.answer(Answer(status=403, body=page), Answer(status=403, body=page))
        location = _webhook(receiver.url)
        AuditEventFactory()
        services.export_location_run(location_id=location.pk)
    location.refresh_from_db()
    for text in (location.connection_status, location.last_error):
        prefix = "HTTP 403 from 127.0.0.1: "
        assert text.startswith(prefix + "Denied no entry"), text
        said = text[len(prefix) :]
        assert len(said) <= 200 and said.endswith("…")
        assert "<" not in text
