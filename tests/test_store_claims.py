"""Scheduling state in the archive, on SQLite and PostgreSQL: tracking, leases on due
articles and on discovery, per-host slots, and the status report."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from newsarchiver.models import DiscoveredLink, Fetch, Outcome
from newsarchiver.store import Archive
from newsarchiver.store.scheduling import due_query
from newsarchiver.store.status import scheduled_query
from tests.test_store import fetch_for, snapshot

T0 = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
LEASE = timedelta(minutes=10)
TIERS = (("<3h", timedelta(hours=3)), ("<1d", timedelta(days=1)),
         ("<7d", timedelta(days=7)), ("<30d", timedelta(days=30)))


def url(n: int) -> str:
    return f"https://news.example/story/{n}"


def links(*numbers: int, updated: datetime | None = None) -> list[DiscoveredLink]:
    return [DiscoveredLink(url(n), updated=updated) for n in numbers]


@pytest.fixture
def archive(db_url: str) -> Iterator[Archive]:
    with Archive.open(db_url) as arc:
        yield arc


def claim_all(arc: Archive, worker: str, now: datetime, limit: int = 100) -> list[str]:
    return [c.url for c in arc.claim_due(worker=worker, now=now, limit=limit, lease=LEASE)]


def test_tracked_links_are_due_now(archive: Archive) -> None:
    assert archive.track(links(1, 2, 2, 3), source="example", now=T0) == 3
    assert archive.track(links(2, 3, 4), source="example", now=T0) == 1
    assert claim_all(archive, "w1", T0 - timedelta(seconds=1)) == []
    claims = archive.claim_due(worker="w1", now=T0, limit=10, lease=LEASE)
    assert sorted(c.url for c in claims) == [url(n) for n in (1, 2, 3, 4)]
    first = claims[0]
    assert (first.source, first.next_check_at, first.lease_expires_at) == (
        "example", T0, T0 + LEASE)
    assert first.first_seen_at == T0 and first.last_changed_at is None


def test_tracking_an_archived_url_makes_it_tracked(archive: Archive) -> None:
    snap = snapshot("body", url=url(1))
    archive.save(snap, fetch_for(snap), aliases=[url(9)])
    assert claim_all(archive, "w1", T0 + timedelta(days=1)) == []  # archived, not tracked
    assert archive.track(links(9), source="example", now=T0 + timedelta(hours=1)) == 0
    assert claim_all(archive, "w1", T0 + timedelta(hours=1)) == [url(1)]


def test_limit_and_order_most_overdue_relative_to_interval(archive: Archive) -> None:
    archive.track(links(1, 2, 3, 4), source="example", now=T0)
    claims = {c.url: c for c in archive.claim_due(worker="w", now=T0, limit=4, lease=LEASE)}
    # 1: every 15 min, due at T0+15m; 2: every 3 days, due at T0+1h; 3: hourly, due T0+2h
    plan = {1: timedelta(minutes=15), 2: timedelta(days=3), 3: timedelta(hours=1)}
    due = {1: T0 + timedelta(minutes=15), 2: T0 + timedelta(hours=1),
           3: T0 + timedelta(hours=2)}
    for n, every in plan.items():
        archive.release(claims[url(n)].article_id, worker="w", next_check_at=due[n],
                        interval=every)
    archive.release(claims[url(4)].article_id, worker="w", next_check_at=None, interval=None)
    archive.track(links(5), source="example", now=T0 + timedelta(hours=2))
    now = T0 + timedelta(hours=2)  # lateness: 1 -> 7.0, 2 -> 0.014, 3 -> 0.0; 5 is new
    assert claim_all(archive, "w", now, limit=2) == [url(5), url(1)]
    assert claim_all(archive, "w", now, limit=5) == [url(2), url(3)]
    expired = now + timedelta(days=365)  # the leases have run out; 4 is retired
    assert sorted(claim_all(archive, "w", expired)) == [url(n) for n in (1, 2, 3, 5)]


def test_leases_exclude_other_workers_until_they_expire(archive: Archive) -> None:
    archive.track(links(1, 2), source="example", now=T0)
    assert len(claim_all(archive, "w1", T0)) == 2
    assert claim_all(archive, "w2", T0 + timedelta(minutes=5)) == []
    assert claim_all(archive, "w2", T0 + LEASE) == []  # expires strictly after
    late = T0 + LEASE + timedelta(seconds=1)
    taken = archive.claim_due(worker="w2", now=late, limit=10, lease=LEASE)
    assert len(taken) == 2
    # w1's release comes too late: w2 owns the articles now and nothing changes.
    archive.release(taken[0].article_id, worker="w1", next_check_at=None, interval=None)
    assert claim_all(archive, "w3", late + LEASE + timedelta(seconds=1)) != []


def test_release_reschedules_and_retires(archive: Archive) -> None:
    archive.track(links(1, 2), source="example", now=T0)
    one, two = archive.claim_due(worker="w", now=T0, limit=2, lease=LEASE)
    archive.release(one.article_id, worker="w", next_check_at=T0 + timedelta(hours=1),
                    interval=timedelta(hours=1))
    archive.release(two.article_id, worker="w", next_check_at=None, interval=None)
    assert claim_all(archive, "w", T0 + timedelta(minutes=59)) == []
    (again,) = archive.claim_due(worker="w", now=T0 + timedelta(hours=1), limit=5, lease=LEASE)
    assert again.url == one.url
    archive.release(again.article_id, worker="w", next_check_at=None, interval=None)
    assert claim_all(archive, "w", T0 + timedelta(days=100)) == []


def test_newer_updated_makes_an_article_due(archive: Archive) -> None:
    archive.track(links(1, 2), source="example", now=T0)
    for claim in archive.claim_due(worker="w", now=T0, limit=2, lease=LEASE):
        snap = snapshot(f"body of {claim.url}", url=claim.url, at=T0)
        archive.save(snap, fetch_for(snap))
        retire = claim.url == url(1)
        archive.release(claim.article_id, worker="w",
                        next_check_at=None if retire else T0 + timedelta(days=3),
                        interval=None if retire else timedelta(days=3))
    later = T0 + timedelta(hours=1)
    archive.track(links(1, 2, updated=T0 - timedelta(minutes=1)), source="example", now=later)
    assert claim_all(archive, "w", later) == []  # listed as older than the last check
    archive.track(links(1, 2, updated=T0 + timedelta(minutes=30)), source="example", now=later)
    assert sorted(claim_all(archive, "w", later)) == [url(1), url(2)]


def test_save_leaves_the_lease_alone(archive: Archive) -> None:
    archive.track(links(1), source="example", now=T0)
    (claim,) = archive.claim_due(worker="w", now=T0, limit=1, lease=LEASE)
    snap = snapshot("first", url=url(1), at=T0)
    saved = archive.save(snap, fetch_for(snap))
    assert (saved.article_id, saved.last_changed_at) == (claim.article_id, T0)
    assert claim_all(archive, "other", T0 + timedelta(minutes=1)) == []


def test_claim_source_is_exclusive_until_finished_or_expired(archive: Archive) -> None:
    assert archive.claim_source("example", worker="w1", now=T0, lease=LEASE)
    assert not archive.claim_source("example", worker="w2", now=T0, lease=LEASE)
    assert archive.claim_source("other", worker="w2", now=T0, lease=LEASE)
    assert archive.claim_source("example", worker="w2", now=T0 + LEASE + timedelta(seconds=1),
                                lease=LEASE)
    archive.finish_source("example", worker="w1", now=T0 + LEASE)  # lost it: no effect
    assert not archive.claim_source("example", worker="w1", now=T0 + LEASE, lease=LEASE)
    archive.finish_source("example", worker="w2", now=T0 + 2 * LEASE)
    assert archive.claim_source("example", worker="w1", now=T0 + 2 * LEASE, lease=LEASE)
    (status,) = [s for s in archive.status(now=T0 + 2 * LEASE, tier_ages=TIERS,
                                           window=timedelta(days=1)) if s.name == "example"]
    assert status.last_run_at == T0 + 2 * LEASE


def test_reserve_host_spaces_requests_across_workers(archive: Archive) -> None:
    delay = timedelta(seconds=2)
    starts = [archive.reserve_host("news.example", now=T0, delay=delay) for _ in range(3)]
    assert starts == [T0, T0 + delay, T0 + 2 * delay]
    assert archive.reserve_host("other.example", now=T0, delay=delay) == T0
    later = T0 + timedelta(minutes=1)  # the slots have passed: now is free
    assert archive.reserve_host("news.example", now=later, delay=delay) == later

    results: list[datetime] = []
    lock = threading.Lock()

    def worker() -> None:
        with Archive.open(archive._engine.url.render_as_string(hide_password=False)) as arc:
            for _ in range(10):
                start = arc.reserve_host("busy.example", now=T0, delay=delay)
                with lock:
                    results.append(start)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [T0 + i * delay for i in range(20)]


def test_status_counts_tiers_due_and_failures(archive: Archive) -> None:
    now = T0 + timedelta(days=40)
    ages = {1: timedelta(hours=1), 2: timedelta(hours=2), 3: timedelta(hours=5),
            4: timedelta(days=3), 5: timedelta(days=35), 6: timedelta(days=36)}
    for n, age in ages.items():
        archive.track(links(n), source="example", now=now - age)
    archive.track(links(7), source="other", now=now - timedelta(minutes=1))
    claims = {c.url: c for c in archive.claim_due(worker="w", now=now, limit=10, lease=LEASE)}
    next_checks = {1: now - timedelta(minutes=20), 2: now + timedelta(minutes=5),
                   3: now - timedelta(minutes=30), 4: now + timedelta(hours=1),
                   5: now + timedelta(days=3), 6: None}
    for n, at in next_checks.items():
        archive.release(claims[url(n)].article_id, worker="w", next_check_at=at,
                        interval=None if at is None else timedelta(minutes=15))
    fetch = Fetch(url=url(1), fetched_at=now - timedelta(hours=1), outcome=Outcome.UNCHANGED)
    for outcome, age in [(Outcome.FAILED, timedelta(hours=2)), (Outcome.FAILED, timedelta(days=2)),
                         (Outcome.SKIPPED, timedelta(hours=3)), (Outcome.FAILED, timedelta(0))]:
        archive.log_fetch(replace(fetch, outcome=outcome, fetched_at=now - age),
                          source="example")
    archive.log_fetch(fetch, source="example")
    archive.claim_source("example", worker="w", now=now - timedelta(hours=1), lease=LEASE)
    archive.finish_source("example", worker="w", now=now - timedelta(hours=1))

    example, other = archive.status(now=now, tier_ages=TIERS, window=timedelta(days=1))
    assert example.name == "example" and other.name == "other"
    assert {t.tier: t.articles for t in example.tiers} == {
        "<3h": 2, "<1d": 1, "<7d": 1, "<30d": 0, ">=30d": 1, "retired": 1}
    assert (example.due_now, example.oldest_due_at) == (2, now - timedelta(minutes=30))
    assert (example.recent_fetches, example.recent_failures) == (4, 2)
    assert example.failure_rate == 0.5
    assert example.last_run_at == now - timedelta(hours=1)
    assert {t.tier: t.articles for t in other.tiers} == {
        "<3h": 1, "<1d": 0, "<7d": 0, "<30d": 0, "retired": 0}
    # still leased to "w", and due: counted as due
    assert (other.due_now, other.oldest_due_at, other.last_run_at) == (
        1, now - timedelta(minutes=1), None)


def test_status_tier_uses_the_last_change(archive: Archive) -> None:
    archive.track(links(1), source="example", now=T0)
    snap = snapshot("body", url=url(1), at=T0 + timedelta(days=10))
    archive.save(snap, fetch_for(snap))
    (status,) = archive.status(now=T0 + timedelta(days=10, hours=1), tier_ages=TIERS,
                               window=timedelta(hours=1))
    assert {t.tier: t.articles for t in status.tiers}["<3h"] == 1
    assert (status.recent_fetches, status.due_now) == (1, 1)


def plan(archive: Archive, query: Any) -> str:
    """The query plan (PostgreSQL: with sequential scans off, as at a large archive)."""
    with Session(archive._engine) as session, session.begin():
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        if session.get_bind().dialect.name == "sqlite":
            return " ".join(str(r[-1]) for r in session.execute(
                text(f"EXPLAIN QUERY PLAN {compiled}")))
        session.execute(text("SET LOCAL enable_seqscan = off"))
        return " ".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")))


def test_due_query_and_status_read_the_schedule_index(archive: Archive) -> None:
    with Session(archive._engine) as session:
        due = due_query(session, now=T0, limit=100, sources=None)
    assert "ix_articles_schedule" in plan(archive, due)
    scheduled = scheduled_query(T0, TIERS)
    scan = plan(archive, scheduled)
    assert "ix_articles_schedule" in scan
    if archive._engine.dialect.name == "sqlite":  # PostgreSQL: index-only once vacuumed
        assert "COVERING INDEX" in scan, scan


def test_retired_count_follows_the_source_a_save_gives(archive: Archive) -> None:
    archive.track(links(1), source=None, now=T0)
    (claim,) = archive.claim_due(worker="w", now=T0, limit=1, lease=LEASE)
    snap = snapshot("body", url=url(1), at=T0)  # source "example"
    archive.save(snap, fetch_for(snap))
    archive.release(claim.article_id, worker="w", next_check_at=None, interval=None)
    (status,) = archive.status(now=T0, tier_ages=TIERS, window=timedelta(days=1))
    assert {t.tier: t.articles for t in status.tiers}["retired"] == 1


def concurrent_claims(db_url: str, workers: int, count: int) -> list[list[int]]:
    with Archive.open(db_url) as arc:
        arc.track(links(*range(count)), source="example", now=T0)
    taken: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(i: int) -> None:
        try:
            with Archive.open(db_url) as arc:
                start.wait()
                while claims := arc.claim_due(worker=f"w{i}", now=T0, limit=7, lease=LEASE):
                    taken[i] += [c.article_id for c in claims]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return taken


@pytest.mark.postgres
def test_four_workers_claim_disjoint_sets_on_postgres(pg_url: str) -> None:
    taken = concurrent_claims(pg_url, 4, 500)
    every = [i for ids in taken for i in ids]
    assert len(every) == len(set(every)) == 500
    assert sum(1 for ids in taken if ids) >= 2, "the claims were shared out"


def test_two_workers_claim_disjoint_sets_on_sqlite(sqlite_url: str) -> None:
    taken = concurrent_claims(sqlite_url, 2, 500)
    every = [i for ids in taken for i in ids]
    assert len(every) == len(set(every)) == 500
