"""Where automated tasks may send HTTP requests.

A task's URL is written by whoever edits a template, so without a policy it could make the server
call its own loopback services, a cloud metadata address or the private network behind it. By
default (`deny_private_networks = true`) every address a host name resolves to must be public;
this server's own `server_url` origin and the hosts or networks listed in `allowed_task_hosts`
are exempt. The check is made before the request and again when the connection is opened, on the
addresses actually dialled, so a name that resolves differently the second time (DNS rebinding)
is refused too.

Origins are read from the URL as `requests` prepares it, so they name the host actually
contacted (`urllib.parse` reads some URLs differently, such as `http://a\\@b/`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError, NameResolutionError, NewConnectionError
from urllib3.util import parse_url

from host import secret_name
from plugins.releases_api.vocabulary import MASK

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Origin = tuple[str, str, int | None]
DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(Exception):
    """The policy forbids this destination. Deliberately not an OSError, so urllib3 and requests
    do not turn it into a generic connection error: the reason reaches the task as written."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def origin(url: str) -> Origin | None:
    """(scheme, host, port) of the URL as `requests` will send it; None when it cannot be parsed."""
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        parts = parse_url(prepared)
    except (requests.RequestException, LocationParseError, ValueError):
        return None
    scheme = (parts.scheme or "").lower()
    if scheme not in DEFAULT_PORTS or not parts.host:
        return None
    return scheme, _host(parts.host), parts.port or DEFAULT_PORTS[scheme]


def _masked_query(query: str) -> str:
    """Values of query parameters whose name is a secret's (`api_key=…`) as the mask."""
    pairs = [part.partition("=") for part in query.split("&")] if query else []
    return "&".join(
        f"{name}{eq}{MASK if eq and value and secret_name(unquote_plus(name)) else value}"
        for name, eq, value in pairs
    )


def without_userinfo(url: str) -> str:
    """The URL without `user:password@` and with secret query values masked, for failure reasons
    everyone who views a release reads."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<an unparsable URL>"
    return urlunsplit(
        parts._replace(netloc=parts.netloc.rpartition("@")[2], query=_masked_query(parts.query))
    )


def without_secrets(url: str) -> str:
    """The URL without `user:password@` and without its secret query parameters."""
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and not secret_name(unquote_plus(p.partition("=")[0]))]
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2], query="&".join(kept)))


def masked_url(url: str) -> str:
    """The URL as task JSON shows it: the password of `user:password@` and secret query values
    masked (the URL itself stays readable, and a client can send it back unchanged)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo, at, location = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo = f"{userinfo.split(':', 1)[0]}:{MASK}"
    netloc = f"{userinfo}{at}{location}"
    masked = urlunsplit(parts._replace(netloc=netloc, query=_masked_query(parts.query)))
    return masked if masked != urlunsplit(parts) else url


NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def _embedded(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and leads to: IPv4-mapped (`::ffff:a.b.c.d`), 6to4,
    IPv4-compatible (`::a.b.c.d`, deprecated but still routed by some stacks) and NAT64."""
    found = address.ipv4_mapped or address.sixtofour
    if found is None and (int(address) >> 32 == 0 and int(address) > 1 or address in NAT64):
        found = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return found


def _kind(address: Address) -> str | None:
    """What makes an address non-public, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in NAT64_LOCAL:
            return "private"
        embedded = _embedded(address)
        if embedded is not None:
            return _kind(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


@dataclass(frozen=True)
class Policy:
    """The outgoing rules of one server: built from `[plugins.releases_api]`."""

    server_origin: Origin | None
    deny_private_networks: bool = True
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[Network, ...] = field(default_factory=tuple)

    def is_server(self, target: Origin | None) -> bool:
        return target is not None and target == self.server_origin

    def _exempt(self, scheme: str, host: str, port: int | None) -> bool:
        host = _host(host)
        return (
            not self.deny_private_networks
            or host in self.allowed_hosts
            or self.is_server((scheme, host, port or DEFAULT_PORTS.get(scheme)))
        )

    def addresses(self, scheme: str, host: str, port: int | None) -> list[str] | None:
        """The addresses a connection to host:port may use, every one checked; None when the host
        is exempt (resolve and connect as usual). Raises Refused, or socket.gaierror."""
        if self._exempt(scheme, host, port):
            return None
        name = _host(host)
        found: list[str] = []
        for *_, sockaddr in socket.getaddrinfo(name, port, type=socket.SOCK_STREAM):
            text = str(sockaddr[0])
            if text not in found:
                found.append(text)
        for text in found:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            kind = _kind(address)
            if kind and not any(address in network for network in self.allowed_networks):
                where = name if name == text else f"{name} resolves to {text}, which"
                raise Refused(
                    f"Refused: {where} is a {kind} address. Automated tasks may only call public "
                    "addresses and this server's own server_url (see deny_private_networks and "
                    "allowed_task_hosts in [plugins.releases_api])."
                )
        return found

    def check(self, url: str) -> None:
        """Refuse a URL before any request is made (also covers requests sent through a proxy)."""
        target = origin(url)
        if target is None:
            raise Refused(f"{without_userinfo(url)} is not an http:// or https:// URL.")
        self.addresses(*target)


def parse_networks(entries: Iterable[Any]) -> tuple[frozenset[str], tuple[Network, ...]]:
    """`allowed_task_hosts` entries: IP addresses and networks (`10.1.0.0/16`) or host names."""
    hosts: set[str] = set()
    networks: list[Network] = []
    for entry in entries:
        if not isinstance(entry, str) or not entry.strip():
            raise ValueError(f"allowed_task_hosts entries must be host names or networks, not {entry!r}")
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            if "/" in entry or any(c.isspace() for c in entry.strip()):
                raise ValueError(f"allowed_task_hosts: {entry!r} is not a host name or network") from None
            hosts.add(_host(entry.strip()))
    return frozenset(hosts), tuple(networks)


class _GuardedConnection:
    """Mixed into urllib3's connections: resolve, check every address, then dial only those."""

    policy: Policy
    scheme: str
    host: str
    port: int
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        try:
            allowed = self.policy.addresses(self.scheme, self.host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        if allowed is None:
            return super()._new_conn()  # type: ignore[misc]
        failure: NewConnectionError | None = None
        for address in allowed:
            self._dns_host = address
            try:
                return super()._new_conn()  # type: ignore[misc]
            except NewConnectionError as exc:
                failure = exc
        assert failure is not None
        raise failure


class _GuardedAdapter(HTTPAdapter):
    """Connection pools whose connections go through the policy."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        extra = {"policy": self.policy}
        http = type("GuardedHTTP", (_GuardedConnection, HTTPConnection), {**extra, "scheme": "http"})
        https = type("GuardedHTTPS", (_GuardedConnection, HTTPSConnection), {**extra, "scheme": "https"})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


def session(policy: Policy) -> requests.Session:
    """A session whose direct connections obey the policy."""
    found = requests.Session()
    adapter = _GuardedAdapter(policy)
    found.mount("http://", adapter)
    found.mount("https://", adapter)
    return found
