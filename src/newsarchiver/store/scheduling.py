"""Scheduling state in the archive: tracked articles, leases, host slots.

Each function runs inside a write transaction the :class:`~newsarchiver.store.Archive`
opens (``BEGIN IMMEDIATE`` on SQLite, which serialises writers; an ordinary
transaction on PostgreSQL, where row locks and ``SKIP LOCKED`` keep workers apart).

* An article is *tracked* once discovery has found it (``tracked_at``); only tracked
  articles are scheduled. ``next_check_at`` NULL on a tracked article means retired.
  ``sources.tracked_articles`` counts a source's tracked articles, kept in step by
  :func:`track` (and by a save that gives a tracked article its first source), so the
  status report counts the retired ones without reading them.
* A lease (``lease_owner``, ``lease_expires_at``) gives one worker an article or a
  source's discovery; a lease that has expired (``lease_expires_at < now``) may be
  taken by anyone, so a worker that dies loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from newsarchiver.models import Claim, DiscoveredLink
from newsarchiver.store.schema import ArticleRow, ArticleUrlRow, HostRow, SourceRow, UTCDateTime

#: Links looked up and inserted per statement (and per transaction) by :func:`track`.
TRACK_CHUNK = 500


def upsert(session: Session | Connection, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT, for the session's (or connection's) backend."""
    bind = session if isinstance(session, Connection) else session.get_bind()
    dialect = bind.dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def newest_links(links: Sequence[DiscoveredLink]) -> dict[str, datetime | None]:
    """Each URL once, with the newest ``updated`` any listing gave it."""
    newest: dict[str, datetime | None] = {}
    for link in links:
        updated = _aware(link.updated) if link.updated is not None else None
        current = newest.get(link.url)
        if link.url not in newest or (updated is not None
                                      and (current is None or updated > current)):
            newest[link.url] = updated
    return newest


def track(session: Session, links: dict[str, datetime | None], *, source: str | None,
          now: datetime) -> int:
    """Track a chunk of links (URL -> updated); returns how many articles are new."""
    a = ArticleRow
    urls = sorted(links)  # one order for every worker: fewer lock waits, no deadlocks
    known: dict[str, int] = {
        url: article_id for url, article_id in session.execute(
            select(ArticleUrlRow.url, ArticleUrlRow.article_id)
            .where(ArticleUrlRow.url.in_(urls)))}
    new = _insert_unknown(session, [u for u in urls if u not in known], source, now)
    count_tracked(session, source, new)
    if not known:
        return new
    states = session.execute(
        select(a.id, a.tracked_at, a.last_checked_at)
        .where(a.id.in_(set(known.values())))).all()
    updated_of: dict[int, datetime] = {}
    for url, article_id in known.items():
        updated = links[url]
        if updated is not None and (article_id not in updated_of
                                    or updated > updated_of[article_id]):
            updated_of[article_id] = updated
    untracked = [s.id for s in states if s.tracked_at is None]
    due = [s.id for s in states if s.tracked_at is None or (
        s.id in updated_of
        and (s.last_checked_at is None or updated_of[s.id] > s.last_checked_at))]
    if untracked:
        for name in session.scalars(
                update(a).where(a.id.in_(untracked), a.tracked_at.is_(None))
                .values(tracked_at=now, source=func.coalesce(a.source, source))
                .returning(a.source).execution_options(synchronize_session=False)).all():
            count_tracked(session, name, 1)
    if due:
        session.execute(update(a).where(a.id.in_(due),
                                        or_(a.next_check_at.is_(None), a.next_check_at > now))
                        .values(next_check_at=now)
                        .execution_options(synchronize_session=False))
    return new


def count_tracked(session: Session | Connection, source: str | None, articles: int) -> None:
    """Add ``articles`` newly tracked articles to the source's count."""
    if source is None or not articles:
        return
    s = SourceRow
    insert = upsert(session, s).values(name=source, tracked_articles=articles)
    session.execute(insert.on_conflict_do_update(
        index_elements=["name"],
        set_={"tracked_articles": s.tracked_articles + insert.excluded.tracked_articles}))


def _insert_unknown(session: Session, urls: list[str], source: str | None,
                    now: datetime) -> int:
    """Insert articles for unknown URLs; a URL another worker took meanwhile is skipped."""
    if not urls:
        return 0
    inserted: dict[str, int] = {url: article_id for url, article_id in session.execute(
        upsert(session, ArticleRow)
        .values([{"url": u, "source": source, "first_seen_at": now, "tracked_at": now,
                  "next_check_at": now} for u in urls])
        .on_conflict_do_nothing(index_elements=["url"])
        .returning(ArticleRow.url, ArticleRow.id))}
    if not inserted:
        return 0
    claimed = set(session.scalars(
        upsert(session, ArticleUrlRow)
        .values([{"url": u, "article_id": i, "first_seen_at": now}
                 for u, i in sorted(inserted.items())])
        .on_conflict_do_nothing(index_elements=["url"])
        .returning(ArticleUrlRow.url)).all())
    orphans = [i for u, i in inserted.items() if u not in claimed]
    if orphans:  # the URL became an alias of another article meanwhile
        session.execute(delete(ArticleRow).where(ArticleRow.id.in_(orphans))
                        .execution_options(synchronize_session=False))
    return len(inserted) - len(orphans)


def lateness(session: Session, now: datetime) -> ColumnElement[Any]:
    """How late a due article is, in check intervals (NULL for an article never checked)."""
    a = ArticleRow
    at = literal(now, UTCDateTime)
    if session.get_bind().dialect.name == "postgresql":
        seconds: ColumnElement[Any] = func.extract("epoch", at - a.next_check_at)
    else:
        seconds = (func.julianday(at) - func.julianday(a.next_check_at)) * 86400.0
    return cast(seconds, Float) / a.check_interval_s


def due_query(session: Session, *, now: datetime, limit: int,
              sources: Sequence[str] | None) -> Any:
    """Due, unleased articles: never-checked first, then the latest relative to interval."""
    a = ArticleRow
    query = (select(a.id, a.url, a.source, a.next_check_at, a.first_seen_at,
                    a.last_changed_at)
             .where(a.next_check_at <= now,
                    or_(a.lease_expires_at.is_(None), a.lease_expires_at < now)))
    if sources is not None:
        query = query.where(a.source.in_(list(sources)))
    return (query.order_by(a.check_interval_s.is_not(None), lateness(session, now).desc(),
                           a.next_check_at, a.id)
            .limit(limit))


def claim_due(session: Session, *, worker: str, now: datetime, limit: int,
              lease: timedelta, sources: Sequence[str] | None) -> tuple[Claim, ...]:
    """Lease up to ``limit`` due articles to ``worker``; rows locked elsewhere are skipped."""
    if limit <= 0:
        return ()
    query = due_query(session, now=now, limit=limit, sources=sources)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=ArticleRow, skip_locked=True)
    rows = session.execute(query).all()
    if not rows:
        return ()
    expires = now + lease
    session.execute(update(ArticleRow).where(ArticleRow.id.in_([r.id for r in rows]))
                    .values(lease_owner=worker, lease_expires_at=expires)
                    .execution_options(synchronize_session=False))
    return tuple(Claim(article_id=r.id, url=r.url, source=r.source,
                       next_check_at=r.next_check_at, lease_expires_at=expires,
                       first_seen_at=r.first_seen_at, last_changed_at=r.last_changed_at)
                 for r in rows)


def release(session: Session, article_id: int, *, worker: str,
            next_check_at: datetime | None, interval: timedelta | None) -> bool:
    """End ``worker``'s lease and set the next check; False if the lease was lost."""
    seconds = None if interval is None else max(1, round(interval.total_seconds()))
    result = session.execute(
        update(ArticleRow)
        .where(ArticleRow.id == article_id, ArticleRow.lease_owner == worker)
        .values(lease_owner=None, lease_expires_at=None, next_check_at=next_check_at,
                check_interval_s=seconds)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def claim_source(session: Session, name: str, *, worker: str, now: datetime,
                 lease: timedelta) -> bool:
    """Lease a source's discovery to ``worker`` unless another worker holds it."""
    s = SourceRow
    session.execute(upsert(session, s).values(name=name)
                    .on_conflict_do_nothing(index_elements=["name"]))
    result = session.execute(
        update(s).where(s.name == name,
                        or_(s.lease_owner.is_(None), s.lease_owner == worker,
                            s.lease_expires_at.is_(None), s.lease_expires_at < now))
        .values(lease_owner=worker, lease_expires_at=now + lease)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def finish_source(session: Session, name: str, *, worker: str, now: datetime) -> None:
    """Record a finished discovery run and end ``worker``'s lease on the source."""
    s = SourceRow
    session.execute(update(s).where(s.name == name, s.lease_owner == worker)
                    .values(last_run_at=now, lease_owner=None, lease_expires_at=None)
                    .execution_options(synchronize_session=False))


def reserve_host(session: Session, host: str, *, now: datetime, delay: timedelta) -> datetime:
    """Take the host's next request slot: ``max(next_request_at, now)``; push it by ``delay``."""
    h = HostRow
    session.execute(upsert(session, h).values(host=host, next_request_at=now)
                    .on_conflict_do_nothing(index_elements=["host"]))
    current = session.scalars(select(h.next_request_at).where(h.host == host)
                              .with_for_update()).one()
    start = max(current, now)
    session.execute(update(h).where(h.host == host)
                    .values(next_request_at=start + delay)
                    .execution_options(synchronize_session=False))
    return start
