"""The :class:`Archive`: saves snapshots as numbered versions and logs every fetch.

An article is identified by its canonical URL (else the URL it was saved from) and
reached by any URL recorded for it in ``article_urls``. A save locks the article row
while it numbers a new version (``SELECT ... FOR UPDATE`` on PostgreSQL, the write
lock of ``BEGIN IMMEDIATE`` on SQLite); ``UNIQUE (article_id, number)`` is the
backstop, and a save that loses a race is retried once the winner has committed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta
from functools import partial
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from newsarchiver.errors import NotFound
from newsarchiver.models import (
    Claim,
    DiscoveredLink,
    Fetch,
    Observation,
    Outcome,
    RawPage,
    SaveResult,
    Snapshot,
    SourceStatus,
    Version,
)
from newsarchiver.store import saving, scheduling
from newsarchiver.store.engine import database_url, ensure_schema, make_engine, store_errors, writer
from newsarchiver.store.records import (
    WordDelta,
    count_word_delta,
    fetch_of,
    raw_page_of,
    version_of,
)
from newsarchiver.store.schema import ArticleRow, ArticleUrlRow, FetchRow, RawPageRow, VersionRow
from newsarchiver.store.status import source_status

T = TypeVar("T")
SAVE_ATTEMPTS = 5
#: Outcomes of a fetch that reached the server and got the page (or a 304).
SUCCESSFUL = (Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED, Outcome.NOT_MODIFIED)
#: PostgreSQL errors after which the whole transaction may simply be tried again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


def _lost_race(exc: DBAPIError) -> bool:
    """A unique key taken by a concurrent save, or a deadlock: worth trying again."""
    return (isinstance(exc, IntegrityError)
            or getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES)


class Archive:
    """The archive database. Open with :meth:`open`; safe to share between threads."""

    def __init__(self, engine: Engine, word_delta: WordDelta | None = None) -> None:
        self._engine = engine
        self._writer = writer(engine)
        self._url = engine.url
        self._word_delta = word_delta or count_word_delta
        #: SQLite has one writer at a time: this process's threads queue here rather
        #: than in SQLite's busy handler, which sleeps and polls.
        self._write_lock: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext())

    @classmethod
    def open(cls, url: str, *, word_delta: Callable[[str, str], tuple[int, int]] | None = None
             ) -> Archive:
        """Connect, check the schema (creating or upgrading it where safe), and return."""
        parsed = database_url(url)
        engine = make_engine(url)
        try:
            with store_errors(parsed):
                ensure_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, word_delta)

    @property
    def shared_url(self) -> str | None:
        """The URL another process opens this archive with; None for a private one.

        An in-memory SQLite database belongs to this process alone.
        """
        url = self._url
        if url.get_backend_name() == "sqlite":
            if url.database in (None, "", ":memory:") or url.database.startswith("file:"):
                return None
            url = url.set(database=os.path.abspath(url.database))
        return url.render_as_string(hide_password=False)

    @property
    def word_delta(self) -> WordDelta:
        """How this archive counts the words a new version adds and removes."""
        return self._word_delta

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- sessions ---------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with store_errors(self._url), Session(self._engine) as session, session.begin():
            yield session

    def _retrying(self, attempt: Callable[[], T]) -> T:
        """Run a whole transaction, again if it lost a race (up to SAVE_ATTEMPTS times)."""
        for n in range(1, SAVE_ATTEMPTS + 1):
            with store_errors(self._url):
                try:
                    return attempt()
                except DBAPIError as exc:
                    if n == SAVE_ATTEMPTS or not _lost_race(exc):
                        raise
        raise AssertionError("unreachable")

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in an ORM write transaction, again if it lost a race."""

        def attempt() -> T:
            with self._write_lock, Session(self._writer) as session, session.begin():
                return work(session)

        return self._retrying(attempt)

    def _write_core(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` on a connection in a write transaction, again if it lost a race."""

        def attempt() -> T:
            with self._write_lock, self._writer.begin() as conn:
                return work(conn)

        return self._retrying(attempt)

    # -- lookups ------------------------------------------------------------------

    @staticmethod
    def _article_id(session: Session, *urls: str | None) -> int | None:
        """The article any of ``urls`` belongs to, trying them in order."""
        wanted = [u for u in dict.fromkeys(urls) if u]
        if not wanted:
            return None
        rows = dict(session.execute(
            select(ArticleUrlRow.url, ArticleUrlRow.article_id)
            .where(ArticleUrlRow.url.in_(wanted))).all())
        return next((rows[u] for u in wanted if u in rows), None)

    def _require_article(self, session: Session, url: str) -> ArticleRow:
        article_id = self._article_id(session, url)
        if article_id is None:
            raise NotFound(f"no article archived at {url}", url=url)
        return session.get_one(ArticleRow, article_id)

    # -- writing ------------------------------------------------------------------

    def record(self, observations: Sequence[Observation]) -> list[SaveResult | None]:
        """Store observations in order, all in one transaction (a group commit).

        An observation with a snapshot gives its :class:`SaveResult` (a new version if
        its content differs from the latest, its fetch logged with the outcome and
        version number the save came to); a fetch logged alone gives None.
        """
        work = [saving.prepare(o.snapshot, o.fetch, o.aliases) if o.snapshot else o
                for o in observations]

        saves = [(n, w) for n, w in enumerate(work) if isinstance(w, saving.PreparedSave)]
        alone = [u for w in work if isinstance(w, Observation)
                 for u in (w.fetch.url, w.fetch.final_url) if u]

        def write(conn: Connection) -> list[SaveResult | None]:
            results: list[SaveResult | None] = [None] * len(work)
            fresh = [saves[k] for k in saving.unrelated_new(conn, [w for _, w in saves], alone)]
            done = saving.save_new(conn, [w for _, w in fresh], self._word_delta)
            for (n, _), result in zip(fresh, done, strict=True):
                results[n] = result
            taken = {n for n, _ in fresh}
            for n, w in enumerate(work):
                if n in taken:
                    continue
                if isinstance(w, saving.PreparedSave):
                    results[n] = saving.save(conn, w, self._word_delta)
                else:
                    saving.log_fetch(conn, w.fetch, w.source)
            return results

        return self._write_core(write)

    def save(self, snapshot: Snapshot, fetch: Fetch, *, aliases: Iterable[str] = ()
             ) -> SaveResult:
        """Store a snapshot: a new version if its content differs from the latest."""
        (result,) = self.record([Observation(fetch, snapshot, tuple(aliases))])
        assert result is not None
        return result

    def log_fetch(self, fetch: Fetch, *, source: str | None = None) -> None:
        """Record a fetch that stored nothing: a failure, a skip or a 304.

        A 304 also counts as a sighting of the latest version (last_seen, times_seen).
        """
        self.record([Observation(fetch, source=source)])

    # -- scheduling -------------------------------------------------------------------

    def track(self, links: Sequence[DiscoveredLink], *, source: str | None,
              now: datetime) -> int:
        """Track discovered links; returns how many are new articles.

        A new URL becomes an article due now. A known article whose link says it was
        updated after its last check is made due now, retired or not; a known article
        discovery had not tracked yet becomes tracked and due now.
        """
        newest = list(scheduling.newest_links(links).items())
        size = scheduling.TRACK_CHUNK
        return sum(self._write(partial(scheduling.track, links=dict(newest[i:i + size]),
                                       source=source, now=now))
                   for i in range(0, len(newest), size))

    def claim_due(self, *, worker: str, now: datetime, limit: int, lease: timedelta,
                  sources: Sequence[str] | None = None) -> tuple[Claim, ...]:
        """Lease up to ``limit`` due articles to ``worker`` until ``now + lease``.

        Never-checked articles come first, then the most overdue relative to their
        interval. An article leased to another worker is skipped until its lease expires.
        """
        return self._write(lambda session: scheduling.claim_due(
            session, worker=worker, now=now, limit=limit, lease=lease, sources=sources))

    def release(self, article_id: int, *, worker: str, next_check_at: datetime | None,
                interval: timedelta | None) -> None:
        """End ``worker``'s lease and schedule the next check (None: retired).

        Nothing happens when the lease has passed to another worker.
        """
        self._write(lambda session: scheduling.release(
            session, article_id, worker=worker, next_check_at=next_check_at,
            interval=interval))

    def claim_source(self, name: str, *, worker: str, now: datetime,
                     lease: timedelta) -> bool:
        """Lease discovery of source ``name`` to ``worker``; False if another holds it."""
        return self._write(lambda session: scheduling.claim_source(
            session, name, worker=worker, now=now, lease=lease))

    def finish_source(self, name: str, *, worker: str, now: datetime) -> None:
        """Record the source's discovery as run at ``now`` and end the lease."""
        self._write(lambda session: scheduling.finish_source(
            session, name, worker=worker, now=now))

    def reserve_host(self, host: str, *, now: datetime, delay: timedelta) -> datetime:
        """When this worker may send its next request to ``host`` (at or after ``now``).

        Slots are ``delay`` apart across every worker sharing the archive.
        """
        return self._write(lambda session: scheduling.reserve_host(
            session, host, now=now, delay=delay))

    def status(self, *, now: datetime, tier_ages: Sequence[tuple[str, timedelta]],
               window: timedelta) -> tuple[SourceStatus, ...]:
        """Per source: last run, tracked articles per tier, what is due, recent failures.

        ``tier_ages`` are the tiers' (label, upper age) pairs, youngest first.
        """
        with self._reading() as session:
            return source_status(session, now=now, tier_ages=tier_ages, window=window)

    # -- reading ------------------------------------------------------------------

    def conditional_headers(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) of the article's latest successful fetch, by any URL."""
        f, u = saving.FETCHES, saving.ARTICLE_URLS
        with_validators = f.c.etag.is_not(None) | f.c.last_modified.is_not(None)
        query = (select(f.c.etag, f.c.last_modified)
                 .where(f.c.article_id == select(u.c.article_id).where(u.c.url == url)
                        .scalar_subquery(),
                        f.c.outcome.in_([o.value for o in SUCCESSFUL]),
                        (f.c.outcome != Outcome.NOT_MODIFIED.value) | with_validators)
                 .order_by(f.c.fetched_at.desc(), f.c.id.desc()).limit(1))
        with store_errors(self._url), self._engine.connect() as conn:
            row = conn.execute(query).first()
        return (row.etag, row.last_modified) if row else (None, None)

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Those of ``urls`` that lead to an archived article (or one being tracked)."""
        wanted = list(dict.fromkeys(urls))
        known: set[str] = set()
        with store_errors(self._url), self._engine.connect() as conn:
            for i in range(0, len(wanted), scheduling.TRACK_CHUNK):
                known.update(saving.article_ids(conn, wanted[i:i + scheduling.TRACK_CHUNK]))
        return known

    def history(self, url: str) -> tuple[Version, ...]:
        """Every version of the article ``url`` leads to, oldest first."""
        with self._reading() as session:
            article = self._require_article(session, url)
            rows = session.scalars(select(VersionRow).where(VersionRow.article_id == article.id)
                                   .order_by(VersionRow.number)).all()
            if not rows:
                raise NotFound(f"no versions archived for {url}", url=url)
            return tuple(version_of(row, article.url) for row in rows)

    def version(self, url: str, number: int | None = None) -> Version:
        """Version ``number`` of the article (1 is the first), or the latest for None."""
        with self._reading() as session:
            article = self._require_article(session, url)
            query = select(VersionRow).where(VersionRow.article_id == article.id)
            if number is None:
                row = session.scalars(query.order_by(VersionRow.number.desc()).limit(1)).first()
            else:
                row = session.scalars(query.where(VersionRow.number == number)).first()
            if row is None:
                what = "no versions" if number is None else f"no version {number}"
                raise NotFound(f"{what} of {article.url}", url=url, version=number)
            return version_of(row, article.url)

    def fetch_log(self, url: str | None = None, *, limit: int = 100) -> tuple[Fetch, ...]:
        """Fetch attempts, newest first: all of them, or those of one article or URL."""
        with self._reading() as session:
            query = select(FetchRow)
            if url is not None:
                article_id = self._article_id(session, url)
                query = query.where((FetchRow.url == url) | (FetchRow.article_id == article_id)
                                    if article_id is not None else FetchRow.url == url)
            rows = session.scalars(query.order_by(FetchRow.fetched_at.desc(), FetchRow.id.desc())
                                   .limit(limit)).all()
            return tuple(fetch_of(row) for row in rows)

    def raw_page(self, sha256: str) -> RawPage:
        """The raw response body with this SHA-256, decompressed."""
        with self._reading() as session:
            row = session.get(RawPageRow, sha256.lower())
            if row is None:
                raise NotFound(f"no raw page with SHA-256 {sha256}")
            return raw_page_of(row)

    def article_url(self, url: str) -> str | None:
        """The identity URL of the article ``url`` leads to, or None."""
        with self._reading() as session:
            article_id = self._article_id(session, url)
            if article_id is None:
                return None
            return session.get_one(ArticleRow, article_id).url
