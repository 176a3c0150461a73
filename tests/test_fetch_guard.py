"""The SSRF guard on its own: numeric host spellings and which addresses are public."""

from __future__ import annotations

import ipaddress

import pytest

from newsarchiver.errors import TLSError, UnsafeURL
from newsarchiver.fetch import AddressPolicy, Fetcher, is_public_address, parse_numeric_host
from newsarchiver.fetch.guard import check_url
from newsarchiver.models import FetchRequest
from tests.faultserver import HTML, fast_settings
from tests.localserver import LocalServer
from tests.tlsserver import TLSServer

STRICT = AddressPolicy()


@pytest.mark.parametrize(("spelling", "address"), [
    ("127.0.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("017700000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"),
    ("10.0.0.1.", "10.0.0.1"),
    ("0", "0.0.0.0"),
    ("[::1]", "::1"),
    ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
    ("::ffff:7f00:1", "::ffff:7f00:1"),
])
def test_numeric_spellings_are_read_as_resolvers_read_them(spelling: str, address: str) -> None:
    assert parse_numeric_host(spelling) == ipaddress.ip_address(address)


@pytest.mark.parametrize("name", ["example.com", "1.2.3.4.5", "256.1.1.1", "0x1g.1", "1.2.3.x",
                                  "08.1.1.1", ""])
def test_names_and_impossible_numbers_are_not_addresses(name: str) -> None:
    assert parse_numeric_host(name) is None


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "100.127.255.254", "224.0.0.1", "239.255.255.250", "240.0.0.1", "0.0.0.0",
    "255.255.255.255", "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12::1",
    "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1", "64:ff9b::a00:1",
    "2002:7f00:1::", "fec0::1", "2001:db8::1",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700::1111",
                                     "::ffff:8.8.8.8", "2a00:1450:4001:80b::200e"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", [
    "http://2130706433/", "http://0x7f.1/", "http://[::ffff:127.0.0.1]/", "http://017700000001/",
    "http://127.1/", "http://localhost/", "http://a.localhost/", "http://[::1]:8080/",
    "http://169.254.169.254/latest/meta-data/", "http://100.64.1.1/",
])
def test_check_url_refuses_forbidden_hosts(url: str) -> None:
    import httpx

    parsed = httpx.URL(url)
    with pytest.raises(UnsafeURL) as info:
        check_url(url, parsed.scheme, parsed.host, STRICT)
    assert info.value.url == url


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "gopher://x/",
                                 "data:text/html,hi", "javascript:alert(1)"])
def test_check_url_refuses_other_schemes(url: str) -> None:
    scheme = url.split(":", 1)[0]
    with pytest.raises(UnsafeURL):
        check_url(url, scheme, "example.com", STRICT)


def test_allowed_networks_open_only_those_networks() -> None:
    policy = AddressPolicy.from_settings(False, ["10.1.0.0/16", "fd00::/8"])
    assert policy.permits(ipaddress.ip_address("10.1.2.3"))
    assert policy.permits(ipaddress.ip_address("::ffff:10.1.2.3"))
    assert policy.permits(ipaddress.ip_address("fd00::5"))
    assert not policy.permits(ipaddress.ip_address("10.2.0.1"))
    assert not policy.permits(ipaddress.ip_address("127.0.0.1"))
    assert policy.permits(ipaddress.ip_address("8.8.8.8"))


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f.1", "017700000001", "127.1",
                                      "[::ffff:127.0.0.1]"])
async def test_the_fetcher_refuses_numeric_loopback_spellings(
        server: LocalServer, spelling: str) -> None:
    server.page("/", HTML)
    url = f"http://{spelling}:{server.port}/"
    async with Fetcher(fast_settings(allow_private_networks=False)) as fetcher:
        with pytest.raises(UnsafeURL) as info:
            await fetcher.fetch(FetchRequest(url=url))
    assert (info.value.url, info.value.status) == (url, None)
    assert server.hits == []


async def test_a_name_resolving_to_any_private_address_is_refused(server: LocalServer) -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]

    url = f"http://news.example:{server.port}/"
    async with Fetcher(fast_settings(allow_private_networks=False), resolver=mixed) as fetcher:
        with pytest.raises(UnsafeURL) as info:
            await fetcher.fetch(FetchRequest(url=url, obey_robots=False))
    assert "127.0.0.1" in str(info.value)
    assert server.hits == []


async def test_private_networks_allowed_is_said_in_the_log(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="newsarchiver.fetch"):
        Fetcher(fast_settings(allow_private_networks=True))
        Fetcher(fast_settings(allow_private_networks=False, allowed_networks=("10.0.0.0/8",)))
    assert "allow_private_networks" in caplog.text
    assert "10.0.0.0/8" in caplog.text


async def test_a_bad_certificate_is_a_tls_error_never_bypassed(tls_server: TLSServer) -> None:
    url = f"https://127.0.0.1:{tls_server.port}/"
    async with Fetcher(fast_settings()) as fetcher:
        with pytest.raises(TLSError) as info:
            await fetcher.fetch(FetchRequest(url=url))
    assert info.value.url == url
    assert "certificate verification failed" in str(info.value)
