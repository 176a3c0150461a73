"""Misbehaving servers through the whole pipeline: fetch log, no bad version, the run goes on.

Each case archives the faulty URL and then a good page on another server in one
``archive_targets`` call (one worker, so strictly in that order) and checks:
what the fetch log records for the faulty URL; that no version was made from a
bad response (or the expected one was, with the right text); that the good page
after it was archived as new; and that the call returned in bounded time (and,
for the compression bombs, bounded memory). The faults themselves are the routes
of :mod:`tests.faultserver`.
"""

from __future__ import annotations

import codecs
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from newsarchiver.errors import NotFound
from newsarchiver.models import Outcome, Settings
from newsarchiver.pipeline import Target
from newsarchiver.pipeline.archiving import archive_targets_async
from newsarchiver.store import Archive
from newsarchiver.urls import normalize_url
from tests.faultserver import (
    FaultRoutes,
    brotli_bomb,
    fast_settings,
    gzip_bomb,
    http_date_in,
    status,
    zstd_bomb,
)
from tests.localserver import Handler, LocalServer, respond
from tests.test_fetch_encoding import FRENCH, JAPANESE, RUSSIAN

CAP = 1_000_000
BOUND = 30.0  # seconds for a whole call: generous, not a timing assertion
BOMB_PEAK = 4 * CAP + 6_000_000  # bytes traced while a 64 MB bomb goes through
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def article(text: str, head: str = "", title: str = "A story") -> str:
    """An article page: a headline and a few paragraphs of ``text``."""
    paragraphs = "".join(f"<p>{text}</p>" for _ in range(4))
    return (f"<!doctype html><html><head>{head}<title>{title}</title></head><body>"
            f"<article><h1>{title}</h1>{paragraphs}</article></body></html>")


GOOD = article("The council approved the new budget after a long debate on housing. " * 3,
               title="Good news")


def serve(body: bytes, content_type: str = "text/html; charset=utf-8",
          **headers: str) -> Callable[[Handler], None]:
    return lambda h: respond(h, body, content_type=content_type, headers=headers)


# --- the cases -----------------------------------------------------------------------------

Setup = Callable[[FaultRoutes], list[str]]


def route(path: str) -> Setup:
    """One of the fault server's own routes."""
    return lambda f: [f.url(path)]


def answers(path: str, *steps: Callable[[Handler], None]) -> Setup:
    """A route answering its n-th request with ``steps[n]`` (the last repeats)."""
    return lambda f: [f.sequence(path, *steps)]


def page(path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> Setup:
    return lambda f: [f.server.page(path, body, content_type=content_type)]


def redirect(location: str) -> Setup:
    return lambda f: [f.sequence("/away", status(302, location=location.format(
        port=f.server.port)))]


def robots(robots_answer: Callable[[Handler], None]) -> Setup:
    def setup(f: FaultRoutes) -> list[str]:
        f.server.route("/robots.txt", robots_answer)
        return [f.server.page("/private/story", article(FRENCH))]
    return setup


def idn(f: FaultRoutes) -> list[str]:
    f.server.page("/artikel", article(FRENCH))
    return [f"http://Bücher.Example:{f.server.port}/artikel"]


def tracking(f: FaultRoutes) -> list[str]:
    base = f.server.page("/story/42", article(FRENCH))
    return [base + q for q in ("?utm_source=x&utm_medium=y", "?fbclid=abc", "?gclid=z&_ga=1")]


async def loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


@dataclass(frozen=True)
class Case:
    setup: Setup
    outcome: Outcome
    error: str | None = None
    status: int | None = 200
    text: str | None = None  # archived cases: the stored body contains it
    final: str | None = None  # the final URL recorded, when not the URL itself
    settings: dict[str, Any] = field(default_factory=dict)
    user_supplied: bool = False
    bomb: Callable[[], bytes] | None = None  # measure memory; built before measuring
    times_seen: int = 1
    hits: int | None = None  # requests the server got for the URL (retries included)


def failed(path: str, error: str, status: int | None = 200, **settings: Any) -> Case:
    return Case(route(path), Outcome.FAILED, error, status, settings=settings)


def refused(location: str, final: str | None = None) -> Case:
    """A user-supplied loopback page redirecting to ``location`` (recorded as ``final``)."""
    return Case(redirect(location), Outcome.SKIPPED, "UnsafeURL", 302, final=final or location,
                settings={"allow_private_networks": False}, user_supplied=True)


def bomb(coding: str, build: Callable[[], bytes]) -> Case:
    return Case(route(f"/bomb/{coding}"), Outcome.FAILED, "ResponseTooLarge", bomb=build)


def retry_after(value: str | Callable[[], str]) -> Case:
    return Case(answers("/busy", status(429, retry_after=value)), Outcome.FAILED,
                "HTTPStatusError", 429, settings={"max_retries": 1, "max_retry_after": 0.5},
                hits=2)


def archived(setup: Setup, text: str, **settings: Any) -> Case:
    return Case(setup, Outcome.NEW, None, 200, text=text, settings=settings)


BOM_PAGE = codecs.BOM_UTF8 + article(FRENCH).encode()
CP1251_META = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'

CASES: dict[str, Case] = {
    "trickling body": failed("/trickle", "FetchTimeout", None, timeout=1.0),
    "never answers": failed("/stall", "FetchTimeout", None, timeout=1.0),
    "reset mid-body": failed("/reset", "TruncatedResponse"),
    "broken chunking": failed("/chunked-broken", "TruncatedResponse"),
    "truncated gzip": failed("/gzip-truncated", "TruncatedResponse"),
    "gzip bomb": bomb("gzip", gzip_bomb),
    "brotli bomb": bomb("br", brotli_bomb),
    "zstd bomb": bomb("zstd", zstd_bomb),
    "30 stacked gzip": failed("/stacked-30", "ContentEncodingError"),
    "Content-Length 1 TiB": failed("/huge", "ResponseTooLarge"),
    "redirect loop": Case(route("/loop/a"), Outcome.FAILED, "RedirectError", 302,
                          final="/loop/a", hits=1),
    "redirect to file:": refused("file:///etc/passwd", "file:/etc/passwd"),
    "redirect to loopback": refused("http://0x7f.2:{port}/story"),
    "redirect to private": refused("http://10.1.2.3/admin"),
    "429 Retry-After seconds": retry_after("1"),
    "429 Retry-After date": retry_after(lambda: http_date_in(3600)),
    "429 Retry-After garbage": retry_after("soon, maybe"),
    "503 then 200": archived(answers("/flaky", status(503, retry_after="0"),
                                     serve(article(FRENCH).encode())), FRENCH, max_retries=1),
    "500 three times": Case(answers("/broken", status(500)), Outcome.FAILED,
                            "HTTPStatusError", 500, settings={"max_retries": 2}, hits=3),
    "robots.txt 404": archived(robots(status(404)), FRENCH),
    "robots.txt 500": Case(robots(status(500)), Outcome.SKIPPED, "RobotsDisallowed", None),
    "robots.txt disallow": Case(robots(serve(b"User-agent: *\nDisallow: /private/\n",
                                             "text/plain")),
                                Outcome.SKIPPED, "RobotsDisallowed", None),
    "PDF": Case(route("/pdf"), Outcome.SKIPPED, "UnsupportedContentType"),
    "wrong header charset, right meta": archived(
        page("/latin", article(FRENCH, '<meta charset="utf-8">').encode(),
             "text/html; charset=ISO-8859-1"), FRENCH),
    "BOM against the header": archived(
        page("/bom", BOM_PAGE, "text/html; charset=windows-1252"), FRENCH),
    "windows-1251": archived(page("/ru", article(RUSSIAN, CP1251_META).encode("cp1251"),
                                  "text/html; charset=utf-8"), RUSSIAN),
    "Shift_JIS": archived(page("/ja", article(JAPANESE).encode("shift_jis"),
                               "text/html; charset=x-sjis"), JAPANESE),
    "IDN host": archived(idn, FRENCH),
    "three tracking URLs": Case(tracking, Outcome.UNCHANGED, text=FRENCH, times_seen=3),
}


# --- running a case ------------------------------------------------------------------------


def clock() -> datetime:
    return T0 + timedelta(seconds=time.monotonic() % 3600)


async def archive_case(case: Case, faults: FaultRoutes, good: LocalServer, db: str) -> None:
    urls = case.setup(faults)
    good_url = good.page("/good", GOOD)
    settings = Settings(fetch=fast_settings(concurrency=1, **case.settings))
    targets = [Target(u, user_supplied=case.user_supplied) for u in urls]
    targets.append(Target(good_url, user_supplied=True))
    if case.bomb is not None:
        case.bomb()
        tracemalloc.start()
    started = time.monotonic()
    try:
        with Archive.open(db) as archive:
            report = await archive_targets_async(targets, settings=settings, archive=archive,
                                                 clock=clock, resolver=loopback)
            elapsed = time.monotonic() - started
            if case.bomb is not None:
                _, peak = tracemalloc.get_traced_memory()
                assert peak < BOMB_PEAK, f"peak {peak} bytes for a 64 MB bomb"
            check(case, archive, normalize_url(urls[0]), faults.server.port)
            assert report.results[-1].outcome is Outcome.NEW  # the run went on
            assert archive.history(good_url)[0].title == "Good news"
            if case.hits is not None:
                path = urls[0].split(str(faults.server.port), 1)[1].split("?")[0]
                assert len(faults.server.hits_for(path)) == case.hits
    finally:
        if case.bomb is not None:
            tracemalloc.stop()
    assert elapsed < BOUND, f"took {elapsed:.1f} s"


def check(case: Case, archive: Archive, url: str, port: int) -> None:
    entry = archive.fetch_log(url)[0]
    assert (entry.url, entry.outcome, entry.status) == (url, case.outcome, case.status)
    assert entry.error_class == case.error
    assert (entry.error_message is None) == (case.error is None)
    final = case.final.format(port=port) if case.final else url
    if final.startswith("/"):
        final = url.rsplit("/", 2)[0] + final
    assert entry.final_url == final
    if case.text is None:
        assert entry.raw_sha256 is None and entry.version is None
        with pytest.raises(NotFound):
            archive.history(url)
        return
    versions = archive.history(url)
    assert len(versions) == 1
    assert case.text.strip() in versions[0].body
    assert versions[0].times_seen == case.times_seen
    assert entry.version == 1 and entry.raw_sha256 == versions[0].raw_sha256


@pytest.mark.parametrize("name", list(CASES))
async def test_a_fault_is_logged_stores_nothing_bad_and_the_run_goes_on(
        name: str, faults: FaultRoutes, other_server: LocalServer, sqlite_url: str) -> None:
    await archive_case(CASES[name], faults, other_server, sqlite_url)


@pytest.mark.parametrize("name", ["reset mid-body", "503 then 200"])
async def test_representative_faults_on_both_databases(
        name: str, faults: FaultRoutes, other_server: LocalServer, db_url: str) -> None:
    await archive_case(CASES[name], faults, other_server, db_url)


# --- conditional GET -----------------------------------------------------------------------


async def test_a_304_is_logged_not_modified_and_counts_as_a_sighting(
        server: LocalServer, sqlite_url: str) -> None:
    body = article(FRENCH).encode()

    def conditional(handler: Handler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            respond(handler, b"", status=304, headers={"ETag": '"v1"'})
        else:
            respond(handler, body, headers={"ETag": '"v1"'})

    url = server.route("/story", conditional)
    settings = Settings(fetch=fast_settings())
    with Archive.open(sqlite_url) as archive:
        for _ in range(2):
            await archive_targets_async([Target(url)], settings=settings, archive=archive,
                                        clock=clock)
        latest, first = archive.fetch_log(url)[:2]
        versions = archive.history(url)
    assert (first.outcome, first.etag) == (Outcome.NEW, '"v1"')
    assert (latest.outcome, latest.status, latest.error_class) == (
        Outcome.NOT_MODIFIED, 304, None)
    assert latest.raw_sha256 is None
    assert len(versions) == 1 and versions[0].times_seen == 2
    sent = [h.headers.get("if-none-match") for h in server.hits_for("/story")]
    assert sent == [None, '"v1"']
