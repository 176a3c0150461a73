"""Extraction off the event loop: in worker processes for large runs, a thread for small.

Extraction is pure CPU (HTML, URL and site rules in; a frozen
:class:`~newsarchiver.models.Article` out), so in a run of many pages it goes to
a process pool, where it overlaps fetching and storing in the main process
instead of contending with them for the interpreter lock. A small run (and
``newsarchiver extract``) extracts in a thread: starting workers would cost more
than it saves.

The pool uses the ``forkserver`` start method (forking a process that runs
threads is unsafe). A worker that dies (a crash, the OOM killer) breaks the pool:
the pages in flight are retried once on a fresh pool, and a page that breaks that
one too fails alone with :class:`~newsarchiver.errors.ExtractionError`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from newsarchiver.diff import fingerprint
from newsarchiver.errors import ExtractionError, NewsArchiverError
from newsarchiver.extract import extract
from newsarchiver.models import Article, FetchResult, RawPage, SiteRules

#: Runs with fewer pages than this extract in a thread of the main process.
POOL_MIN_PAGES = 20
#: Worker processes at most; past this the main process (fetching, storing) is the limit.
MAX_WORKERS = 4

@dataclass(frozen=True, slots=True)
class Extracted:
    """A fetched page made ready for the store: article, fingerprint, word count, raw page."""

    article: Article
    #: See :func:`newsarchiver.diff.content_hash`.
    content_hash: str
    #: Words in the body as diffs count them: what a first version adds.
    words: int
    raw: RawPage


#: What a worker sends back: the extracted page, or a project error as
#: (class, args, attributes), since keyword-only constructors do not unpickle.
WorkerReply = Extracted | tuple[type[NewsArchiverError], tuple[Any, ...], dict[str, Any]]


def extract_page(page: FetchResult, url: str, rules: SiteRules | None) -> Extracted:
    """Extract a fetched page, fingerprint the article and hash the raw body."""
    article = extract(page.text or "", url=url, rules=rules)
    raw = RawPage(body=page.body, content_type=page.content_type, encoding=page.encoding)
    return Extracted(article, *fingerprint(article), raw)


def _extract_in_worker(page: FetchResult, url: str, rules: SiteRules | None) -> WorkerReply:
    try:
        return extract_page(page, url, rules)
    except NewsArchiverError as exc:
        return type(exc), exc.args, dict(vars(exc))


def _result(reply: WorkerReply) -> Extracted:
    if isinstance(reply, Extracted):
        return reply
    cls, args, attributes = reply
    exc = cls.__new__(cls, *args)
    exc.args = args
    vars(exc).update(attributes)
    raise exc


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """One worker per core but one (left to fetching and storing), at least one."""
    return max(1, min(MAX_WORKERS, cores() - 1))


class Extractor:
    """Extracts pages in one thread of this process, a page at a time.

    Extraction is CPU work: more threads would only take turns at the interpreter
    lock, and switch between pages half done.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="newsarchiver-extract")

    async def extract(self, page: FetchResult, url: str, rules: SiteRules | None
                      ) -> Extracted:
        """The extracted page; raises ExtractionError as extract does."""
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, extract_page, page, url, rules)

    def close(self) -> None:
        """Release the thread or workers."""
        self._thread.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class PoolExtractor(Extractor):
    """Extracts pages in a pool of worker processes, made once and shut down by close."""

    def __init__(self, workers: int | None = None, *,
                 work: Callable[[FetchResult, str, SiteRules | None], WorkerReply] = (
                     _extract_in_worker)
                 ) -> None:
        self._workers = workers or default_workers()
        self._work = work
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return ProcessPoolExecutor(self._workers, mp_context=context)

    async def extract(self, page: FetchResult, url: str, rules: SiteRules | None
                      ) -> Extracted:
        for attempt in (1, 2):
            pool = self._pool
            try:
                return _result(await asyncio.wrap_future(
                    pool.submit(self._work, page, url, rules)))
            except BrokenProcessPool as exc:
                if pool is self._pool:  # the first page to notice replaces the pool
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
                if attempt == 2:
                    raise ExtractionError("the extraction worker process died", url=url) from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def extractor_for(pages: int) -> Extractor:
    """A pool for a run of many pages on a machine with cores to spare, else a thread."""
    if pages >= POOL_MIN_PAGES and cores() > 1:
        return PoolExtractor()
    return Extractor()
