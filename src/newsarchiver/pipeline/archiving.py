"""Archiving pages: fetch -> extract -> fingerprint -> store, one URL at a time.

Each URL fails alone: a :class:`~newsarchiver.errors.NewsArchiverError` from any
stage is recorded in the fetch log and the run goes on. Any other exception is a
bug and propagates. Each URL's result is written whole, in a transaction shared
with the others ready at the same time (:mod:`.writing`), so a run killed at any
point loses at most the URLs in flight, never half a save. Extraction runs off the
event loop (:mod:`.extraction`); a long list is split among processes
(:mod:`.sharding`); pages the archive has never seen are fetched without asking it
for conditional-GET validators.

The fetcher's per-host spacing is shared with every other process on the same
archive through :meth:`Archive.reserve_host` (see :func:`open_fetcher`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from newsarchiver.errors import (
    FetchError,
    FetchRefused,
    InvalidURL,
    NewsArchiverError,
    UnsupportedContentType,
)
from newsarchiver.extract import extract
from newsarchiver.fetch import Fetcher, Resolver, SharedHostGate, read_local
from newsarchiver.models import (
    Article,
    Claim,
    Fetch,
    FetchRequest,
    FetchResult,
    Observation,
    Outcome,
    RunReport,
    Settings,
    SiteRules,
    Snapshot,
    Source,
    UrlReport,
)
from newsarchiver.pipeline.extraction import Extracted, Extractor, extractor_for
from newsarchiver.pipeline.writing import GroupWriter
from newsarchiver.schedule import plan_recheck
from newsarchiver.store import Archive
from newsarchiver.urls import normalize_url

log = logging.getLogger("newsarchiver.pipeline")

Clock = Callable[[], datetime]
Progress = Callable[[UrlReport], None]


@dataclass(frozen=True, slots=True)
class Target:
    """One page to archive."""

    #: The page's address. For a saved page it names the original address; when it
    #: is None the page's own canonical URL is used.
    url: str | None
    source: Source | None = None
    #: Named on the command line: may reach private addresses (not its redirects).
    user_supplied: bool = False
    #: A saved page named on the command line.
    local_path: Path | None = None
    #: The lease under which a due article is re-checked; released when done.
    claim: Claim | None = None

    @property
    def rules(self) -> SiteRules | None:
        return self.source.rules if self.source else None

    @property
    def label(self) -> str:
        return self.url or (self.local_path.as_uri() if self.local_path else "")


def _same_site(a: str, b: str) -> bool:
    def site(u: str) -> str:
        host = (urlsplit(u).hostname or "").lower()
        for prefix in ("www.", "m.", "amp.", "mobile."):
            host = host.removeprefix(prefix)
        return host

    return site(a) == site(b)


def _aliases(requested: str, result: FetchResult, canonical: str | None,
             tracking: Sequence[str]) -> tuple[str, list[str]]:
    """The article's identity URL and every URL it was reached by.

    A canonical URL on another site is not trusted as identity (a page cannot
    claim to be another site's article), but the final URL after redirects is.
    """
    urls = [requested]
    try:
        final = (requested if result.final_url == requested
                 else normalize_url(result.final_url, tracking_params=tracking))
        urls.append(final)
    except NewsArchiverError:
        final = requested
    identity = final
    if canonical:
        try:
            canon = normalize_url(canonical, tracking_params=tracking)
        except NewsArchiverError:
            canon = None
        if canon and _same_site(canon, final):
            identity = canon
            urls.append(canon)
    return identity, list(dict.fromkeys(urls))


def store_host_gate(archive: Archive, clock: Clock) -> SharedHostGate:
    """A host gate backed by the archive's host reservations.

    Each request to a host reserves the next start time in the database, so
    requests from every worker process sharing the archive stay ``delay`` apart.
    """

    async def gate(host: str, delay: float) -> None:
        start = await asyncio.to_thread(
            archive.reserve_host, host, now=clock(), delay=timedelta(seconds=delay))
        wait = (start - clock()).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)

    return gate


def open_fetcher(settings: Settings, archive: Archive, clock: Clock, *,
                 resolver: Resolver | None = None) -> Fetcher:
    """The fetcher of a run on ``archive``, its host spacing shared through the archive."""
    return Fetcher(settings.fetch, resolver=resolver,
                   host_gate=store_host_gate(archive, clock))


class _Run:
    """State of one pass: the fetcher, the archive, the clock and who is working."""

    def __init__(self, settings: Settings, archive: Archive, fetcher: Fetcher,
                 clock: Clock, worker: str = "cli", *, extractor: Extractor | None = None,
                 unseen: frozenset[str] = frozenset()) -> None:
        self.settings = settings
        self.archive = archive
        self.fetcher = fetcher
        self.clock = clock
        self.worker = worker
        self.tracking = settings.fetch.tracking_params
        self.extractor = extractor if extractor is not None else Extractor()
        #: The run made its extractor itself: :meth:`finish` closes it.
        self._owns_extractor = extractor is None
        #: URLs no article had when the run started: fetched without a conditional GET.
        self.unseen = unseen
        #: Targets being fetched, extracted or stored.
        self.in_flight = 0
        self.writer = GroupWriter(archive, in_flight=lambda: self.in_flight)

    async def finish(self) -> None:
        """Wait for every write of the run to reach the archive; release the extractor."""
        await self.writer.close()
        if self._owns_extractor:
            self.extractor.close()

    def reschedule(self, claim: Claim, outcome: Outcome, checked_at: datetime) -> None:
        """Release a claimed article with its next check from the lifetime policy."""
        changed = outcome in (Outcome.NEW, Outcome.CHANGED)
        last_changed = (checked_at if changed else
                        claim.last_changed_at or claim.first_seen_at or checked_at)
        source = next((s for s in self.settings.sources if s.name == claim.source), None)
        policy = source.recheck if source else self.settings.recheck
        plan = plan_recheck(last_changed, checked_at, policy)
        self.archive.release(
            claim.article_id, worker=self.worker,
            interval=plan.interval if plan else None,
            next_check_at=plan.due_at if plan else None,
        )

    async def _get(self, target: Target, url: str | None) -> FetchResult:
        if target.local_path is not None:
            return await asyncio.to_thread(read_local, target.local_path, url)
        assert url is not None
        etag, last_modified = (
            (None, None) if url in self.unseen
            else await asyncio.to_thread(self.archive.conditional_headers, url))
        request = FetchRequest(
            url=url, etag=etag, last_modified=last_modified,
            user_supplied=target.user_supplied,
            obey_robots=target.source.obey_robots if target.source else True,
        )
        return await self.fetcher.fetch(request)

    def _identity(self, target: Target, url: str | None, result: FetchResult,
                  canonical: str | None) -> tuple[str, list[str]]:
        if url is None:  # a saved page with no --url: its canonical URL names it
            if not canonical:
                raise InvalidURL(
                    "the saved page names no canonical URL; give its original address "
                    "with --url", url=target.label)
            url = normalize_url(canonical, tracking_params=self.tracking)
            return url, [url]
        if target.local_path is not None:
            result = replace(result, final_url=url)
        return _aliases(url, result, canonical, self.tracking)

    async def one(self, target: Target) -> UrlReport:
        self.in_flight += 1
        try:
            report = await self._one(target)
        finally:
            self.in_flight -= 1
        if target.claim is not None:
            self.reschedule(target.claim, report.outcome, self.clock())
        return report

    async def _one(self, target: Target) -> UrlReport:
        started = self.clock()
        t0 = time.monotonic()
        source = target.source.name if target.source else None
        entry = Fetch(url=target.label, fetched_at=started, outcome=Outcome.FAILED)

        def elapsed() -> int:
            return int((time.monotonic() - t0) * 1000)

        try:
            url = (normalize_url(target.url, tracking_params=self.tracking)
                   if target.url is not None else None)
            entry = replace(entry, url=url or target.label)
            result = await self._get(target, url)
            entry = replace(
                entry, status=result.status, final_url=result.final_url, etag=result.etag,
                last_modified=result.last_modified,
            )
            if result.not_modified:
                entry = replace(entry, outcome=Outcome.NOT_MODIFIED, duration_ms=elapsed())
                await self.writer.write(Observation(entry, source=source))
                return UrlReport(entry.url, Outcome.NOT_MODIFIED)
            # Extraction (in a worker process or thread) and the write (in the writer's
            # thread) never hold up the event loop: other fetches go on meanwhile.
            page = await self.extractor.extract(result, url or result.final_url, target.rules)
            observation = self._observe(target, url, result, entry, page, elapsed())
            saved = await self.writer.write(observation)
            assert saved is not None
            for note in page.article.notes:
                log.warning("%s: %s", observation.fetch.url, note)
            return UrlReport(observation.fetch.url, saved.outcome, version=saved.version)
        except NewsArchiverError as exc:
            outcome = (Outcome.SKIPPED if isinstance(exc, FetchRefused | UnsupportedContentType)
                       else Outcome.FAILED)
            status = exc.status if isinstance(exc, FetchError) else entry.status
            final = exc.final_url if isinstance(exc, FetchError) else entry.final_url
            entry = replace(
                entry, outcome=outcome, status=status, final_url=final, duration_ms=elapsed(),
                error_class=type(exc).__name__, error_message=exc.message,
            )
            await self.writer.write(Observation(entry, source=source))
            return UrlReport(entry.url, outcome, error_class=entry.error_class,
                             error_message=entry.error_message)

    def _observe(self, target: Target, url: str | None, result: FetchResult, entry: Fetch,
                 page: Extracted, duration_ms: int) -> Observation:
        """The snapshot of an extracted page, with its fetch-log entry and aliases."""
        article = page.article
        identity, aliases = self._identity(target, url, result, article.canonical_url)
        snapshot = Snapshot(
            url=identity, article=article, content_hash=page.content_hash,
            seen_at=entry.fetched_at, raw=page.raw,
            source=target.source.name if target.source else None, words=page.words,
        )
        entry = replace(entry, url=url or identity, raw_sha256=page.raw.sha256,
                        duration_ms=duration_ms, notes=article.notes, outcome=Outcome.NEW)
        return Observation(entry, snapshot, tuple(aliases))


#: After a stop request, in-flight fetches get this long to finish before they are
#: abandoned (cancelled between stages, so nothing half-written reaches the archive).
STOP_GRACE_SECONDS = 5.0


async def process(run: _Run, targets: Iterable[Target], *, progress: Progress | None = None,
                  stop: threading.Event | None = None) -> list[UrlReport]:
    """Archive targets with ``concurrency`` workers; each target is taken once.

    When ``stop`` is set no new target is started; those in flight finish, or are
    cancelled after :data:`STOP_GRACE_SECONDS`.
    """
    results: list[UrlReport] = []
    pending = iter(targets)

    async def worker() -> None:
        for target in pending:  # shared iterator: each target taken once
            if stop is not None and stop.is_set():
                return
            report = await run.one(target)
            results.append(report)
            _log_result(report)
            if progress:
                progress(report)

    tasks = [asyncio.create_task(worker()) for _ in range(run.settings.fetch.concurrency)]
    if stop is None:
        await asyncio.gather(*tasks)
        return results

    async def watch() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await asyncio.sleep(STOP_GRACE_SECONDS)
        for t in tasks:
            t.cancel()

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.gather(*tasks, return_exceptions=False)
    except asyncio.CancelledError:
        log.warning("stopped: abandoned fetches still in flight after %.0f s",
                    STOP_GRACE_SECONDS)
    finally:
        watcher.cancel()
    return results


async def archive_targets_async(
    targets: Sequence[Target], *, settings: Settings, archive: Archive, clock: Clock,
    progress: Progress | None = None, stop: threading.Event | None = None,
    resolver: Resolver | None = None, extractor: Extractor | None = None,
) -> RunReport:
    """Archive every target; see :func:`archive_targets`.

    ``resolver`` replaces the fetcher's name lookup (the SSRF guard still applies);
    ``extractor`` replaces the one chosen for the run's size.
    """
    started = clock()
    unique = unique_targets(targets)
    unseen = await asyncio.to_thread(_unseen, archive, unique, settings.fetch.tracking_params)
    with extractor or extractor_for(len(unique)) as extractor:
        async with open_fetcher(settings, archive, clock, resolver=resolver) as fetcher:
            run = _Run(settings, archive, fetcher, clock, extractor=extractor, unseen=unseen)
            try:
                results = await process(run, unique, progress=progress, stop=stop)
            finally:
                await run.finish()
    return RunReport(started_at=started, finished_at=clock(), results=tuple(results))


def _unseen(archive: Archive, targets: Iterable[Target],
            tracking: Sequence[str]) -> frozenset[str]:
    """The targets' (normalized) URLs that lead to no article yet, in one batched lookup."""
    urls = set()
    for target in targets:
        if target.url is not None and target.local_path is None:
            try:
                urls.add(normalize_url(target.url, tracking_params=tracking))
            except NewsArchiverError:
                continue  # reported when the target's turn comes
    return frozenset(urls - archive.known_urls(urls))


def unique_targets(targets: Iterable[Target]) -> list[Target]:
    """The targets, each page once (the same URL twice: once)."""
    return list({t.label: t for t in targets}.values())


def _log_result(r: UrlReport) -> None:
    if r.outcome in (Outcome.FAILED, Outcome.SKIPPED):
        log.warning("%s %s: %s: %s", r.outcome.value, r.url, r.error_class, r.error_message)
    else:
        suffix = f" (version {r.version})" if r.version else ""
        log.info("%s %s%s", r.outcome.value, r.url, suffix)


def extract_target(target: Target, settings: Settings) -> tuple[FetchResult, Article]:
    """Fetch (or read) one page and extract it, storing nothing."""

    async def go() -> FetchResult:
        if target.local_path is not None:
            return await asyncio.to_thread(read_local, target.local_path, target.url)
        assert target.url is not None
        url = normalize_url(target.url, tracking_params=settings.fetch.tracking_params)
        async with Fetcher(settings.fetch) as fetcher:
            return await fetcher.fetch(FetchRequest(url=url, user_supplied=target.user_supplied))

    result = asyncio.run(go())
    article = extract(result.text or "", url=target.url or result.final_url, rules=target.rules)
    return result, article
