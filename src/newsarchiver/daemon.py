"""The scheduler daemon (APScheduler 3.x): discovery per source, and a re-check tick.

One process, one event loop and one fetcher, so per-host politeness holds across
every job. Jobs never overlap themselves (``max_instances=1``) and runs missed
during a sleep or pause coalesce into one. SIGTERM and SIGINT stop it gracefully:
no new fetch starts, in-flight ones finish or are abandoned between stages (never
half-written), and the process exits within about ten seconds.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from newsarchiver.config import parse_duration
from newsarchiver.fetch import Fetcher
from newsarchiver.models import Settings, Source
from newsarchiver.pipeline import PassOptions, open_fetcher, run_pass_async
from newsarchiver.store import Archive

log = logging.getLogger("newsarchiver.daemon")
T = TypeVar("T")

#: Discovery interval for a source without a schedule.
DEFAULT_DISCOVERY = timedelta(minutes=30)
#: How long shutdown waits for jobs before giving up on them.
SHUTDOWN_SECONDS = 8.0


def trigger_for(schedule: str | None) -> BaseTrigger:
    """An APScheduler trigger for a validated ``schedule`` string (see config)."""
    if not schedule:
        return IntervalTrigger(seconds=DEFAULT_DISCOVERY.total_seconds(), timezone=UTC)
    if schedule.startswith("every "):
        return IntervalTrigger(seconds=parse_duration(schedule[6:]).total_seconds(),
                               timezone=UTC)
    return CronTrigger.from_crontab(schedule, timezone=UTC)


class Daemon:
    """Runs passes on schedules until :meth:`stop` (or a signal)."""

    def __init__(self, settings: Settings, archive: Archive, *, worker: str,
                 tick: timedelta = timedelta(minutes=1), budget: int = 1000,
                 lease: timedelta = timedelta(minutes=10),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.settings = settings
        self.archive = archive
        self.worker = worker
        self.tick = tick
        self.budget = budget
        self.lease = lease
        self.clock = clock
        self.stopping = threading.Event()
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._run_loop, name="fetch-loop",
                                             daemon=True)
        self._fetcher: Fetcher | None = None
        self._active = 0
        self._idle = threading.Condition()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max(2, len(settings.sources) + 1))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _submit(self, coro: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result()

    async def _open_fetcher(self) -> None:
        self._fetcher = open_fetcher(self.settings, self.archive, self.clock)
        await self._fetcher.__aenter__()

    async def _close_fetcher(self) -> None:
        if self._fetcher is not None:
            await self._fetcher.__aexit__(None, None, None)

    def _pass(self, options: PassOptions, what: str) -> None:
        """One job run: never raises for a project error; logs its summary."""
        if self.stopping.is_set():
            return
        assert self._fetcher is not None
        with self._idle:
            self._active += 1
        try:
            report = self._submit(run_pass_async(
                self.settings, self.archive, self.clock, options,
                stop=self.stopping, fetcher=self._fetcher))
            log.info("%s: %s", what, report.summary)
        except Exception:
            # A bug: loud in the log, but one source's failure must not stop the daemon.
            log.exception("%s failed", what)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def discover(self, source: Source) -> None:
        self._pass(PassOptions(worker=self.worker, lease=self.lease, sources=(source.name,),
                               recheck=False), f"discovery {source.name}")

    def recheck(self) -> None:
        self._pass(PassOptions(worker=self.worker, lease=self.lease, budget=self.budget,
                               discover=False), "re-check")

    def start(self) -> None:
        self._loop_thread.start()
        self._submit(self._open_fetcher())
        now = self.clock()
        for source in self.settings.sources:
            self.scheduler.add_job(self.discover, trigger_for(source.schedule), args=[source],
                                   id=f"discover:{source.name}", name=f"discover {source.name}",
                                   next_run_time=now)
        self.scheduler.add_job(self.recheck, IntervalTrigger(
            seconds=self.tick.total_seconds(), timezone=UTC), id="recheck", name="re-check",
            next_run_time=now + timedelta(seconds=1))
        self.scheduler.start()
        log.info("daemon %s started: %d sources, re-check every %s", self.worker,
                 len(self.settings.sources), self.tick)

    def stop(self) -> None:
        """Stop taking work; let in-flight fetches finish or abandon them."""
        if self.stopping.is_set():
            return
        log.info("daemon %s stopping", self.worker)
        self.stopping.set()
        self.scheduler.shutdown(wait=False)

    def wait(self) -> None:
        """Block until stopped, then close down within :data:`SHUTDOWN_SECONDS`."""
        while not self.stopping.wait(0.5):  # a timeout keeps signals prompt
            pass
        with self._idle:
            if not self._idle.wait_for(lambda: self._active == 0, SHUTDOWN_SECONDS):
                log.warning("jobs still running after %.0f s; exiting", SHUTDOWN_SECONDS)
        try:
            asyncio.run_coroutine_threadsafe(self._close_fetcher(), self.loop).result(1.0)
        except Exception:  # closing is best effort once stopping
            log.debug("fetcher close failed", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._loop_thread.join(timeout=2.0)
        if not self.loop.is_running():
            self.loop.close()
        log.info("daemon %s stopped", self.worker)

    def run_forever(self) -> None:
        """Start, install SIGTERM/SIGINT handlers, and block until a signal."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())
        self.start()
        self.wait()
