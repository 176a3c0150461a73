"""Values passed between stages: frozen dataclasses, nothing else.

The hand-offs are::

    FetchRequest -> fetch -> FetchResult -> extract -> Article
                  -> pipeline -> Snapshot -> store -> Outcome / Version / FetchLogEntry
    pipeline -> RunReport

All datetimes are timezone-aware (UTC unless the source said otherwise).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from newsarchiver.urls import DEFAULT_TRACKING_PARAMS

DEFAULT_USER_AGENT = (
    "newsarchiver/0.1 (+https://github.com/newsarchiver/newsarchiver; news archiving bot)"
)


# --- settings (loaded and validated from sources.toml by newsarchiver.config) ----------

@dataclass(frozen=True, slots=True)
class SiteRules:
    """Per-source extraction rules from sources.toml (CSS selectors)."""

    body_selector: str | None = None
    remove_selectors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tier:
    """Re-check an article every ``every`` while its last change is under ``age`` old."""

    age: timedelta
    every: timedelta


DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier(timedelta(hours=3), timedelta(minutes=15)),
    Tier(timedelta(days=1), timedelta(hours=1)),
    Tier(timedelta(days=7), timedelta(hours=3)),
    Tier(timedelta(days=30), timedelta(days=3)),
)


@dataclass(frozen=True, slots=True)
class RecheckPolicy:
    """Lifetime re-check tiers, keyed on time since the article's last real change."""

    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    #: After the last tier: check this often, or never (None = retired).
    after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Politeness and hard bounds for the fetcher."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0  # seconds, total per fetch, headers and body together
    connect_timeout: float = 10.0
    max_bytes: int = 10_000_000  # decoded body cap
    concurrency: int = 16  # fetches in flight in all
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0  # seconds between requests to a host, jittered 0.5-1.5x
    max_retries: int = 2
    max_retry_after: float = 600.0  # clamp for Retry-After, seconds
    max_redirects: int = 10
    obey_robots: bool = True
    allow_private_networks: bool = False
    allowed_networks: tuple[str, ...] = ()  # CIDRs reachable despite the SSRF guard
    tracking_params: tuple[str, ...] = DEFAULT_TRACKING_PARAMS


@dataclass(frozen=True, slots=True)
class SectionPage:
    """A section front whose article links are picked by a selector and/or a pattern."""

    url: str
    links: str | None = None  # CSS selector for <a> elements
    pattern: str | None = None  # regex the absolute link URL must match (search)


@dataclass(frozen=True, slots=True)
class Source:
    """One news source and how to archive it."""

    name: str
    articles: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sections: tuple[SectionPage, ...] = ()
    include: tuple[str, ...] = ()  # regexes; a discovered URL must match one (if any)
    exclude: tuple[str, ...] = ()  # regexes; a discovered URL matching one is dropped
    rules: SiteRules = SiteRules()
    schedule: str | None = None  # "every 30m" or a 5-field cron expression
    obey_robots: bool = True
    recheck: RecheckPolicy = RecheckPolicy()


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``sources.toml`` configures."""

    database: str | None = None
    fetch: FetchSettings = FetchSettings()
    recheck: RecheckPolicy = RecheckPolicy()
    sources: tuple[Source, ...] = field(default_factory=tuple)
    path: str | None = None

    def source(self, name: str) -> Source:
        """The source called ``name``; KeyError if there is none."""
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)



# --- values passed between stages -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One URL to fetch, with what the archive knows for a conditional GET."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    #: Typed by the user on the command line: may reach private addresses
    #: (its redirects are still checked).
    user_supplied: bool = False
    #: Obey robots.txt for this URL (a per-source switch).
    obey_robots: bool = True
    #: "page": only HTML/XHTML is accepted (for extraction); "feed": RSS, Atom,
    #: sitemap XML (gzipped too) and HTML section pages are accepted (for discovery).
    kind: Literal["page", "feed"] = "page"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A successful response: 2xx with an HTML body, or 304 Not Modified."""

    url: str
    final_url: str
    status: int
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    #: The body after content decoding (gzip, br, ...); empty for a 304.
    body: bytes = b""
    #: The body decoded to text (BOM, HTTP charset, <meta>, detection); None for a 304.
    text: str | None = None
    encoding: str | None = None
    #: Every URL visited before ``final_url``, in order.
    redirects: tuple[str, ...] = ()

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class DiscoveredLink:
    """An article URL found in a feed, sitemap or section page."""

    url: str
    #: When the listing says the article last changed (feed ``updated``, sitemap
    #: ``lastmod``, Google News ``publication_date``), if it says.
    updated: datetime | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """What extraction makes of a page: a clean body and its metadata."""

    body: str
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    #: The body lightly marked up: ``## `` headings, ``- `` list items, ``> `` quotes.
    structured: str = ""
    #: Remarks about this extraction worth logging (e.g. a site selector that missed).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RawPage:
    """A raw response body, stored once, addressed by its SHA-256 (computed from it)."""

    body: bytes
    content_type: str | None = None
    encoding: str | None = None
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.body).hexdigest())


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One successful observation of an article, ready for the store."""

    url: str
    article: Article
    content_hash: str
    seen_at: datetime
    raw: RawPage | None = None
    source: str | None = None
    #: Words in the body as diffs count them, when counted before the save: what a
    #: first version adds (else the store counts them).
    words: int | None = None


class Outcome(enum.StrEnum):
    """What one fetch of one URL came to, as recorded in the fetch log."""

    NEW = "new"  # first version of a new article
    CHANGED = "changed"  # a new version of a known article
    UNCHANGED = "unchanged"  # same content as the latest version
    NOT_MODIFIED = "not_modified"  # HTTP 304
    FAILED = "failed"  # fetch or extraction error; never a version
    SKIPPED = "skipped"  # refused by policy (robots.txt, SSRF guard, content type)


@dataclass(frozen=True, slots=True)
class Fetch:
    """A fetch-log entry: one attempt on one URL."""

    url: str
    fetched_at: datetime
    outcome: Outcome
    duration_ms: int = 0
    status: int | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    raw_sha256: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    version: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Version:
    """One stored version of an article."""

    url: str
    number: int
    first_seen: datetime
    last_seen: datetime
    times_seen: int
    content_hash: str
    body: str
    structured: str = ""
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    description: str | None = None
    raw_sha256: str | None = None
    words_added: int = 0
    words_removed: int = 0


@dataclass(frozen=True, slots=True)
class Observation:
    """What one fetch came to, for the store: a snapshot to save, or a fetch to log alone."""

    fetch: Fetch
    #: The page to save (a new version if its content changed); None to log the fetch only
    #: (a failure, a skip, a 304).
    snapshot: Snapshot | None = None
    #: Every URL that led to the snapshot's article.
    aliases: tuple[str, ...] = ()
    #: The source of a fetch logged alone (a snapshot names its own).
    source: str | None = None


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What the store did with a snapshot."""

    outcome: Outcome
    article_id: int
    version: int
    #: When the article's newest version was first seen (after this save).
    last_changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UrlReport:
    """The result for one URL in a run."""

    url: str
    outcome: Outcome
    version: int | None = None
    error_class: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class RunReport:
    """Summary of one pass over a set of URLs."""

    started_at: datetime
    finished_at: datetime
    results: tuple[UrlReport, ...] = field(default_factory=tuple)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {o.value: self.count(o) for o in Outcome}

    @property
    def summary(self) -> str:
        """``"2 new, 1 changed, 0 unchanged, ..."``, for logs."""
        return ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in self.counts.items())

    @property
    def archived_any(self) -> bool:
        """True when at least one URL was fetched successfully (any non-failure)."""
        return any(r.outcome not in (Outcome.FAILED, Outcome.SKIPPED) for r in self.results)


@dataclass(frozen=True, slots=True)
class Claim:
    """A due article leased to one worker until ``lease_expires_at``."""

    article_id: int
    url: str
    source: str | None
    next_check_at: datetime
    lease_expires_at: datetime
    first_seen_at: datetime | None = None
    last_changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TierCount:
    """How many tracked articles of a source are in one re-check tier."""

    tier: str
    articles: int


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """The health of one source, for ``newsarchiver status``."""

    name: str
    last_run_at: datetime | None
    tiers: tuple[TierCount, ...]
    due_now: int
    oldest_due_at: datetime | None
    recent_fetches: int
    recent_failures: int

    @property
    def failure_rate(self) -> float:
        return self.recent_failures / self.recent_fetches if self.recent_fetches else 0.0
