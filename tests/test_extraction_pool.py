"""Extraction in worker processes: same results, typed errors, a dead worker fails its page."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from newsarchiver.errors import ExtractionError, NoArticle
from newsarchiver.models import FetchResult, FetchSettings, Outcome, Settings, SiteRules
from newsarchiver.pipeline import Target, archive_targets
from newsarchiver.pipeline.extraction import (
    POOL_MIN_PAGES,
    PoolExtractor,
    WorkerReply,
    extract_page,
)
from newsarchiver.store import Archive
from tests.localserver import LocalServer

PAGE = ("<html><head><title>Pool story</title></head><body><article><h1>Pool story</h1>"
        + "".join(f"<p>Paragraph {i} of a story that is long enough to be an article, "
                  "with words and more words in it.</p>" for i in range(8))
        + "</article></body></html>")


def fetched(html: str, url: str) -> FetchResult:
    return FetchResult(url=url, final_url=url, status=200, content_type="text/html",
                       body=html.encode(), text=html, encoding="utf-8")


def die(page: FetchResult, url: str, rules: SiteRules | None) -> WorkerReply:
    """A worker that dies on a page that says so (as a crash in a parser would)."""
    if "die" in (page.text or ""):
        os._exit(1)
    return extract_page(page, url, rules)


@pytest.fixture(scope="module")
def pool() -> Iterator[PoolExtractor]:
    with PoolExtractor(1, work=die) as extractor:
        yield extractor


def test_same_article_and_hash_as_in_process(pool: PoolExtractor) -> None:
    url = "https://news.example/pool"
    page = fetched(PAGE, url)
    assert asyncio.run(pool.extract(page, url, None)) == extract_page(page, url, None)


def test_project_errors_cross_the_process_boundary(pool: PoolExtractor) -> None:
    with pytest.raises(NoArticle) as err:
        url = "https://news.example/empty"
        asyncio.run(pool.extract(fetched("<html><body><p>Hi</p></body></html>", url), url,
                                 None))
    assert err.value.url == "https://news.example/empty"
    assert err.value.reason and str(err.value).startswith("no article: ")


def test_a_dead_worker_fails_its_page_and_the_pool_goes_on(pool: PoolExtractor) -> None:
    with pytest.raises(ExtractionError, match="worker process died") as err:
        url = "https://news.example/die"
        asyncio.run(pool.extract(fetched("<p>die</p>", url), url, None))
    assert err.value.url == "https://news.example/die"
    url = "https://news.example/after"
    assert asyncio.run(pool.extract(fetched(PAGE, url), url, None)).article.title == "Pool story"


def test_a_run_of_many_pages_extracts_in_workers(server: LocalServer, sqlite_url: str) -> None:
    urls = [server.page(f"/news/{i}", PAGE.replace("Pool story", f"Story {i}"))
            for i in range(POOL_MIN_PAGES)]
    settings = Settings(fetch=FetchSettings(
        per_host_delay=0, obey_robots=False, allow_private_networks=True, max_retries=0))
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    with Archive.open(sqlite_url) as archive:
        assert archive.known_urls(urls) == set()
        first = archive_targets([Target(u) for u in urls], settings=settings, archive=archive,
                                clock=lambda: t0)
        assert first.count(Outcome.NEW) == len(urls)
        assert archive.known_urls([*urls, server.url("/other")]) == set(urls)
        again = archive_targets([Target(u) for u in urls], settings=settings, archive=archive,
                                clock=lambda: t0 + timedelta(hours=1))
        assert again.count(Outcome.UNCHANGED) == len(urls)
        assert archive.version(urls[3]).title == "Story 3"
        assert archive.version(urls[3]).times_seen == 2
