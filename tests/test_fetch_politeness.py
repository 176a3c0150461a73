"""Politeness: robots.txt, retries and Retry-After, per-host limits, conditional GET."""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import pytest

from newsarchiver.errors import HTTPStatusError, RobotsDisallowed
from newsarchiver.fetch import Fetcher, RobotsCache, RobotsRules
from newsarchiver.fetch.politeness import parse_retry_after
from newsarchiver.models import FetchRequest
from tests.faultserver import (
    HTML,
    FaultRoutes,
    fast_settings,
    fetch_once,
    http_date_in,
    status,
)
from tests.localserver import Handler, LocalServer, respond


def timed_page(server: LocalServer, path: str) -> tuple[str, list[float]]:
    """A page that records the monotonic time of each request's arrival."""
    times: list[float] = []

    def route(handler: Handler) -> None:
        times.append(time.monotonic())
        respond(handler, HTML)

    return server.route(path, route), times


# --- robots.txt --------------------------------------------------------------------------


async def test_robots_404_allows_everything(server: LocalServer) -> None:
    url = server.page("/article", HTML)
    assert (await fetch_once(fast_settings(), url)).status == 200
    assert [h.path for h in server.hits] == ["/robots.txt", "/article"]


async def test_robots_500_disallows_everything(server: LocalServer) -> None:
    server.page("/robots.txt", "oops", status=500, content_type="text/plain")
    url = server.page("/article", HTML)
    with pytest.raises(RobotsDisallowed) as info:
        await fetch_once(fast_settings(max_retries=2), url)
    assert (info.value.url, info.value.status) == (url, None)
    assert "HTTP 500" in str(info.value)
    assert server.hits_for("/article") == []


async def test_robots_unreachable_disallows_everything(faults: FaultRoutes) -> None:
    faults.server.route("/robots.txt", faults.stall)
    url = faults.server.page("/article", HTML)
    with pytest.raises(RobotsDisallowed):
        await fetch_once(fast_settings(timeout=0.5), url)
    assert faults.server.hits_for("/article") == []


async def test_robots_disallow_is_obeyed_and_cached(server: LocalServer) -> None:
    server.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    allowed = server.page("/public/a", HTML)
    denied = server.page("/private/b", HTML)
    async with Fetcher(fast_settings()) as fetcher:
        assert (await fetcher.fetch(FetchRequest(url=allowed))).status == 200
        with pytest.raises(RobotsDisallowed) as info:
            await fetcher.fetch(FetchRequest(url=denied))
    assert info.value.url == denied
    assert server.hits_for("/private/b") == []
    assert len(server.hits_for("/robots.txt")) == 1


async def test_a_large_robots_file_is_read_to_half_a_mebibyte(server: LocalServer) -> None:
    filler = "# " + "x" * 97 + "\n"
    body = "User-agent: *\n" + filler * 5000 + "Disallow: /deep/\n"  # ~500 KB before the rule
    assert len(body) > 500_000
    server.page("/robots.txt", body, content_type="text/plain")
    url = server.page("/deep/a", HTML)
    with pytest.raises(RobotsDisallowed):
        await fetch_once(fast_settings(max_bytes=100_000), url)


async def test_a_source_may_switch_robots_off_and_it_is_logged_once(
        server: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    server.page("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    url = server.page("/a", HTML)
    with caplog.at_level("WARNING", logger="newsarchiver.fetch"):
        async with Fetcher(fast_settings()) as fetcher:
            for _ in range(3):
                await fetcher.fetch(FetchRequest(url=url, obey_robots=False))
    assert server.hits_for("/robots.txt") == []
    assert caplog.text.count("robots.txt not obeyed") == 1


async def test_crawl_delay_spaces_requests(server: LocalServer) -> None:
    server.page("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    url, times = timed_page(server, "/a")
    async with Fetcher(fast_settings(max_retry_after=5)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(FetchRequest(url=url)) for _ in range(3)))
    assert len(times) == 3
    assert all(b - a >= 0.35 for a, b in itertools.pairwise(times))


async def test_the_robots_cache_keeps_rules_for_a_day_on_its_clock() -> None:
    now = [1000.0]
    cache = RobotsCache(clock=lambda: now[0])
    loads: list[int] = []

    async def load() -> RobotsRules:
        loads.append(1)
        return RobotsRules.parse("User-agent: *\nDisallow: /x\n")

    await cache.rules("https://example.com", load)
    now[0] += 23 * 3600
    await cache.rules("https://example.com", load)
    assert len(loads) == 1
    now[0] += 2 * 3600
    rules = await cache.rules("https://example.com", load)
    assert len(loads) == 2
    assert not rules.allows("https://example.com/x/1", "newsarchiver")


# --- retries and Retry-After ------------------------------------------------------------


async def test_429_with_retry_after_seconds_is_honoured(faults: FaultRoutes) -> None:
    url = faults.sequence("/busy", status(429, retry_after="1"), status(200))
    started = time.monotonic()
    result = await fetch_once(fast_settings(max_retries=2, max_retry_after=5), url)
    assert result.status == 200
    assert time.monotonic() - started >= 0.9
    assert len(faults.server.hits_for("/busy")) == 2


async def test_429_with_retry_after_as_a_date_is_honoured(faults: FaultRoutes) -> None:
    url = faults.sequence("/busy", status(429, retry_after=lambda: http_date_in(2)), status(200))
    started = time.monotonic()
    result = await fetch_once(fast_settings(max_retries=1, max_retry_after=5), url)
    assert result.status == 200
    assert 0.9 <= time.monotonic() - started < 10


async def test_retry_after_is_clamped(faults: FaultRoutes) -> None:
    url = faults.sequence("/busy", status(503, retry_after="86400"), status(200))
    started = time.monotonic()
    assert (await fetch_once(fast_settings(max_retries=1, max_retry_after=0.2), url)).status == 200
    assert time.monotonic() - started < 5


async def test_garbage_retry_after_falls_back_to_normal_backoff(faults: FaultRoutes) -> None:
    url = faults.sequence("/busy", status(429, retry_after="soon-ish"), status(200))
    assert (await fetch_once(fast_settings(max_retries=1), url)).status == 200


async def test_503_then_200_succeeds(faults: FaultRoutes) -> None:
    url = faults.sequence("/flaky", status(503), status(200))
    result = await fetch_once(fast_settings(max_retries=2), url)
    assert result.status == 200
    assert len(faults.server.hits_for("/flaky")) == 2


async def test_500_three_times_is_three_attempts_then_an_error(faults: FaultRoutes) -> None:
    url = faults.sequence("/broken", status(500))
    with pytest.raises(HTTPStatusError) as info:
        await fetch_once(fast_settings(max_retries=2), url)
    assert (info.value.url, info.value.status, info.value.final_url) == (url, 500, url)
    assert len(faults.server.hits_for("/broken")) == 3


@pytest.mark.parametrize("code", [400, 403, 404, 410, 501])
async def test_other_statuses_are_not_retried(faults: FaultRoutes, code: int) -> None:
    url = faults.sequence("/nope", status(code))
    with pytest.raises(HTTPStatusError) as info:
        await fetch_once(fast_settings(max_retries=2), url)
    assert info.value.status == code
    assert len(faults.server.hits_for("/nope")) == 1


async def test_a_429_pauses_only_its_host(faults: FaultRoutes) -> None:
    other = LocalServer().start()
    try:
        elsewhere = other.page("/x", HTML)
        busy = faults.sequence("/busy", status(429, retry_after="2"), status(200))
        async with Fetcher(fast_settings(max_retries=1, max_retry_after=5)) as fetcher:
            slow = asyncio.create_task(fetcher.fetch(FetchRequest(url=busy)))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            await fetcher.fetch(FetchRequest(url=elsewhere))
            assert time.monotonic() - started < 1.0
            assert (await slow).status == 200
    finally:
        other.stop()


def test_retry_after_parsing() -> None:
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert parse_retry_after("120", date) == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", date) == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:20:00 GMT", date) == 0
    assert parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", None) is None
    for garbage in ("soon", "-5", "1.5e3", "", None, "Wed, 99 Foo 2015"):
        assert parse_retry_after(garbage, date) is None


# --- per-host limits ------------------------------------------------------------------------


async def test_per_host_concurrency_and_delay_are_honoured(faults: FaultRoutes) -> None:
    settings = fast_settings(per_host_concurrency=2, per_host_delay=0.2)
    async with Fetcher(settings, rng=random.Random(3)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(FetchRequest(url=faults.url(f"/slow?{i}")))
                               for i in range(6)))
    arrivals = sorted(faults.arrivals, key=lambda a: a.at)
    assert len(arrivals) == 6
    assert max(a.in_flight for a in arrivals) <= 2
    gaps = [b.at - a.at for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.2 * 0.5 - 0.02  # jitter never goes below half the delay


async def test_hosts_do_not_wait_for_each_other(faults: FaultRoutes) -> None:
    other = LocalServer().start()
    try:
        elsewhere = other.page("/x", HTML)
        settings = fast_settings(per_host_concurrency=1, per_host_delay=1.0)
        async with Fetcher(settings) as fetcher:
            started = time.monotonic()
            await asyncio.gather(fetcher.fetch(FetchRequest(url=faults.url("/slow"))),
                                 fetcher.fetch(FetchRequest(url=elsewhere)))
            assert time.monotonic() - started < 2.0
    finally:
        other.stop()


# --- conditional GET ---------------------------------------------------------------------


async def test_conditional_get_sends_validators_and_a_304_costs_no_body(
        server: LocalServer) -> None:
    def route(handler: Handler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            respond(handler, b"", status=304, headers={"ETag": '"v1"'})
        else:
            respond(handler, HTML, headers={"ETag": '"v1"',
                                            "Last-Modified": "Tue, 01 Oct 2024 10:00:00 GMT"})

    url = server.route("/cond", route)
    first = await fetch_once(fast_settings(), url)
    assert (first.status, first.etag, first.last_modified) == (
        200, '"v1"', "Tue, 01 Oct 2024 10:00:00 GMT")
    again = await fetch_once(fast_settings(), url, etag=first.etag,
                             last_modified=first.last_modified)
    assert again.status == 304 and again.not_modified
    assert (again.body, again.text) == (b"", None)
    assert again.etag == '"v1"'
    sent = server.hits_for("/cond")[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Tue, 01 Oct 2024 10:00:00 GMT"


async def test_the_user_agent_is_honest(server: LocalServer) -> None:
    url = server.page("/ua", HTML)
    await fetch_once(fast_settings(), url)
    agent = server.hits_for("/ua")[0].headers["user-agent"]
    assert agent.startswith("newsarchiver/") and "https://" in agent
