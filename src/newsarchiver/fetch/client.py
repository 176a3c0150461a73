"""The fetcher: polite, bounded and guarded GETs that yield a :class:`FetchResult`.

A fetch is up to ``max_retries + 1`` attempts; an attempt follows redirects by
hand (at most ``max_redirects`` hops, each re-checked for scheme, address and
robots.txt) and all its exchanges share one deadline of ``timeout`` seconds
(time spent waiting for the host's politeness slot does not count). Retries
happen on timeouts, connection failures, truncation by the network and the
statuses 408, 429, 500, 502, 503, 504 only, with jittered exponential back-off;
a 429/503 ``Retry-After`` (clamped to ``max_retry_after``) pauses that host alone.

Credentials stay with their origin: userinfo is dropped from every redirect
target not on the first URL's origin, and cookies set during a redirect chain are
kept per origin for that chain only.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

import httpx

from newsarchiver.errors import (
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    NetworkError,
    RedirectError,
    RobotsDisallowed,
    TLSError,
    TruncatedResponse,
    UnsafeURL,
)
from newsarchiver.fetch.decoding import decode_body
from newsarchiver.fetch.encoding import decode_html
from newsarchiver.fetch.exchange import (
    GZIP_TYPES,
    REDIRECT_STATUSES,
    Exchange,
    Kind,
    RequestDefaults,
    exchange,
    media_type,
)
from newsarchiver.fetch.guard import (
    ALLOWED_SCHEMES,
    OPEN_POLICY,
    AddressPolicy,
    GuardedBackend,
    Resolver,
    check_url,
)
from newsarchiver.fetch.http11 import HTTP11Transport
from newsarchiver.fetch.politeness import (
    HOST_BACKOFF_STATUSES,
    RETRY_STATUSES,
    Politeness,
    SharedHostGate,
    backoff_delay,
    parse_retry_after,
)
from newsarchiver.fetch.robots import (
    ALLOW_ALL,
    MAX_ROBOTS_BYTES,
    RobotsCache,
    RobotsRules,
    RobotsVerdict,
)
from newsarchiver.models import FetchRequest, FetchResult, FetchSettings
from newsarchiver.urls import host_of

ROBOTS_MAX_REDIRECTS = 5
ACCEPT = {
    "page": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "feed": "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,"
            "text/html;q=0.5,*/*;q=0.1",
}


@dataclass(frozen=True, slots=True)
class _RetryableStatus:
    """An attempt that ended on a status worth retrying."""

    status: int
    final_url: str
    host: str
    retry_after: float | None


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{host_of(str(url))}"


def _retryable(exc: FetchError) -> bool:
    if isinstance(exc, TLSError):
        return False
    if isinstance(exc, TruncatedResponse):  # the network cut it, not a broken encoding
        return isinstance(exc.__cause__, httpx.TransportError)
    return isinstance(exc, FetchTimeout | NetworkError)


class Fetcher:
    """Fetches pages politely within hard bounds; an async context manager.

    ``rng`` drives every jitter; ``clock`` (monotonic seconds) ages robots.txt
    entries; ``resolver`` replaces the system name lookup (the SSRF guard still
    checks what it returns); ``host_gate`` is awaited with a host and its delay
    before each request to a host whose delay is above zero, after the fetcher's
    own spacing, so that processes sharing a host can space their requests together.
    """

    def __init__(self, settings: FetchSettings, *, rng: random.Random | None = None,
                 logger: logging.Logger | None = None,
                 clock: Callable[[], float] | None = None,
                 resolver: Resolver | None = None,
                 host_gate: SharedHostGate | None = None) -> None:
        self.settings = settings
        self._rng = rng or random.Random()
        self._log = logger or logging.getLogger("newsarchiver.fetch")
        self._policy = AddressPolicy.from_settings(settings.allow_private_networks,
                                                   settings.allowed_networks)
        self._backend = GuardedBackend(self._policy, resolver)
        self._robots = RobotsCache(clock=clock or time.monotonic)
        self._politeness = Politeness(settings.per_host_concurrency, settings.per_host_delay,
                                      self._rng, host_gate)
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))
        self._transport: HTTP11Transport | None = None
        self._defaults = RequestDefaults(
            headers={"User-Agent": settings.user_agent, "Accept": "*/*",
                     "Accept-Encoding": "gzip, deflate, br, zstd"},
            timeouts=httpx.Timeout(settings.timeout, connect=settings.connect_timeout).as_dict())
        self._robots_skipped: set[str] = set()
        if settings.allow_private_networks:
            self._log.warning("SSRF guard off: private, loopback and link-local addresses "
                              "may be fetched (allow_private_networks)")
        elif settings.allowed_networks:
            self._log.warning("SSRF guard opened for %s (allowed_networks)",
                              ", ".join(settings.allowed_networks))
        if not settings.obey_robots:
            self._log.warning("robots.txt is not obeyed for any host (obey_robots = false)")

    async def __aenter__(self) -> Fetcher:
        self._transport = HTTP11Transport(
            self._backend, httpx.create_ssl_context(verify=True, trust_env=False),
            max_idle=max(4, self.settings.concurrency))
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch ``request.url``; raise a :class:`FetchError` subclass on failure."""
        try:
            url = httpx.URL(request.url)
        except httpx.InvalidURL as exc:
            raise InvalidURL(f"malformed URL: {exc}", url=request.url) from None
        try:
            return await self._fetch(request, url)
        except FetchError as exc:
            exc.final_url = exc.final_url or exc.url or request.url
            exc.url = request.url
            raise

    async def _fetch(self, request: FetchRequest, url: httpx.URL) -> FetchResult:
        first_policy = OPEN_POLICY if request.user_supplied else self._policy
        check_url(request.url, url.scheme, url.host, first_policy)
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                outcome = await self._attempt(request, url, first_policy)
            except FetchError as exc:
                if last or not _retryable(exc):
                    raise
                delay = backoff_delay(attempt, self._rng, self.settings.max_retry_after)
                self._log.info("retrying %s in %.1f s: %s", request.url, delay, exc.message)
                await asyncio.sleep(delay)
                continue
            if isinstance(outcome, FetchResult):
                return outcome
            if last:
                raise HTTPStatusError(
                    f"HTTP {outcome.status} after {attempts} attempt(s)", url=request.url,
                    status=outcome.status, final_url=outcome.final_url)
            await self._back_off(outcome, attempt)
        raise AssertionError("unreachable")

    async def _back_off(self, outcome: _RetryableStatus, attempt: int) -> None:
        cap = self.settings.max_retry_after
        wait = backoff_delay(attempt, self._rng, cap)
        if outcome.status in HOST_BACKOFF_STATUSES:
            if outcome.retry_after is not None:
                wait = min(outcome.retry_after, cap)
            self._log.info("HTTP %d from %s: pausing the host for %.1f s",
                           outcome.status, outcome.host, wait)
            self._politeness.gate(outcome.host).block_for(wait)
        else:
            self._log.info("HTTP %d from %s: retrying in %.1f s",
                           outcome.status, outcome.final_url, wait)
            await asyncio.sleep(wait)

    def _hop_policy(self, request: FetchRequest, first: httpx.URL,
                    hop: httpx.URL) -> AddressPolicy:
        """User-supplied URLs may reach private addresses, and so may their same-host hops."""
        if request.user_supplied and host_of(str(hop)) == host_of(str(first)):
            return OPEN_POLICY
        return self._policy

    async def _attempt(self, request: FetchRequest, first: httpx.URL,
                       first_policy: AddressPolicy) -> FetchResult | _RetryableStatus:
        hops: list[Exchange] = []
        try:
            return await self._follow(request, first, first_policy, hops)
        except FetchError as exc:  # a failed hop: report the last status seen
            if exc.status is None and hops:
                exc.status = hops[-1].status
            raise

    async def _follow(self, request: FetchRequest, first: httpx.URL,
                      first_policy: AddressPolicy, hops: list[Exchange]
                      ) -> FetchResult | _RetryableStatus:
        budget = self.settings.timeout
        url = first
        visited: list[str] = []
        seen: set[tuple[str, str]] = set()
        jars: dict[str, httpx.Cookies] = {}
        for hop in range(self.settings.max_redirects + 1):
            policy = first_policy if hop == 0 else self._hop_policy(request, first, url)
            check_url(str(url), url.scheme, url.host, policy)
            await self._obey_robots(request, url, policy)
            headers = {"Accept": ACCEPT[request.kind]}
            if hop == 0 and request.etag:
                headers["If-None-Match"] = request.etag
            if hop == 0 and request.last_modified:
                headers["If-Modified-Since"] = request.last_modified
            jar = jars.setdefault(_origin(url), httpx.Cookies())
            seen.add((str(url), "; ".join(f"{k}={v}" for k, v in sorted(jar.items()))))
            started = time.monotonic()
            result = await self._exchange(url, headers, policy, budget, request.kind, jar)
            budget -= time.monotonic() - started
            hops.append(result)
            if result.status not in REDIRECT_STATUSES or "location" not in result.headers:
                return self._finish(request, result, visited)
            visited.append(str(url))
            url = self._redirect_target(first, url, result.headers["location"])
            jar = jars.setdefault(_origin(url), httpx.Cookies())
            key = (str(url), "; ".join(f"{k}={v}" for k, v in sorted(jar.items())))
            if key in seen:
                raise RedirectError("redirect loop", url=request.url, status=result.status,
                                    final_url=str(url))
        raise RedirectError(f"more than {self.settings.max_redirects} redirects",
                            url=request.url, final_url=str(url))

    def _redirect_target(self, first: httpx.URL, current: httpx.URL, location: str) -> httpx.URL:
        try:
            target = current.join(location.strip()).copy_with(fragment=None, userinfo=b"")
        except (httpx.InvalidURL, ValueError) as exc:
            raise RedirectError(f"invalid redirect Location {location!r}: {exc}",
                                url=str(current)) from None
        if target.scheme not in ALLOWED_SCHEMES or not target.host:
            raise UnsafeURL(f"redirect to {target.scheme or '(no scheme)'}: is not allowed; "
                            "only http and https", url=str(target))
        if first.userinfo and _origin(target) == _origin(first):
            target = target.copy_with(userinfo=first.userinfo)
        return target

    async def _exchange(self, url: httpx.URL, headers: dict[str, str], policy: AddressPolicy,
                        budget: float, kind: Kind, jar: httpx.Cookies, *,
                        cap: int | None = None, truncate_at_cap: bool = False) -> Exchange:
        assert self._transport is not None, "use the Fetcher as an async context manager"
        if budget <= 0:
            raise FetchTimeout(f"no complete response within {self.settings.timeout:.1f} s",
                               url=str(url))
        async with self._politeness.gate(host_of(str(url))).slot(), self._slots:
            return await exchange(
                self._transport, self._defaults, url, headers=headers, policy=policy,
                loose=policy.looser_than(self._policy), budget=budget, kind=kind,
                cap=cap or self.settings.max_bytes, cookies=jar,
                truncate_at_cap=truncate_at_cap)

    def _finish(self, request: FetchRequest, result: Exchange,
                visited: list[str]) -> FetchResult | _RetryableStatus:
        final = str(result.url)
        etag = result.headers.get("etag")
        last_modified = result.headers.get("last-modified")
        if result.status == 304:
            return FetchResult(
                url=request.url, final_url=final, status=304,
                content_type=result.content_type, etag=etag or request.etag,
                last_modified=last_modified or request.last_modified, redirects=tuple(visited))
        if result.status in RETRY_STATUSES:
            retry_after = parse_retry_after(result.headers.get("retry-after"),
                                            result.headers.get("date"))
            return _RetryableStatus(result.status, final, host_of(final), retry_after)
        if not 200 <= result.status < 300:
            raise HTTPStatusError(f"HTTP {result.status}", url=request.url,
                                  status=result.status, final_url=final)
        body = result.body
        if request.kind == "feed" and (media_type(result.content_type) in GZIP_TYPES
                                       or body[:2] == b"\x1f\x8b"):
            body = decode_body(body, ["gzip"], self.settings.max_bytes)
        text, encoding = decode_html(body, result.content_type)
        return FetchResult(
            url=request.url, final_url=final, status=result.status,
            content_type=result.content_type, etag=etag, last_modified=last_modified,
            body=body, text=text, encoding=encoding, redirects=tuple(visited))

    # --- robots.txt ------------------------------------------------------------------

    async def _obey_robots(self, request: FetchRequest, url: httpx.URL,
                           policy: AddressPolicy) -> None:
        if not self.settings.obey_robots:
            return
        host = host_of(str(url))
        if not request.obey_robots:
            if host not in self._robots_skipped:
                self._robots_skipped.add(host)
                self._log.warning("robots.txt not obeyed for %s (the source disables it)", host)
            return
        ua = self.settings.user_agent
        origin = _origin(url)
        try:
            rules = await self._robots.rules(origin, lambda: self._load_robots(origin, policy))
        except (UnsafeURL, TLSError) as exc:  # name the page, not its robots.txt
            exc.url = exc.final_url = str(url)
            raise
        if not rules.allows(str(url), ua):
            reason = rules.reason or "robots.txt disallows it"
            raise RobotsDisallowed(reason, url=str(url))
        delay = rules.crawl_delay(ua)
        if delay:
            self._politeness.gate(host).crawl_delay = min(delay, self.settings.max_retry_after)

    async def _load_robots(self, origin: str, policy: AddressPolicy) -> RobotsRules:
        url = httpx.URL(origin + "/robots.txt")
        jar = httpx.Cookies()
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            try:
                check_url(str(url), url.scheme, url.host, policy)
                result = await self._exchange(
                    url, {"Accept": "text/plain,*/*;q=0.1"}, policy, self.settings.timeout,
                    "any", jar, cap=MAX_ROBOTS_BYTES, truncate_at_cap=True)
            except (UnsafeURL, TLSError):
                raise  # the host itself is refused or broken, not just its robots.txt
            except FetchError as exc:
                return self._robots_unreadable(origin, exc.message)
            status = result.status
            if status in REDIRECT_STATUSES and "location" in result.headers:
                url = url.join(result.headers["location"]).copy_with(fragment=None)
                continue
            if 200 <= status < 300:
                return RobotsRules.parse(result.body.decode("utf-8", errors="replace"))
            if status == 429 or status >= 500:
                return self._robots_unreadable(origin, f"HTTP {status}")
            return ALLOW_ALL
        return ALLOW_ALL  # RFC 9309: too many redirects counts as unavailable (4xx)

    def _robots_unreadable(self, origin: str, why: str) -> RobotsRules:
        reason = f"robots.txt of {origin} cannot be read ({why}); all disallowed until it can"
        self._log.warning("%s", reason)
        return RobotsRules(RobotsVerdict.DISALLOW_ALL, reason=reason)
