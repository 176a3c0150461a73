"""Per-host politeness: concurrency, spacing between requests, and back-off.

Every request to a host (``host[:port]``, shared by all sources) passes through
its :class:`HostGate`: at most ``per_host_concurrency`` in flight, successive
starts at least ``per_host_delay`` apart (jittered 0.5-1.5x, never below the
robots.txt Crawl-delay, itself clamped to ``max_retry_after``), and no start
before a 429/503 back-off has run out. An optional :data:`SharedHostGate` spaces
requests to a host across processes: once the in-process spacing allows a start,
it is awaited with the host and its delay (e.g. a reservation in the archive).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from email.utils import parsedate_to_datetime

#: Retry statuses (besides timeouts and connection errors).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Statuses whose Retry-After pauses the whole host.
HOST_BACKOFF_STATUSES = frozenset({429, 503})
BACKOFF_BASE = 1.0
_SECONDS = re.compile(r"^\s*(\d{1,10})\s*$")
#: ``gate(host, delay_seconds)``: returns when a request to ``host`` may start, given
#: that successive starts from every process must be ``delay_seconds`` apart.
SharedHostGate = Callable[[str, float], Awaitable[None]]


def parse_retry_after(value: str | None, date_header: str | None) -> float | None:
    """Seconds to wait from a Retry-After value; None if absent or unusable.

    An HTTP-date is measured against the response's own ``Date`` header (the
    server's clock), so no local wall clock is needed; without ``Date`` it is unusable.
    """
    if not value:
        return None
    m = _SECONDS.match(value)
    if m:
        return float(m.group(1))
    if not date_header:
        return None
    try:
        until = parsedate_to_datetime(value.strip())
        sent = parsedate_to_datetime(date_header.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if until.tzinfo is None or sent.tzinfo is None:
        return None
    return max(0.0, (until - sent).total_seconds())


def backoff_delay(attempt: int, rng: random.Random, cap: float,
                  base: float = BACKOFF_BASE) -> float:
    """Exponential back-off for retry ``attempt`` (0-based), jittered 0.5-1.5x, capped."""
    return min(cap, base * 2.0 ** attempt) * rng.uniform(0.5, 1.5)


class HostGate:
    """The politeness state of one host."""

    def __init__(self, concurrency: int, delay: float, rng: random.Random,
                 clock: Callable[[], float] = time.monotonic, *, host: str = "",
                 shared: SharedHostGate | None = None) -> None:
        self._host = host
        self._shared = shared
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._order = asyncio.Lock()
        self._delay = delay
        self._rng = rng
        self._clock = clock
        self._next_start = 0.0
        self._blocked_until = 0.0
        self.crawl_delay = 0.0

    def block_for(self, seconds: float) -> None:
        """Start nothing on this host for ``seconds`` (429/503 back-off)."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def _spacing(self) -> float:
        jittered = self._delay * self._rng.uniform(0.5, 1.5) if self._delay > 0 else 0.0
        return max(jittered, self.crawl_delay)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the host's slots, started no sooner than politeness allows."""
        async with self._slots:
            async with self._order:
                while True:
                    wait = max(self._next_start, self._blocked_until) - self._clock()
                    if wait <= 0:
                        break
                    await asyncio.sleep(wait)
                spacing = self._spacing()
                if self._shared is not None and spacing > 0:
                    await self._shared(self._host, spacing)
                self._next_start = self._clock() + spacing
            yield


class Politeness:
    """All host gates of one fetcher."""

    def __init__(self, concurrency: int, delay: float, rng: random.Random,
                 shared: SharedHostGate | None = None) -> None:
        self._shared = shared
        self._concurrency = concurrency
        self._delay = delay
        self._rng = rng
        self._gates: dict[str, HostGate] = {}

    def gate(self, host: str) -> HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = HostGate(self._concurrency, self._delay, self._rng,
                                                host=host, shared=self._shared)
        return gate
