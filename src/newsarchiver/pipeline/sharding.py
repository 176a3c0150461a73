"""Archiving many pages in several processes: one shard of the run per core.

A run of many pages on a machine with several cores is split into shards, each
archived by its own process running the whole pipeline (fetch, extract, store)
into the same archive. Nothing crosses between processes but the targets going
out and, coming back, one :class:`~newsarchiver.models.UrlReport` per page and
the log records, which this process hands to its own handlers (a message every
shard logs alike, such as a setting's warning, is passed on once).

Politeness holds across the shards. A host's pages go to at most
``per_host_concurrency`` shards, each allowed an equal part of that concurrency,
and the delay between requests to a host is kept through the archive's host
reservations, as for any processes sharing an archive. The fetch concurrency of
the run is divided among the shards.

A shard that dies (the OOM killer, a signal) loses only its pages in flight: the
pages it had not reported are reported as failed, and the other shards go on. An
unexpected exception in a shard is a bug: the run stops and raises it.
"""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import math
import multiprocessing
import pickle
import queue
import sys
import threading
import traceback
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from multiprocessing.context import ForkContext, ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

from newsarchiver.errors import ArchivingProcessDied, NewsArchiverError
from newsarchiver.models import Outcome, RunReport, Settings, UrlReport
from newsarchiver.pipeline.archiving import (
    Clock,
    Progress,
    Target,
    archive_targets_async,
    unique_targets,
)
from newsarchiver.pipeline.extraction import Extractor, cores
from newsarchiver.store import Archive
from newsarchiver.store.records import WordDelta
from newsarchiver.urls import host_of, normalize_url

log = logging.getLogger("newsarchiver.pipeline")

#: Pages per shard at least: below this, starting a process costs more than it saves.
MIN_SHARD_PAGES = 100
#: Shards at most, whatever the cores.
MAX_SHARDS = 8
#: How long the parent waits for a message before checking that its shards are alive.
POLL_SECONDS = 0.5


def archive_targets(
    targets: Sequence[Target], *, settings: Settings, archive: Archive, clock: Clock,
    progress: Progress | None = None,
) -> RunReport:
    """Fetch, extract and store each target; never raise for a single URL's failure.

    A run of many pages goes to several processes (see :func:`shard_count`).
    """
    unique = unique_targets(targets)
    shards = shard_count(len(unique), archive, clock)
    if shards > 1:
        return archive_in_shards(unique, settings=settings, archive=archive, clock=clock,
                                 shards=shards, progress=progress)
    return asyncio.run(archive_targets_async(
        unique, settings=settings, archive=archive, clock=clock, progress=progress))


def shard_count(pages: int, archive: Archive, clock: Clock) -> int:
    """How many processes should archive ``pages`` pages (1: this one, alone).

    More than one only on a machine with cores to spare, for an archive other
    processes can open (not an in-memory SQLite database) and a clock that can be
    sent to them.
    """
    wanted = min(cores(), MAX_SHARDS, pages // MIN_SHARD_PAGES)
    if wanted < 2 or archive.shared_url is None:
        return 1
    try:
        pickle.dumps((clock, archive.word_delta))
    except (pickle.PicklingError, AttributeError, TypeError):
        return 1
    return wanted


def host_spread(shards: int, per_host_concurrency: int) -> int:
    """How many of ``shards`` shards a host's pages are dealt to."""
    return max(1, min(shards, per_host_concurrency))


def split_targets(targets: Sequence[Target], shards: int,
                  per_host_concurrency: int) -> list[list[Target]]:
    """Targets dealt to ``shards`` shards (the empty ones left out), each host's to
    :func:`host_spread` of them."""
    by_host: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        by_host[host_of(target.url) if target.url and target.local_path is None else ""
                ].append(target)
    spread = host_spread(shards, per_host_concurrency)
    out: list[list[Target]] = [[] for _ in range(shards)]
    for host, group in by_host.items():
        first = zlib.crc32(host.encode()) % shards
        width = shards if not host else spread  # saved pages have no host to spare
        for n, target in enumerate(group):
            out[(first + n % width) % shards].append(target)
    return [shard for shard in out if shard]


def shard_settings(settings: Settings, shards: int, spread: int) -> Settings:
    """The settings of one of ``shards`` shards, for hosts dealt to ``spread`` shards:
    its part of the run's concurrency and of each host's."""
    fetch = settings.fetch
    return replace(settings, fetch=replace(
        fetch, concurrency=max(1, math.ceil(fetch.concurrency / shards)),
        per_host_concurrency=max(1, fetch.per_host_concurrency // spread)))


def archive_in_shards(targets: Sequence[Target], *, settings: Settings, archive: Archive,
                      clock: Clock, shards: int, progress: Progress | None = None
                      ) -> RunReport:
    """Archive ``targets`` in ``shards`` processes (in this one if they all go to one
    shard, as the pages of a single host with a ``per_host_concurrency`` of 1 do); see
    the module docstring."""
    url = archive.shared_url
    assert url is not None, "check shard_count first"
    per_host = settings.fetch.per_host_concurrency
    parts = split_targets(targets, shards, per_host)
    if len(parts) < 2:
        return asyncio.run(archive_targets_async(
            targets, settings=settings, archive=archive, clock=clock, progress=progress))
    started = clock()
    each = shard_settings(settings, len(parts), host_spread(shards, per_host))
    context = _start_method()
    messages: multiprocessing.Queue[tuple[Any, ...]] = context.Queue()
    level = logging.getLogger("newsarchiver").getEffectiveLevel()
    processes = [context.Process(
        target=_shard_main, name=f"newsarchiver-shard-{n}", daemon=True,
        args=(n, part, each, url, clock, archive.word_delta, messages, level))
        for n, part in enumerate(parts)]
    log.info("archiving %d pages in %d processes", len(targets), len(processes))
    for process in processes:
        process.start()
    try:
        results = _collect(processes, parts, messages, settings.fetch.tracking_params,
                           progress)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        messages.close()
    return RunReport(started_at=started, finished_at=clock(), results=tuple(results))


def _start_method() -> ForkContext | ForkServerContext:
    """How shards start: forked, when this process runs no other thread (so nothing is
    caught half-done) on Linux, which starts them at once, with everything imported;
    else from a fork server that imports the pipeline once."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _collect(processes: Sequence[BaseProcess], parts: list[list[Target]],
             messages: multiprocessing.Queue[tuple[Any, ...]], tracking: Sequence[str],
             progress: Progress | None) -> list[UrlReport]:
    """Pass on the shards' reports and log records until every shard has ended."""
    results: list[UrlReport] = []
    reported: list[set[str]] = [set() for _ in parts]
    running = set(range(len(processes)))
    logged: set[tuple[str, int, str]] = set()
    while running:
        try:
            message = messages.get(timeout=POLL_SECONDS)
        except queue.Empty:
            for n in [n for n in running if not processes[n].is_alive()]:
                running.discard(n)  # died without saying goodbye
                results += _lost(parts[n], reported[n], processes[n].exitcode, tracking,
                                 progress)
            continue
        kind, n, payload = message
        if kind == "report":
            results.append(payload)
            reported[n].add(payload.url)
            if progress:
                progress(payload)
        elif kind == "log":
            key = (payload.name, payload.levelno, payload.getMessage())
            if key not in logged:
                logged.add(key)
                logging.getLogger(payload.name).handle(payload)
        elif kind == "done":
            running.discard(n)
        else:  # "bug": an unexpected exception, with its traceback
            raise RuntimeError(f"archiving shard {n} failed:\n{payload}")
    return results


def _reported_as(target: Target, tracking: Sequence[str]) -> str:
    """The URL a target's report names (see ``_Run._one``)."""
    if target.url is None:
        return target.label
    try:
        return normalize_url(target.url, tracking_params=tracking)
    except NewsArchiverError:
        return target.url


def _lost(part: list[Target], reported: set[str], exitcode: int | None,
          tracking: Sequence[str], progress: Progress | None) -> list[UrlReport]:
    """Failed reports for a dead shard's pages that it never reported."""
    why = f"the archiving process died (exit code {exitcode}) before this page was done"
    lost = [UrlReport(url, Outcome.FAILED, error_class=ArchivingProcessDied.__name__,
                      error_message=why)
            for url in dict.fromkeys(_reported_as(t, tracking) for t in part)
            if url not in reported]
    log.error(
        "an archiving process died (exit code %s): %d page(s) not archived", exitcode,
        len(lost))
    for report in lost:
        if progress:
            progress(report)
    return lost


def _shard_main(n: int, targets: list[Target], settings: Settings, url: str, clock: Clock,
                word_delta: WordDelta, messages: multiprocessing.Queue[tuple[Any, ...]],
                level: int) -> None:
    """One shard's process: archive its targets, report each, then say it is done."""
    root = logging.getLogger()
    root.handlers = [_Forward(n, messages)]
    logging.getLogger("newsarchiver").setLevel(level)
    try:
        with Archive.open(url, word_delta=word_delta) as archive:
            asyncio.run(archive_targets_async(
                targets, settings=settings, archive=archive, clock=clock,
                progress=lambda report: messages.put(("report", n, report)),
                extractor=Extractor()))
    except KeyboardInterrupt:  # the terminal's Ctrl-C reaches every process
        sys.exit(130)
    except BaseException:
        messages.put(("bug", n, traceback.format_exc()))
        raise
    messages.put(("done", n, None))


class _Forward(logging.handlers.QueueHandler):
    """Sends a shard's log records to the parent, tagged with the shard's number."""

    def __init__(self, n: int, messages: multiprocessing.Queue[tuple[Any, ...]]) -> None:
        super().__init__(messages)
        self._n = n

    def enqueue(self, record: logging.LogRecord) -> None:
        self.queue.put_nowait(("log", self._n, record))

