"""The outbound guard: destinations never reach the operator's own network.

One policy for every destination (SPEC 12): an address that is loopback,
private, link-local (cloud metadata at 169.254.169.254 included),
unspecified, multicast, reserved, shared (100.64.0.0/10) or otherwise not
public is refused, IPv4 and IPv6 alike. An IPv6 address that carries an
IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4
``2002::/16``, Teredo) is judged by the IPv4 address it leads to. Host
names, and the odd spellings of IPv4 (``2130706433``, ``0x7f000001``,
``0177.0.0.1``, ``127.1``), go through ``socket.getaddrinfo``, which reads
them the way the connection would; every address it returns must pass.

It is applied twice: when a location is saved (``url_problem``, through
``exports.services.location_checks``) and when a connection is made
(``GuardedBackend`` under the HTTP destinations' httpx client, which
connects to an address it has judged and judges the peer again; the S3
module calls ``url_check`` before each boto3 client is built), so a name
that resolves to a public address at save time and to a private one later
is still refused. ``AUDITSITE_ALLOW_PRIVATE_DESTINATIONS`` turns it off for
on-premises receivers (and the demo and tests, which use 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cache
from socket import getaddrinfo
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SHARED = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class DestinationRefused(Exception):
    """A destination address the guard refuses; ``str()`` says why."""


def guard_enabled() -> bool:
    """False when the operator allows private destinations (on-premises)."""
    return not settings.AUDITSITE_ALLOW_PRIVATE_DESTINATIONS


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (mapped, NAT64, 6to4, Teredo)."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def _kind(ip: Address) -> str | None:
    """What makes one address non-public, or None when it is public."""
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.version == 4 and ip in SHARED:
        return "shared (carrier-grade NAT)"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def address_problem(ip: Address) -> str | None:
    """Why the guard refuses ``ip`` (``"a private address 10.0.0.5"``), or None."""
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)
        if embedded:
            for inner in embedded:
                kind = _kind(inner)
                if kind:
                    return f"{_article(kind)} {kind} address {inner} (inside {ip})"
            if ip.teredo is None:
                # Mapped, NAT64 and 6to4 lead to their public IPv4 address:
                # Python calls some of these prefixes reserved, but the
                # address reached is the embedded one.
                return None
    kind = _kind(ip)
    return f"{_article(kind)} {kind} address {ip}" if kind else None


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _literal(host: str) -> Address | None:
    """``host`` as an IP address when it is written as one (the usual way)."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def resolve(host: str, port: int | None) -> list[Address]:
    """Every address ``host`` resolves to, as a connection would resolve it."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = getaddrinfo(host.strip("[]"), port or 0, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DestinationRefused(f"{host} does not resolve ({exc})") from exc
    addresses: list[Address] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise DestinationRefused(f"{host} does not resolve")
    return addresses


def allowed_addresses(host: str, port: int | None) -> list[Address]:
    """The addresses of ``host``; ``DestinationRefused`` if any is refused.

    One refused address refuses the host: a name that answers both a public
    and a private address could be steered to the private one.
    """
    addresses = resolve(host, port)
    for ip in addresses:
        problem = address_problem(ip)
        if problem:
            shown = "" if _literal(host) is not None else f"{host} "
            raise DestinationRefused(f"{shown}resolves to {problem}")
    return addresses


def url_problem(url: str) -> str | None:
    """Why the guard refuses a destination URL at save time, or None.

    None as well when the guard is off or the URL has no host (the URL
    validation says what is wrong with it then).
    """
    if not guard_enabled():
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    try:
        allowed_addresses(host, port or (443 if parts.scheme == "https" else 80))
    except DestinationRefused as exc:
        return f"Refused: {exc}."
    return None


def url_check(url: str | None) -> None:
    """Raise ``DestinationRefused`` when the guard refuses ``url`` now."""
    if not url:
        return
    problem = url_problem(url)
    if problem:
        raise DestinationRefused(problem)


def guarded_backend():
    """A new ``GuardedBackend`` (httpcore's network backend behind the guard)."""
    return _guarded_backend_class()()


@cache
def _guarded_backend_class():
    # Built on first use: httpcore comes with httpx, which only the
    # processes that send to HTTP destinations import.
    import httpcore

    class GuardedBackend(httpcore.SyncBackend):
        """httpcore's network backend, connecting only to addresses the guard allows.

        The host is resolved here once; the connection goes to one of those
        judged addresses (never a second lookup that could answer differently),
        and the peer the socket reached is judged again. TLS still names the
        host (httpcore passes it as the server name), so certificates check as
        usual.
        """

        def connect_tcp(
            self, host, port, timeout=None, local_address=None, socket_options=None
        ):
            if not guard_enabled():
                return super().connect_tcp(
                    host, port, timeout, local_address, socket_options
                )
            last_error: Exception | None = None
            for ip in allowed_addresses(host, port):
                try:
                    stream = super().connect_tcp(
                        str(ip), port, timeout, local_address, socket_options
                    )
                except httpcore.ConnectError as exc:
                    last_error = exc
                    continue
                peer = stream.get_extra_info("socket").getpeername()[0]
                problem = address_problem(ipaddress.ip_address(peer.split("%")[0]))
                if problem:
                    stream.close()
                    raise DestinationRefused(f"{host} connected to {problem}")
                return stream
            raise last_error or httpcore.ConnectError(f"cannot connect to {host}")

        def connect_unix_socket(self, path, timeout=None, socket_options=None):
            raise DestinationRefused("Unix sockets are not destinations")

    return GuardedBackend
