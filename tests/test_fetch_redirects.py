"""Redirects by hand: loops, hop limits, unsafe targets, and credentials kept to their origin."""

from __future__ import annotations

import random

import pytest

from newsarchiver.errors import RedirectError, UnsafeURL
from newsarchiver.fetch import Fetcher
from newsarchiver.models import FetchRequest
from tests.faultserver import HTML, FaultRoutes, fast_settings, fetch_once
from tests.localserver import Handler, LocalServer, respond


def redirect_to(server: LocalServer, path: str, location: str, status: int = 302) -> str:
    return server.route(path, lambda h: respond(h, b"", status=status,
                                                headers={"Location": location}))


async def loopback_resolver(host: str, port: int) -> list[str]:
    """Every name is 127.0.0.1: stands for DNS pointing a public-looking name inward."""
    return ["127.0.0.1"]


async def test_redirects_are_followed_and_recorded(server: LocalServer) -> None:
    final = server.page("/final", HTML)
    second = redirect_to(server, "/second", "/final", 301)
    first = redirect_to(server, "/first", second, 307)
    result = await fetch_once(fast_settings(), first)
    assert (result.url, result.final_url, result.status) == (first, final, 200)
    assert result.redirects == (first, second)


async def test_a_redirect_loop_is_an_error_and_not_retried(faults: FaultRoutes) -> None:
    url = faults.url("/loop/a")
    with pytest.raises(RedirectError) as info:
        await fetch_once(fast_settings(max_retries=2), url)
    assert (info.value.url, info.value.status) == (url, 302)
    assert "loop" in str(info.value)
    assert len(faults.server.hits_for("/loop/a")) == 1


async def test_more_hops_than_allowed_is_an_error(server: LocalServer) -> None:
    for i in range(5):
        redirect_to(server, f"/hop/{i}", f"/hop/{i + 1}")
    url = server.url("/hop/0")
    with pytest.raises(RedirectError) as info:
        await fetch_once(fast_settings(max_redirects=3), url)
    assert (info.value.url, info.value.status) == (url, 302)
    assert len(server.hits_for("/hop/4")) == 0


@pytest.mark.parametrize("location", [
    "file:///etc/passwd",
    "ftp://127.0.0.1/x",
    "gopher://127.0.0.1:70/_",
])
async def test_a_redirect_to_another_scheme_is_refused(server: LocalServer, location: str) -> None:
    url = redirect_to(server, "/to-scheme", location)
    with pytest.raises(UnsafeURL) as info:
        await fetch_once(fast_settings(allow_private_networks=False), url, user_supplied=True)
    assert (info.value.url, info.value.status) == (url, 302)
    assert (info.value.final_url or "").split(":")[0] == location.split(":")[0]


@pytest.mark.parametrize("target", [
    "http://10.1.2.3/admin",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://[::ffff:10.0.0.1]/",
    "http://[fd00::1]/",
    "http://0x7f.2:{port}/fine",
    "http://2130706434:{port}/fine",
    "http://localhost:{port}/fine",
])
async def test_a_user_supplied_loopback_page_may_not_redirect_elsewhere_private(
        server: LocalServer, target: str) -> None:
    server.page("/fine", HTML)
    location = target.format(port=server.port)
    url = redirect_to(server, "/to-private", location)
    with pytest.raises(UnsafeURL) as info:
        await fetch_once(fast_settings(allow_private_networks=False), url, user_supplied=True)
    assert (info.value.url, info.value.status, info.value.final_url) == (url, 302, location)
    assert server.hits_for("/fine") == []


async def test_the_address_connected_to_is_checked_not_the_name(server: LocalServer) -> None:
    server.page("/fine", HTML)
    location = f"http://news.example:{server.port}/fine"  # a name that resolves inward
    url = redirect_to(server, "/to-name", location)
    async with Fetcher(fast_settings(allow_private_networks=False),
                       resolver=loopback_resolver) as fetcher:
        with pytest.raises(UnsafeURL) as info:
            await fetcher.fetch(FetchRequest(url=url, user_supplied=True))
    assert "127.0.0.1" in str(info.value)
    assert info.value.final_url == location
    assert server.hits_for("/fine") == []


async def test_a_user_supplied_private_page_may_redirect_on_its_own_host(
        server: LocalServer) -> None:
    final = server.page("/fine", HTML)
    url = redirect_to(server, "/same-host", "/fine")
    result = await fetch_once(fast_settings(allow_private_networks=False), url,
                              user_supplied=True)
    assert result.final_url == final


async def test_a_private_url_from_config_is_refused_before_connecting(
        server: LocalServer) -> None:
    url = server.page("/fine", HTML)
    with pytest.raises(UnsafeURL) as info:
        await fetch_once(fast_settings(allow_private_networks=False), url)
    assert (info.value.url, info.value.status) == (url, None)
    assert server.hits == []


async def test_allowed_networks_open_the_guard(server: LocalServer) -> None:
    server.page("/fine", HTML)
    url = redirect_to(server, "/to-name", f"http://intranet.example:{server.port}/fine")
    settings = fast_settings(allow_private_networks=False, allowed_networks=("127.0.0.0/8",))
    async with Fetcher(settings, resolver=loopback_resolver) as fetcher:
        result = await fetcher.fetch(FetchRequest(url=url))
    assert result.final_url == f"http://intranet.example:{server.port}/fine"


async def test_allow_private_networks_opens_the_guard(server: LocalServer) -> None:
    final = server.page("/fine", HTML)
    url = redirect_to(server, "/to-ip", final)
    result = await fetch_once(fast_settings(allow_private_networks=True), url)
    assert result.status == 200


async def test_credentials_and_cookies_never_cross_to_another_origin(
        server: LocalServer, other_server: LocalServer) -> None:
    elsewhere = other_server.page("/landing", HTML)

    def set_cookie_and_redirect(handler: Handler) -> None:
        respond(handler, b"", status=302, headers=[
            ("Location", "/inside"), ("Set-Cookie", "session=s3cret; Path=/")])

    server.route("/start", set_cookie_and_redirect)
    redirect_to(server, "/inside", elsewhere)
    url = f"http://user:pw@127.0.0.1:{server.port}/start"
    result = await fetch_once(fast_settings(), url)
    assert result.final_url == elsewhere
    inside = server.hits_for("/inside")[0].headers
    assert inside.get("cookie") == "session=s3cret"
    assert inside.get("authorization", "").startswith("Basic ")
    landing = other_server.hits_for("/landing")[0].headers
    assert "cookie" not in landing
    assert "authorization" not in landing


async def test_no_cookie_jar_is_kept_between_fetches(server: LocalServer) -> None:
    server.page("/sets", HTML, headers={"Set-Cookie": "tracker=1; Path=/"})
    server.page("/next", HTML)
    async with Fetcher(fast_settings(), rng=random.Random(1)) as fetcher:
        await fetcher.fetch(FetchRequest(url=server.url("/sets")))
        await fetcher.fetch(FetchRequest(url=server.url("/next")))
    assert "cookie" not in server.hits_for("/next")[0].headers
