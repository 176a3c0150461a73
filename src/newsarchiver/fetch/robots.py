"""robots.txt per RFC 9309, parsed with protego and cached per origin.

* 2xx: the rules apply (the first :data:`MAX_ROBOTS_BYTES` are parsed, more is ignored).
* 4xx: no rules: everything is allowed.
* 5xx, 429 or a network failure: everything is disallowed until the file can be
  read; such a verdict is cached only briefly (:data:`FAILURE_TTL`). A TLS failure
  or an SSRF refusal is not a robots.txt verdict: the fetcher reports it as such.

Verdicts are kept for :data:`ROBOTS_TTL` (24 h) on an injected monotonic clock.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from protego import Protego

ROBOTS_TTL = 24 * 3600.0
FAILURE_TTL = 60.0
MAX_ROBOTS_BYTES = 512 * 1024


class RobotsVerdict(enum.Enum):
    RULES = "rules"
    ALLOW_ALL = "allow_all"  # 4xx
    DISALLOW_ALL = "disallow_all"  # 5xx / unreachable


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """What one robots.txt says, or what its absence means."""

    verdict: RobotsVerdict
    parser: Protego | None = None
    #: Why the file could not be read, for DISALLOW_ALL.
    reason: str | None = None

    @classmethod
    def parse(cls, text: str) -> RobotsRules:
        return cls(RobotsVerdict.RULES, Protego.parse(text[:MAX_ROBOTS_BYTES]))

    def allows(self, url: str, user_agent: str) -> bool:
        if self.verdict is RobotsVerdict.RULES:
            assert self.parser is not None
            return bool(self.parser.can_fetch(url, user_agent))
        return self.verdict is RobotsVerdict.ALLOW_ALL

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


ALLOW_ALL = RobotsRules(RobotsVerdict.ALLOW_ALL)


class RobotsCache:
    """Rules per origin, loaded once (one loader at a time per origin) and kept 24 h."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 ttl: float = ROBOTS_TTL, failure_ttl: float = FAILURE_TTL) -> None:
        self._clock = clock
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._entries: dict[str, tuple[float, RobotsRules]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def cached(self, origin: str) -> RobotsRules | None:
        entry = self._entries.get(origin)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    async def rules(self, origin: str,
                    load: Callable[[], Awaitable[RobotsRules]]) -> RobotsRules:
        """The rules for ``origin`` (``scheme://host[:port]``), loading them if stale."""
        found = self.cached(origin)
        if found is not None:
            return found
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            found = self.cached(origin)
            if found is not None:
                return found
            rules = await load()
            ttl = self._failure_ttl if rules.verdict is RobotsVerdict.DISALLOW_ALL else self._ttl
            self._entries[origin] = (self._clock() + ttl, rules)
            return rules
