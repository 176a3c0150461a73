"""Saving snapshots and logging fetches: a handful of Core statements per save.

Everything that needs no database (the raw page's hash check and zstd compression,
the column values of the version and the fetch-log row) is prepared by
:func:`prepare` before the write transaction opens. Inside it, a save of a page
never seen before is six statements (raw page, URL lookup, article, its URLs,
version, fetch log); a save of a known article locks its row (``FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the write lock), reads the
latest version's hash, and either counts a sighting or numbers a new version.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from newsarchiver.models import Fetch, Outcome, SaveResult, Snapshot
from newsarchiver.store import scheduling
from newsarchiver.store.records import WordDelta, dump_list, raw_page_row
from newsarchiver.store.schema import Base, UTCDateTime

ARTICLES: Table = Base.metadata.tables["articles"]
ARTICLE_URLS: Table = Base.metadata.tables["article_urls"]
VERSIONS: Table = Base.metadata.tables["versions"]
FETCHES: Table = Base.metadata.tables["fetches"]
RAW_PAGES: Table = Base.metadata.tables["raw_pages"]


def later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _at(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())


# Statements built once (compiling is cached, building is not).
_a, _u, _v = ARTICLES.c, ARTICLE_URLS.c, VERSIONS.c
LOOKUP = select(_u.url, _u.article_id).where(_u.url.in_(bindparam("urls", expanding=True)))
ARTICLE_BY_URL = select(_a.id).where(_a.url == bindparam("b_url"))
LOCK_ARTICLE = (select(_a.source, _a.tracked_at, _a.last_checked_at, _a.last_changed_at)
                .where(_a.id == bindparam("b_id")).with_for_update())
#: Update the article's columns named in the parameters (``b_id`` picks the row).
UPDATE_ARTICLE = update(ARTICLES).where(_a.id == bindparam("b_id"))
LATEST = (select(_v.id, _v.number, _v.content_hash, _v.last_seen_at)
          .where(_v.article_id == bindparam("b_article")).order_by(_v.number.desc()).limit(1))
VERSION_BODY = select(_v.body).where(_v.id == bindparam("b_id"))
SIGHTING = (update(VERSIONS).where(_v.id == bindparam("b_id"))
            .values(times_seen=_v.times_seen + 1, last_seen_at=_at("b_seen")))
INSERT_VERSION = VERSIONS.insert()
INSERT_FETCH = FETCHES.insert()
#: New articles, many at once, their ids in the order of the rows given.
INSERT_ARTICLES = ARTICLES.insert().returning(_a.id, sort_by_parameter_order=True)
INSERT_ARTICLE_URLS = ARTICLE_URLS.insert()


@dataclass(frozen=True, slots=True)
class Statements:
    """The INSERT ... ON CONFLICT DO NOTHING statements of one backend, built once."""

    raw_page: Any
    article: Any
    article_urls: Any


@cache
def statements(dialect: str) -> Statements:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return Statements(
        raw_page=insert(RAW_PAGES).on_conflict_do_nothing(index_elements=["sha256"]),
        article=insert(ARTICLES).on_conflict_do_nothing(index_elements=["url"])
        .returning(_a.id),
        article_urls=insert(ARTICLE_URLS).on_conflict_do_nothing(index_elements=["url"]),
    )


@dataclass(frozen=True, slots=True)
class PreparedSave:
    """A save with everything computed that can be before the transaction."""

    snapshot: Snapshot
    fetch: Fetch
    #: The article's identity URL: its canonical URL, else the URL it was saved from.
    key: str
    #: Every URL that leads to the article, identity first.
    urls: tuple[str, ...]
    raw_row: dict[str, object] | None
    raw_sha256: str | None


def prepare(snapshot: Snapshot, fetch: Fetch, aliases: Iterable[str]) -> PreparedSave:
    """Check and compress the raw page, and resolve the article's URLs."""
    key = snapshot.article.canonical_url or snapshot.url
    urls = tuple(u for u in dict.fromkeys([key, snapshot.url, *aliases]) if u)
    raw = snapshot.raw
    raw_row = raw_page_row(raw, snapshot.seen_at) if raw is not None else None
    raw_sha256 = fetch.raw_sha256 or (raw.sha256 if raw is not None else None)
    return PreparedSave(snapshot, fetch, key, urls, raw_row, raw_sha256)


def article_ids(conn: Connection, urls: Sequence[str]) -> dict[str, int]:
    """The article each of ``urls`` leads to, for those that lead to one."""
    if not urls:
        return {}
    return dict(conn.execute(LOOKUP, {"urls": list(urls)}).all())


def first_article_id(conn: Connection, urls: Sequence[str]) -> int | None:
    """The article the first of ``urls`` that leads to one leads to."""
    wanted = [u for u in dict.fromkeys(urls) if u]
    known = article_ids(conn, wanted)
    return next((known[u] for u in wanted if u in known), None)


def _version_values(snapshot: Snapshot, article_id: int, number: int,
                    delta: tuple[int, int]) -> dict[str, object]:
    article = snapshot.article
    return {
        "article_id": article_id, "number": number, "content_hash": snapshot.content_hash,
        "first_seen_at": snapshot.seen_at, "last_seen_at": snapshot.seen_at, "times_seen": 1,
        "title": article.title, "authors": dump_list(article.authors),
        "published_at": article.published, "modified_at": article.modified,
        "language": article.language, "canonical_url": article.canonical_url,
        "site_name": article.site_name, "description": article.description,
        "body": article.body, "structured": article.structured,
        "words_added": delta[0], "words_removed": delta[1],
        "raw_sha256": snapshot.raw.sha256 if snapshot.raw else None,
    }


def _log_values(fetch: Fetch, *, article_id: int | None, outcome: Outcome,
                version: int | None, raw_sha256: str | None, source: str | None
                ) -> dict[str, object]:
    return {
        "fetched_at": fetch.fetched_at, "url": fetch.url, "article_id": article_id,
        "outcome": outcome.value, "status": fetch.status, "final_url": fetch.final_url,
        "etag": fetch.etag, "last_modified": fetch.last_modified, "raw_sha256": raw_sha256,
        "duration_ms": fetch.duration_ms, "error_class": fetch.error_class,
        "error_message": fetch.error_message, "version": version,
        "notes": dump_list(fetch.notes), "source": source,
    }


def _log(conn: Connection, fetch: Fetch, *, article_id: int | None, outcome: Outcome,
         version: int | None, raw_sha256: str | None, source: str | None) -> None:
    conn.execute(INSERT_FETCH, _log_values(
        fetch, article_id=article_id, outcome=outcome, version=version,
        raw_sha256=raw_sha256, source=source))


def unrelated_new(conn: Connection, saves: Sequence[PreparedSave],
                  others: Iterable[str]) -> list[int]:
    """The positions of the saves of new articles that no other write of the batch touches.

    Such a save leads to no article yet by any of its URLs, and shares none with another
    save or with ``others`` (the URLs of the batch's fetches logged alone), so it can be
    written with the others like it in a few statements, in any order.
    """
    count: Counter[str] = Counter(u for p in saves for u in p.urls)
    count.update(others)
    alone = [n for n, p in enumerate(saves) if all(count[u] == 1 for u in p.urls)]
    if not alone:  # nothing to look up (a batch of fetches logged alone, say)
        return []
    known = article_ids(conn, [u for n in alone for u in saves[n].urls])
    return [n for n in alone if not any(u in known for u in saves[n].urls)]


def save_new(conn: Connection, saves: Sequence[PreparedSave],
             word_delta: WordDelta) -> list[SaveResult]:
    """Store the first versions of new, unrelated articles (see :func:`unrelated_new`).

    The same rows as :func:`save` writes for each, in one statement a table. A
    concurrent writer that inserted one of the articles meanwhile makes the whole
    transaction fail on a unique key, to be tried again (and then saved one by one).
    """
    if not saves:
        return []
    raw_rows = {p.raw_row["sha256"]: p.raw_row for p in saves if p.raw_row is not None}
    if raw_rows:
        conn.execute(statements(conn.dialect.name).raw_page, list(raw_rows.values()))
    ids = conn.execute(INSERT_ARTICLES, [_article_row(p) for p in saves]).scalars().all()
    conn.execute(INSERT_ARTICLE_URLS, [
        row for p, article_id in zip(saves, ids, strict=True)
        for row in _url_rows(p, article_id, p.urls)])
    conn.execute(INSERT_VERSION, [
        _version_values(p.snapshot, article_id, 1, _first_delta(p.snapshot, word_delta))
        for p, article_id in zip(saves, ids, strict=True)])
    conn.execute(INSERT_FETCH, [
        _log_values(p.fetch, article_id=article_id, outcome=Outcome.NEW, version=1,
                    raw_sha256=p.raw_sha256, source=p.snapshot.source)
        for p, article_id in zip(saves, ids, strict=True)])
    return [SaveResult(outcome=Outcome.NEW, article_id=article_id, version=1,
                       last_changed_at=p.snapshot.seen_at)
            for p, article_id in zip(saves, ids, strict=True)]


def _article_row(p: PreparedSave) -> dict[str, object]:
    """The row of the article a save creates."""
    return {"url": p.key, "source": p.snapshot.source, "first_seen_at": p.snapshot.seen_at,
            "last_checked_at": p.fetch.fetched_at, "last_changed_at": p.snapshot.seen_at}


def _url_rows(p: PreparedSave, article_id: int, urls: Iterable[str]
              ) -> list[dict[str, object]]:
    """The ``article_urls`` rows that make ``urls`` lead to the article."""
    return [{"url": u, "article_id": article_id, "first_seen_at": p.snapshot.seen_at}
            for u in urls]


def _first_delta(snapshot: Snapshot, word_delta: WordDelta) -> tuple[int, int]:
    """Words added and removed by an article's first version: all of its words."""
    if snapshot.words is not None:
        return snapshot.words, 0
    return word_delta("", snapshot.article.body)


def save(conn: Connection, p: PreparedSave, word_delta: WordDelta) -> SaveResult:
    """Store a prepared snapshot in the connection's (write) transaction."""
    st = statements(conn.dialect.name)
    if p.raw_row is not None:
        conn.execute(st.raw_page, p.raw_row)
    known = article_ids(conn, p.urls)
    article_id = next((known[u] for u in p.urls if u in known), None)
    if article_id is None:
        article_id = conn.execute(st.article, _article_row(p)).scalar()
        if article_id is not None:  # a new article: this transaction holds its row
            conn.execute(st.article_urls, _url_rows(p, article_id, p.urls))
            return _new_version(conn, p, article_id, None, None, word_delta)
        article_id = conn.execute(ARTICLE_BY_URL, {"b_url": p.key}).scalar_one()
    return _save_known(conn, p, article_id, [u for u in p.urls if u not in known], word_delta)


def _save_known(conn: Connection, p: PreparedSave, article_id: int, new_urls: list[str],
                word_delta: WordDelta) -> SaveResult:
    snap, fetch = p.snapshot, p.fetch
    article = conn.execute(LOCK_ARTICLE, {"b_id": article_id}).one()
    if new_urls:
        conn.execute(statements(conn.dialect.name).article_urls,
                     _url_rows(p, article_id, new_urls))
    changes: dict[str, object] = {}
    if article.source is None and snap.source is not None:
        changes["source"] = snap.source
        if article.tracked_at is not None:
            scheduling.count_tracked(conn, snap.source, 1)
    checked = later(article.last_checked_at, fetch.fetched_at)
    if checked != article.last_checked_at:
        changes["last_checked_at"] = checked
    latest = conn.execute(LATEST, {"b_article": article_id}).first()
    if latest is None or latest.content_hash != snap.content_hash:
        return _new_version(conn, p, article_id, latest, changes, word_delta)
    conn.execute(SIGHTING, {"b_id": latest.id,
                            "b_seen": later(latest.last_seen_at, snap.seen_at)})
    if changes:
        conn.execute(UPDATE_ARTICLE, {"b_id": article_id, **changes})
    _log(conn, fetch, article_id=article_id, outcome=Outcome.UNCHANGED, version=latest.number,
         raw_sha256=p.raw_sha256, source=snap.source)
    return SaveResult(outcome=Outcome.UNCHANGED, article_id=article_id, version=latest.number,
                      last_changed_at=article.last_changed_at)


def _new_version(conn: Connection, p: PreparedSave, article_id: int, latest: Any,
                 changes: dict[str, object] | None, word_delta: WordDelta) -> SaveResult:
    """Number and insert a new version; ``latest`` is the article's newest, if any.

    ``changes`` are updates to the article row, None for an article this
    transaction inserted (its row already says it changed now).
    """
    snap = p.snapshot
    if latest is None:
        number, outcome = 1, Outcome.NEW
        delta = _first_delta(snap, word_delta)
    else:
        number, outcome = latest.number + 1, Outcome.CHANGED
        before = conn.execute(VERSION_BODY, {"b_id": latest.id}).scalar_one()
        delta = word_delta(before, snap.article.body)
    conn.execute(INSERT_VERSION, _version_values(snap, article_id, number, delta))
    if changes is not None:
        conn.execute(UPDATE_ARTICLE,
                     {"b_id": article_id, **changes, "last_changed_at": snap.seen_at})
    _log(conn, p.fetch, article_id=article_id, outcome=outcome, version=number,
         raw_sha256=p.raw_sha256, source=snap.source)
    return SaveResult(outcome=outcome, article_id=article_id, version=number,
                      last_changed_at=snap.seen_at)


def log_fetch(conn: Connection, fetch: Fetch, source: str | None) -> None:
    """Log a fetch that stored nothing; a 304 counts as a sighting of the latest version."""
    article_id = first_article_id(conn, [fetch.url, fetch.final_url or ""])
    version = fetch.version
    if article_id is not None:
        checked = conn.execute(LOCK_ARTICLE, {"b_id": article_id}).one().last_checked_at
        if checked is None or fetch.fetched_at > checked:
            conn.execute(UPDATE_ARTICLE, {"b_id": article_id,
                                          "last_checked_at": fetch.fetched_at})
        if fetch.outcome is Outcome.NOT_MODIFIED:
            latest = conn.execute(LATEST, {"b_article": article_id}).first()
            if latest is not None:
                conn.execute(SIGHTING, {"b_id": latest.id,
                                        "b_seen": later(latest.last_seen_at, fetch.fetched_at)})
                version = latest.number
    _log(conn, fetch, article_id=article_id, outcome=fetch.outcome, version=version,
         raw_sha256=fetch.raw_sha256, source=source)
