"""Scheduler queries at archive sizes of 10k to 1M articles, on SQLite and PostgreSQL.

Fills a fresh archive with N synthetic tracked articles and times, as the median
of several repetitions: the due-article query (100 most overdue), claiming a batch
of 100 due articles (then releasing it, untimed), and ``status``.

The synthetic archive models a steady flow of 2,000 new articles a day over 20
sources: the first-seen times go back N / 2000 days, a quarter of the articles
changed within their first day, and each is scheduled by the default lifetime
tiers (re-checked while its last change is under 30 days old, retired after), with
``next_check_at`` spread from 10% of an interval late to a full interval ahead.
1% of the due articles are leased. The fetch log holds N / 10 fetches over the last
week, 5% of them failures.

    .venv/bin/python benchmarks/scheduler.py                       # 10k, 100k, 1M
    .venv/bin/python benchmarks/scheduler.py --sizes 10000 --no-pg
    .venv/bin/python benchmarks/scheduler.py --pg postgresql+psycopg://postgres@127.0.0.1/test

For PostgreSQL, ``--pg`` names a server database used to create (and drop) a
scratch database per size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from newsarchiver.models import RecheckPolicy
from newsarchiver.schedule import check_interval, tier_bounds
from newsarchiver.store import Archive
from newsarchiver.store.scheduling import due_query
from newsarchiver.store.schema import ArticleRow

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
PER_DAY = 2000
SOURCES = [f"source-{i:02d}" for i in range(20)]
POLICY = RecheckPolicy()
TIERS = tier_bounds(POLICY)
WINDOW = timedelta(days=1)
ARTICLE_COLUMNS = ("id", "url", "source", "first_seen_at", "last_checked_at",
                   "last_changed_at", "next_check_at", "lease_owner", "lease_expires_at",
                   "tracked_at", "check_interval_s")
FETCH_COLUMNS = ("id", "fetched_at", "url", "article_id", "outcome", "duration_ms", "notes",
                 "source")
Row = tuple[Any, ...]


def articles(n: int, rng: random.Random) -> Iterator[Row]:
    """Synthetic tracked articles, newest first."""
    for i in range(1, n + 1):
        first_seen = NOW - timedelta(days=(i - rng.random()) / PER_DAY)
        last_changed = (first_seen + timedelta(hours=rng.random() * 24)
                        if rng.random() < 0.25 else first_seen)
        last_changed = min(last_changed, NOW)
        interval = check_interval(NOW - last_changed, POLICY)
        next_check = lease = owner = None
        seconds = None
        if interval is not None:
            next_check = NOW + interval * rng.uniform(-0.1, 1.0)
            seconds = int(interval.total_seconds())
            if next_check <= NOW and rng.random() < 0.01:
                owner, lease = "bench-other", NOW + timedelta(minutes=5)
        last_checked = min(NOW, (next_check - interval) if next_check and interval else NOW)
        source = SOURCES[min(int(rng.paretovariate(1.2)) - 1, len(SOURCES) - 1)]
        yield (i, f"https://{source}.example/story/{i}", source, first_seen, last_checked,
               last_changed, next_check, owner, lease, first_seen, seconds)


def fetches(n: int, rng: random.Random) -> Iterator[Row]:
    for i in range(1, n // 10 + 1):
        article = rng.randint(1, n)
        outcome = "failed" if rng.random() < 0.05 else "unchanged"
        source = SOURCES[article % len(SOURCES)]
        yield (i, NOW - timedelta(days=rng.random() * 7),
               f"https://{source}.example/story/{article}", article, outcome, 100, "[]",
               source)


def sqlite_text(row: Row) -> Row:
    return tuple(v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
                 if isinstance(v, datetime) else v for v in row)


def fill_sqlite(arc: Archive, n: int, rng: random.Random) -> None:
    with arc._engine.begin() as conn:
        raw: Any = conn.connection.dbapi_connection
        for table, columns, rows in (("articles", ARTICLE_COLUMNS, articles(n, rng)),
                                     ("fetches", FETCH_COLUMNS, fetches(n, rng))):
            marks = ", ".join("?" * len(columns))
            raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                            (sqlite_text(r) for r in rows))
    with arc._engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def fill_postgres(dsn: str, n: int, rng: random.Random) -> None:
    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            for table, columns, rows in (("articles", ARTICLE_COLUMNS, articles(n, rng)),
                                         ("fetches", FETCH_COLUMNS, fetches(n, rng))):
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


@contextmanager
def scratch_postgres(admin: str) -> Iterator[str]:
    dsn = admin.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"na_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def median_ms(work: Callable[[], object], repeat: int, after: Callable[[], object] | None = None
              ) -> float:
    times = []
    for _ in range(repeat + 1):  # the first run warms the caches and is not counted
        t0 = time.perf_counter()
        work()
        times.append((time.perf_counter() - t0) * 1000)
        if after is not None:
            after()
    return statistics.median(times[1:])


def measure(arc: Archive, repeat: int) -> tuple[dict[str, float], str]:
    def due() -> int:
        with Session(arc._engine) as session:
            return len(session.execute(due_query(session, now=NOW, limit=100,
                                                 sources=None)).all())

    claimed: list[Any] = []

    def claim() -> None:
        claimed[:] = arc.claim_due(worker="bench", now=NOW, limit=100,
                                   lease=timedelta(minutes=10))
        assert len(claimed) == 100

    def release() -> None:
        ids = [c.article_id for c in claimed]
        with Session(arc._engine) as session:
            intervals = dict(session.execute(
                select(ArticleRow.id, ArticleRow.check_interval_s)
                .where(ArticleRow.id.in_(ids))).all())
        for c in claimed:  # back to what it was, so every repetition sees the same rows
            seconds = intervals[c.article_id]
            arc.release(c.article_id, worker="bench", next_check_at=c.next_check_at,
                        interval=None if seconds is None else timedelta(seconds=seconds))

    results = {
        "due query": median_ms(due, repeat),
        "claim 100": median_ms(claim, repeat, after=release),
        "status": median_ms(lambda: arc.status(now=NOW, tier_ages=TIERS, window=WINDOW),
                            repeat),
    }
    with Session(arc._engine) as session:
        query = due_query(session, now=NOW, limit=100, sources=None)
        sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        dialect = session.get_bind().dialect.name
        explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
        plan = "\n".join(str(r[-1]) for r in session.execute(text(explain + sql)))
    return results, plan


def run(sizes: list[int], pg: str | None, repeat: int) -> None:
    table: dict[tuple[str, int], dict[str, float]] = {}
    plans: dict[str, str] = {}
    for n in sizes:
        backends = ["sqlite"] + (["postgresql"] if pg else [])
        for backend in backends:
            rng = random.Random(n)
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp, \
                    (scratch_postgres(pg) if backend == "postgresql" and pg
                     else _nothing(f"sqlite:///{Path(tmp) / 'bench.db'}")) as url, \
                    Archive.open(url) as arc:
                if backend == "sqlite":
                    fill_sqlite(arc, n, rng)
                else:
                    fill_postgres(url.replace("+psycopg", ""), n, rng)
                filled = time.perf_counter() - t0
                table[backend, n], plans[backend] = measure(arc, repeat)
            print(f"{backend:<10} {n:>9,} articles: filled in {filled:.1f} s; "
                  + ", ".join(f"{k} {v:.2f} ms" for k, v in table[backend, n].items()),
                  flush=True)
    print_table(table, sizes)
    for backend, plan in plans.items():
        print(f"\ndue query plan, {backend}, {sizes[-1]:,} articles:\n{plan}")


@contextmanager
def _nothing(value: str) -> Iterator[str]:
    yield value


def print_table(table: dict[tuple[str, int], dict[str, float]], sizes: list[int]) -> None:
    backends = sorted({b for b, _ in table}, key=lambda b: b != "sqlite")
    operations = list(next(iter(table.values())))
    print(f"\nms per operation (median)\n{'backend':<11}{'operation':<11}"
          + "".join(f"{n:>11,}" for n in sizes))
    for backend in backends:
        for op in operations:
            print(f"{backend:<11}{op:<11}"
                  + "".join(f"{table[backend, n][op]:>11.2f}" for n in sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="PostgreSQL server database for scratch databases")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    run(sizes, None if args.no_pg else args.pg, args.repeat)


if __name__ == "__main__":
    main()
