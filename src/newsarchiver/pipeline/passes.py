"""A pass: discover new articles, then re-check what is due, under leases.

Used by ``newsarchiver run`` (one pass, for cron) and by the daemon (discovery on
each source's schedule, re-checks on a tick). Several processes may run passes on
one database: discovery of a source and every due article are claimed by one
worker at a time, and a worker that dies loses nothing: its leases expire and
another worker takes the articles.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsarchiver.discover import parse_feed, parse_sitemap, select_links
from newsarchiver.errors import NewsArchiverError
from newsarchiver.extract import find_links
from newsarchiver.fetch import Fetcher
from newsarchiver.models import (
    DiscoveredLink,
    Fetch,
    FetchRequest,
    Outcome,
    RunReport,
    SectionPage,
    Settings,
    Source,
    UrlReport,
)
from newsarchiver.pipeline.archiving import (
    Clock,
    Progress,
    Target,
    _Run,
    open_fetcher,
    process,
)
from newsarchiver.store import Archive

log = logging.getLogger("newsarchiver.pipeline")

#: Child sitemaps followed from one sitemap index, at most.
MAX_CHILD_SITEMAPS = 50


@dataclass(frozen=True, slots=True)
class PassOptions:
    """Who runs the pass and how much it may do."""

    worker: str
    #: Due articles fetched in one pass, at most (most overdue first).
    budget: int = 1000
    #: How long a claimed article or source stays leased to this worker.
    lease: timedelta = timedelta(minutes=10)
    #: Only these sources (all when empty).
    sources: tuple[str, ...] = ()
    discover: bool = True
    recheck: bool = True
    #: Claims taken from the database at a time.
    batch: int = 50


def _selected(settings: Settings, names: Sequence[str]) -> list[Source]:
    return [s for s in settings.sources if not names or s.name in names]


class _Discovery:
    """Finds article links for one source and tracks them in the archive."""

    def __init__(self, run: _Run, source: Source) -> None:
        self.run = run
        self.source = source

    async def _get(self, url: str) -> bytes | None:
        """Fetch a listing; a failure is logged in the fetch log and yields None."""
        started = self.run.clock()
        t0 = time.monotonic()
        try:
            result = await self.run.fetcher.fetch(FetchRequest(
                url=url, kind="feed", obey_robots=self.source.obey_robots))
            return result.body
        except NewsArchiverError as exc:
            self._log_failure(url, started, t0, exc)
            return None

    def _log_failure(self, url: str, started: datetime, t0: float,
                     exc: NewsArchiverError) -> None:
        status = getattr(exc, "status", None)
        self.run.archive.log_fetch(Fetch(
            url=url, fetched_at=started, outcome=Outcome.FAILED, status=status,
            duration_ms=int((time.monotonic() - t0) * 1000),
            error_class=type(exc).__name__, error_message=exc.message,
        ), source=self.source.name)
        log.warning("discovery %s: %s: %s", url, type(exc).__name__, exc.message)

    async def _parse(self, url: str,
                     parse: Callable[[bytes, str], Iterable[DiscoveredLink]]
                     ) -> list[DiscoveredLink]:
        started, t0 = self.run.clock(), time.monotonic()
        body = await self._get(url)
        if body is None:
            return []
        try:
            return list(parse(body, url))
        except NewsArchiverError as exc:
            self._log_failure(url, started, t0, exc)
            return []

    async def _sitemap(self, url: str) -> list[DiscoveredLink]:
        started, t0 = self.run.clock(), time.monotonic()
        body = await self._get(url)
        if body is None:
            return []
        try:
            page = parse_sitemap(body, url)
        except NewsArchiverError as exc:
            self._log_failure(url, started, t0, exc)
            return []
        links = list(page.links)
        for child in page.sitemaps[:MAX_CHILD_SITEMAPS]:  # an index: one level down
            child_body = await self._get(child)
            if child_body is None:
                continue
            try:
                links.extend(parse_sitemap(child_body, child).links)
            except NewsArchiverError as exc:
                self._log_failure(child, started, t0, exc)
        return links

    async def _section(self, section: SectionPage) -> list[DiscoveredLink]:
        def parse(body: bytes, url: str) -> list[DiscoveredLink]:
            html = body.decode("utf-8", errors="replace")
            return [DiscoveredLink(u) for u in
                    find_links(html, url, section.links, section.pattern)]

        return await self._parse(section.url, parse)

    async def links(self) -> tuple[DiscoveredLink, ...]:
        found: list[DiscoveredLink] = [DiscoveredLink(u) for u in self.source.articles]
        for feed in self.source.feeds:
            found += await self._parse(feed, parse_feed)
        for sitemap in self.source.sitemaps:
            found += await self._sitemap(sitemap)
        for section in self.source.sections:
            found += await self._section(section)
        return select_links(
            found, include=self.source.include, exclude=self.source.exclude,
            tracking_params=self.run.tracking,
        )


async def discover_source(run: _Run, source: Source, options: PassOptions) -> int | None:
    """Discover one source's articles; None when another worker holds its lease."""
    archive = run.archive
    if not archive.claim_source(source.name, worker=options.worker, now=run.clock(),
                                lease=options.lease):
        log.info("discovery of %s is running elsewhere; skipped", source.name)
        return None
    try:
        if not source.obey_robots:
            log.warning("robots.txt is switched off for source %s", source.name)
        links = await _Discovery(run, source).links()
        new = archive.track(links, source=source.name, now=run.clock())
        log.info("discovered %s: %d links, %d new", source.name, len(links), new)
        return new
    finally:
        archive.finish_source(source.name, worker=options.worker, now=run.clock())


async def recheck_due(run: _Run, options: PassOptions, *, progress: Progress | None = None,
                      stop: threading.Event | None = None) -> list[UrlReport]:
    """Claim due articles batch by batch and archive them, within the budget."""
    by_name = {s.name: s for s in run.settings.sources}
    names = tuple(s.name for s in _selected(run.settings, options.sources))
    results: list[UrlReport] = []
    while len(results) < options.budget and not (stop and stop.is_set()):
        claims = run.archive.claim_due(
            worker=options.worker, now=run.clock(), lease=options.lease,
            limit=min(options.batch, options.budget - len(results)),
            sources=names if options.sources else None,
        )
        if not claims:
            break
        targets = [Target(c.url, source=by_name.get(c.source or ""), claim=c) for c in claims]
        results += await process(run, targets, progress=progress, stop=stop)
    return results


async def run_pass_async(settings: Settings, archive: Archive, clock: Clock,
                         options: PassOptions, *, progress: Progress | None = None,
                         stop: threading.Event | None = None,
                         fetcher: Fetcher | None = None) -> RunReport:
    """Discover every selected source, then re-check what is due."""
    started = clock()

    async def go(f: Fetcher) -> list[UrlReport]:
        run = _Run(settings, archive, f, clock, worker=options.worker)
        try:
            if options.discover:
                for source in _selected(settings, options.sources):
                    if stop and stop.is_set():
                        break
                    await discover_source(run, source, options)
            if not options.recheck:
                return []
            return await recheck_due(run, options, progress=progress, stop=stop)
        finally:
            await run.finish()

    if fetcher is not None:
        results = await go(fetcher)
    else:
        async with open_fetcher(settings, archive, clock) as f:
            results = await go(f)
    return RunReport(started_at=started, finished_at=clock(), results=tuple(results))


def run_pass(settings: Settings, archive: Archive, clock: Clock, options: PassOptions, *,
             progress: Progress | None = None,
             stop: threading.Event | None = None) -> RunReport:
    """One safe, idempotent pass (``newsarchiver run``)."""
    return asyncio.run(run_pass_async(settings, archive, clock, options,
                                      progress=progress, stop=stop))
