"""The run's writer: observations batched into few transactions; a bad one fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from newsarchiver.errors import StoreError
from newsarchiver.models import Fetch, Observation, Outcome, SaveResult, Snapshot
from newsarchiver.pipeline.writing import GroupWriter
from newsarchiver.store import Archive
from tests.test_store import T0, fetch_for, snapshot


class CountingArchive(Archive):
    """The real archive, counting the transactions its writer asks for."""

    batches: list[int]

    def record(self, observations: Sequence[Observation]) -> list[SaveResult | None]:
        self.batches.append(len(observations))
        return super().record(observations)


@pytest.fixture
def archive(db_url: str) -> Iterator[CountingArchive]:
    with CountingArchive.open(db_url) as arc:
        assert isinstance(arc, CountingArchive)
        arc.batches = []
        yield arc


def observation(n: int) -> Observation:
    snap = snapshot(f"story number {n} with its words",
                    url=f"https://news.example/{n}", at=T0 + timedelta(seconds=n))
    return Observation(fetch_for(snap), snap, (snap.url,))


async def write_all(writer: GroupWriter, observations: list[Observation]
                    ) -> list[SaveResult | BaseException | None]:
    try:
        return await asyncio.gather(*(writer.write(o) for o in observations),
                                    return_exceptions=True)
    finally:
        await writer.close()


def test_observations_arriving_together_share_transactions(archive: CountingArchive) -> None:
    observations = [observation(n) for n in range(50)]
    results = asyncio.run(write_all(GroupWriter(archive, max_batch=20), observations))
    assert all(isinstance(r, SaveResult) and r.outcome is Outcome.NEW for r in results)
    assert sum(archive.batches) == 50 and len(archive.batches) < 50
    assert max(archive.batches) <= 20
    assert [v.url for v in (archive.version(o.fetch.url) for o in observations)] == [
        o.fetch.url for o in observations]
    assert len(archive.fetch_log(limit=100)) == 50


def test_a_bad_observation_fails_alone(archive: CountingArchive) -> None:
    bad = Observation(Fetch(url=None, fetched_at=T0, outcome=Outcome.FAILED))  # type: ignore[arg-type]
    observations = [observation(1), bad, observation(2)]
    first, error, second = asyncio.run(write_all(GroupWriter(archive), observations))
    assert isinstance(first, SaveResult) and isinstance(second, SaveResult)
    assert isinstance(error, StoreError)
    assert [len(archive.history(o.fetch.url)) for o in (observations[0], observations[2])] == [
        1, 1]


def test_a_batch_stores_what_one_by_one_would(db_url: str, tmp_path: Path) -> None:
    first, second = observation(1), observation(2)
    seen_again = observation(1)  # the same article again in the batch: a sighting
    changed = Observation(*_changed(observation(3)))
    failed = Observation(Fetch(url="https://news.example/4", fetched_at=T0,
                               outcome=Outcome.FAILED, status=500, error_class="HTTPStatusError",
                               error_message="HTTP 500"), source="example")
    batch = [first, second, seen_again, changed, failed, observation(5)]
    earlier = [observation(3)]

    def state(arc: Archive) -> list[object]:
        urls = [f"https://news.example/{n}" for n in (1, 2, 3, 5)]
        return [[(v.number, v.times_seen, v.body, v.words_added) for v in arc.history(u)]
                for u in urls] + [
            [(f.url, f.outcome, f.version, f.status) for f in arc.fetch_log(u)]
            for u in [*urls, "https://news.example/4"]]

    with Archive.open(db_url) as together:
        together.record(earlier)
        results = together.record(batch)
        assert [r.outcome if r else None for r in results] == [
            Outcome.NEW, Outcome.NEW, Outcome.UNCHANGED, Outcome.CHANGED, None, Outcome.NEW]
        expected = state(together)
    with Archive.open(f"sqlite:///{tmp_path}/one-by-one.db") as alone:
        for o in [*earlier, *batch]:
            alone.record([o])
        assert state(alone) == expected


def _changed(o: Observation) -> tuple[Fetch, Snapshot]:
    assert o.snapshot is not None
    later = replace(o.snapshot, article=replace(o.snapshot.article, body="a changed story"),
                    content_hash="changed", seen_at=T0 + timedelta(days=1))
    return replace(o.fetch, fetched_at=later.seen_at), later
