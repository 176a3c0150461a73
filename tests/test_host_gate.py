"""Per-host spacing shared across processes: the fetcher's host gate and the archive's."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from newsarchiver.fetch import Fetcher
from newsarchiver.models import FetchRequest
from newsarchiver.pipeline.archiving import store_host_gate
from newsarchiver.store import Archive
from tests.faultserver import HTML, fast_settings
from tests.localserver import Handler, LocalServer, respond


@dataclass
class SharedSchedule:
    """Stands for another process's reservations: the host is busy for ``busy`` seconds."""

    busy: float = 0.0
    calls: list[tuple[str, float, float]] = field(default_factory=list)

    async def __call__(self, host: str, delay: float) -> None:
        self.calls.append((host, delay, time.monotonic()))
        await asyncio.sleep(self.busy)
        self.busy = 0.0


def arrival_times(server: LocalServer, path: str) -> list[float]:
    times: list[float] = []

    def route(handler: Handler) -> None:
        times.append(time.monotonic())
        respond(handler, HTML)

    server.route(path, route)
    return times


async def test_the_gate_is_awaited_before_each_request_to_the_host(server: LocalServer) -> None:
    times = arrival_times(server, "/a")
    gate = SharedSchedule(busy=0.3)
    settings = fast_settings(per_host_delay=0.05, obey_robots=False)
    started = time.monotonic()
    async with Fetcher(settings, rng=random.Random(3), host_gate=gate) as fetcher:
        for _ in range(3):
            await fetcher.fetch(FetchRequest(url=server.url("/a")))
    assert [host for host, _, _ in gate.calls] == [f"127.0.0.1:{server.port}"] * 3
    assert all(0.025 <= delay <= 0.075 for _, delay, _ in gate.calls)  # jittered 0.5-1.5x
    assert len(times) == 3
    assert times[0] - started >= 0.3  # the first request waited for the other process
    assert all(t >= called for t, (_, _, called) in zip(times, gate.calls, strict=True))


async def test_robots_txt_requests_pass_the_gate_too(server: LocalServer) -> None:
    server.page("/a", HTML)
    gate = SharedSchedule()
    async with Fetcher(fast_settings(per_host_delay=0.01), host_gate=gate) as fetcher:
        await fetcher.fetch(FetchRequest(url=server.url("/a")))
    assert len(gate.calls) == len(server.hits) == 2


async def test_no_delay_no_gate(server: LocalServer) -> None:
    server.page("/a", HTML)
    gate = SharedSchedule(busy=5.0)
    async with Fetcher(fast_settings(per_host_delay=0.0), host_gate=gate) as fetcher:
        await fetcher.fetch(FetchRequest(url=server.url("/a")))
    assert gate.calls == []


@dataclass
class ReservingArchive:
    """An archive's ``reserve_host`` (start = max(next, now); next = start + delay)."""

    next_at: dict[str, datetime] = field(default_factory=dict)

    def reserve_host(self, host: str, *, now: datetime, delay: timedelta) -> datetime:
        start = max(self.next_at.get(host, now), now)
        self.next_at[host] = start + delay
        return start


async def test_the_store_gate_sleeps_until_the_reserved_start() -> None:
    archive = ReservingArchive()
    gate = store_host_gate(archive, lambda: datetime.now(UTC))  # type: ignore[arg-type]
    assert gate is not None
    t0 = time.monotonic()
    for _ in range(3):  # as three workers would, one after another
        await gate("news.example", 0.15)
    assert 0.28 <= time.monotonic() - t0 < 2.0  # starts at 0, 0.15 and 0.3 s
    assert set(archive.next_at) == {"news.example"}


async def test_two_workers_on_one_archive_share_the_spacing(sqlite_url: str) -> None:
    with Archive.open(sqlite_url) as first, Archive.open(sqlite_url) as second:
        gates = [store_host_gate(a, lambda: datetime.now(UTC)) for a in (first, second)]
        t0 = time.monotonic()
        for gate in gates * 2:  # two processes taking turns on one host
            assert gate is not None
            await gate("news.example", 0.1)
    assert 0.28 <= time.monotonic() - t0 < 5.0  # starts at 0, 0.1, 0.2 and 0.3 s
