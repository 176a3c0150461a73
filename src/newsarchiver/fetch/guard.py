"""The SSRF guard: which schemes and addresses a fetch may reach.

Two checks, both needed:

* Before a request (first URL and every redirect hop), :func:`check_url` refuses
  schemes other than http/https and hosts that *are* forbidden addresses, in any
  spelling a resolver would accept (``2130706433``, ``0x7f.1``, ``017700000001``,
  ``[::ffff:127.0.0.1]``). This gives an early, clear refusal.
* At connection time, :class:`GuardedBackend` (which opens the connections of
  :mod:`.http11`) resolves the host itself, checks *every* resolved address and then
  connects to the checked IP, never to the name. A host that resolves to a public
  address when first looked at and to a private one later (DNS rebinding) cannot slip
  past, because the address checked is the address connected to. TLS still verifies
  the certificate against the host name (passed as ``server_hostname``).

Checking the peer address of an already opened socket was rejected: by then the
connection exists and, on a reused pooled connection, the request may already
have been sent. No proxy is ever used (environment settings included), for the same
reason.

The policy in force is carried by a context variable (:data:`current_policy`), set
by the fetcher around each exchange, so one shared connection pool can serve
requests with different permissions (a user-supplied loopback URL). Exchanges with
a looser policy than the fetcher's default are sent with ``Connection: close`` so
that their connections never return to the pool for stricter requests.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import httpx

from newsarchiver.errors import UnsafeURL
from newsarchiver.fetch.streams import AsyncioStream, connect_tcp

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``resolver(host, port) -> addresses``: a name lookup (tests map names to loopback).
Resolver = Callable[[str, int], Awaitable[list[str]]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@functools.lru_cache(maxsize=4096)
def parse_numeric_host(host: str) -> IPAddress | None:
    """The address a numeric host spelling denotes, as ``inet_aton``/``inet_pton`` read it.

    Accepts dotted forms of one to four parts in decimal, octal (leading 0) or hex
    (leading 0x), and IPv6 literals with or without brackets. None for a name.
    """
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        try:
            if part.startswith("0x"):
                values.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                values.append(int(part, 8))
            elif part.isdigit():
                values.append(int(part))
            else:
                return None
        except ValueError:
            return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        return None
    number = last
    for i, v in enumerate(head):
        number += v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):  # NAT64 or ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True for a globally routable unicast address (and any address it embeds)."""
    inner = embedded_ipv4(ip)
    if inner is not None:  # the IPv4 address is what is reached
        return is_public_address(inner)
    forbidden = (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT)
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )
    return not forbidden and ip.is_global


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which addresses may be connected to."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, allow_private: bool, networks: Iterable[str]) -> AddressPolicy:
        return cls(allow_private, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def permits(self, ip: IPAddress) -> bool:
        if self.allow_private or is_public_address(ip):
            return True
        candidates = [ip] + [x for x in (embedded_ipv4(ip),) if x is not None]
        return any(c in net for c in candidates for net in self.allowed_networks
                   if c.version == net.version)

    def looser_than(self, other: AddressPolicy) -> bool:
        return self.allow_private and not other.allow_private


OPEN_POLICY = AddressPolicy(allow_private=True)
current_policy: contextvars.ContextVar[AddressPolicy | None] = contextvars.ContextVar(
    "newsarchiver_fetch_policy", default=None)


class BlockedAddress(Exception):
    """Raised inside the transport when a host resolves to a forbidden address."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, a non-public address")
        self.host = host
        self.address = address


def check_url(url: str, scheme: str, host: str, policy: AddressPolicy) -> None:
    """Refuse a non-web scheme or a host that is a forbidden address in any spelling."""
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL(f"scheme {scheme or '(none)'}: is not allowed; only http and https",
                        url=url)
    if not host:
        raise UnsafeURL("URL has no host", url=url)
    ip = parse_numeric_host(host)
    if ip is not None and not policy.permits(ip):
        raise UnsafeURL(f"address {ip} is not public (SSRF guard)", url=url)
    name = host.rstrip(".").lower()
    if (name == "localhost" or name.endswith(".localhost")) and not policy.permits(
            ipaddress.IPv4Address("127.0.0.1")):
        raise UnsafeURL("localhost is not public (SSRF guard)", url=url)


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the system resolver, TCP addresses in its order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend:
    """Resolves, checks every address against the current policy, connects to the IP."""

    def __init__(self, default_policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        self._default = default_policy
        self._resolver = resolver or system_resolver

    async def connect_tcp(self, host: str, port: int,
                          timeout: float | None = None) -> AsyncioStream:
        policy = current_policy.get() or self._default
        literal = parse_numeric_host(host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await asyncio.wait_for(self._resolver(host, port), timeout)
            except TimeoutError:
                raise httpx.ConnectTimeout(f"resolving {host} timed out") from None
            except OSError as exc:
                raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpx.ConnectError(f"{host} has no address")
        for address in addresses:
            if not policy.permits(ipaddress.ip_address(address.split("%", 1)[0])):
                raise BlockedAddress(host, address)
        last: Exception | None = None
        for address in addresses:
            try:
                return await connect_tcp(address, port, timeout=timeout)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last
