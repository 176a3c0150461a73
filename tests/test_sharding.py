"""A run of many pages in several processes: same archive, politeness kept, failures alone."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsarchiver.models import FetchSettings, Outcome, Settings, UrlReport
from newsarchiver.pipeline import Target
from newsarchiver.pipeline.extraction import cores
from newsarchiver.pipeline.sharding import (
    MAX_SHARDS,
    archive_in_shards,
    host_spread,
    shard_count,
    shard_settings,
    split_targets,
)
from newsarchiver.store import Archive
from tests.localserver import LocalServer
from tests.test_extraction_pool import PAGE

T0 = datetime(2024, 5, 1, tzinfo=UTC)
SETTINGS = Settings(fetch=FetchSettings(
    per_host_delay=0, obey_robots=False, allow_private_networks=True, max_retries=0))


@dataclass(frozen=True)
class FixedClock:
    """A clock that can be sent to another process."""

    at: datetime = T0

    def __call__(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class DyingClock:
    """Kills the first process that reads it ``after`` times (the others go on)."""

    flag: Path
    after: int = 4

    def __call__(self) -> datetime:
        calls = int(os.environ.get("TEST_CLOCK_CALLS", "0")) + 1
        os.environ["TEST_CLOCK_CALLS"] = str(calls)
        if calls == self.after:
            try:
                os.close(os.open(self.flag, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return T0
            os._exit(9)
        return T0


@dataclass(frozen=True)
class BrokenClock:
    """Raises in any process but the one that made it."""

    home: int

    def __call__(self) -> datetime:
        if os.getpid() != self.home:
            raise ValueError("a bug")
        return T0


def pages(server: LocalServer, n: int) -> list[str]:
    return [server.page(f"/news/{i}", PAGE.replace("Pool story", f"Story {i}"))
            for i in range(n)]


def test_each_host_goes_to_at_most_its_concurrency_of_shards() -> None:
    targets = ([Target(f"https://a.example/{i}") for i in range(10)]
               + [Target(f"https://b.example/{i}") for i in range(10)])
    for per_host, spread in ((1, 1), (2, 2), (16, 3)):
        shards = split_targets(targets, 3, per_host)
        assert sorted(t.label for s in shards for t in s) == sorted(t.label for t in targets)
        for host in ("a.example", "b.example"):
            assert sum(any(host in t.label for t in s) for s in shards) == spread
    settings = shard_settings(Settings(fetch=FetchSettings(
        concurrency=16, per_host_concurrency=2)), 3, host_spread(3, 2))
    assert (settings.fetch.concurrency, settings.fetch.per_host_concurrency) == (6, 1)
    settings = shard_settings(Settings(fetch=FetchSettings(
        concurrency=16, per_host_concurrency=16)), 2, host_spread(2, 16))
    assert (settings.fetch.concurrency, settings.fetch.per_host_concurrency) == (8, 8)


def test_one_process_for_a_small_run_or_a_private_database(sqlite_url: str) -> None:
    with Archive.open("sqlite://") as private:
        assert private.shared_url is None
        assert shard_count(10_000, private, FixedClock()) == 1
    with Archive.open(sqlite_url) as archive:
        assert archive.shared_url == sqlite_url
        assert shard_count(10_000, archive, FixedClock()) == min(cores(), MAX_SHARDS)
        assert shard_count(10, archive, FixedClock()) == 1
        assert shard_count(10_000, archive, lambda: T0) == 1  # cannot be sent


def test_shards_archive_every_page_once(server: LocalServer, db_url: str,
                                        caplog: pytest.LogCaptureFixture) -> None:
    urls = pages(server, 24)
    missing = server.url("/news/missing")
    seen: list[UrlReport] = []
    with Archive.open(db_url) as archive, caplog.at_level(logging.INFO, "newsarchiver"):
        report = archive_in_shards([Target(u) for u in [*urls, missing]], settings=SETTINGS,
                                   archive=archive, clock=FixedClock(), shards=2,
                                   progress=seen.append)
        assert report.count(Outcome.NEW) == 24 and report.count(Outcome.FAILED) == 1
        assert sorted(r.url for r in seen) == sorted([*urls, missing])
        assert archive.version(urls[7]).title == "Story 7"
        assert archive.fetch_log(missing)[0].status == 404
        again = archive_in_shards([Target(u) for u in urls], settings=SETTINGS,
                                  archive=archive, clock=FixedClock(T0 + timedelta(hours=1)),
                                  shards=3)
        assert again.count(Outcome.UNCHANGED) == 24
    guard_off = [r for r in caplog.records if "SSRF guard off" in r.getMessage()]
    assert len(guard_off) == 2  # once a run, not once a shard
    assert any("missing" in r.getMessage() and "404" in r.getMessage()
               for r in caplog.records)


def test_a_dead_shard_loses_only_its_pages(server: LocalServer, sqlite_url: str,
                                           tmp_path: Path) -> None:
    urls = pages(server, 20)
    with Archive.open(sqlite_url) as archive:
        report = archive_in_shards([Target(u) for u in urls], settings=SETTINGS,
                                   archive=archive, clock=DyingClock(tmp_path / "died"),
                                   shards=2)
        lost = [r for r in report.results if r.error_class == "ArchivingProcessDied"]
        assert 0 < len(lost) < 20
        assert "exit code 9" in (lost[0].error_message or "")
        assert sorted(r.url for r in report.results) == sorted(urls)
        assert report.count(Outcome.NEW) == 20 - len(lost)
        assert archive.known_urls(urls) == {r.url for r in report.results
                                            if r.outcome is Outcome.NEW}


def test_a_bug_in_a_shard_is_raised(server: LocalServer, sqlite_url: str) -> None:
    with Archive.open(sqlite_url) as archive, pytest.raises(RuntimeError) as err:
        archive_in_shards([Target(u) for u in pages(server, 4)], settings=SETTINGS,
                          archive=archive, clock=BrokenClock(os.getpid()), shards=2)
    assert "ValueError: a bug" in str(err.value)


def test_one_host_allowed_one_connection_stays_in_one_process(
        server: LocalServer, sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    settings = replace(SETTINGS, fetch=replace(SETTINGS.fetch, per_host_concurrency=1))
    urls = pages(server, 6)
    with Archive.open(sqlite_url) as archive, caplog.at_level(logging.INFO, "newsarchiver"):
        report = archive_in_shards([Target(u) for u in urls], settings=settings,
                                   archive=archive, clock=FixedClock(), shards=2)
    assert report.count(Outcome.NEW) == 6
    assert not [r for r in caplog.records if "processes" in r.getMessage()]
