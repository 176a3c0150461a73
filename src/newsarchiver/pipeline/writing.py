"""Writing a run's observations: one writer, many observations to a transaction.

Every fetch of a run ends in an :class:`~newsarchiver.models.Observation` for the
archive. :class:`GroupWriter` writes them from one thread: while one batch is
being written, those that arrive wait and go together in the next transaction
(a group commit), so a busy run pays for one transaction per batch rather than
per page, and an idle one holds no page back: a batch waits for the pages in
flight, if any, for at most :data:`LINGER_SECONDS`. A batch that fails with a
project error is written again one observation at a time, so a bad one fails alone.

A run killed mid-batch loses that batch's transaction only: the pages in flight,
as before. Nothing half-written reaches the archive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from newsarchiver.errors import NewsArchiverError
from newsarchiver.models import Observation, SaveResult
from newsarchiver.store import Archive

#: Observations in one transaction at most (SQLite holds its write lock that long).
MAX_BATCH = 100
#: How long a batch may wait for the pages still in flight to join it, at most.
LINGER_SECONDS = 0.05

Waiting = tuple[Observation, "asyncio.Future[SaveResult | None]"]


class GroupWriter:
    """Writes observations to ``archive`` in order, batched while the archive is busy."""

    def __init__(self, archive: Archive, max_batch: int = MAX_BATCH, *,
                 in_flight: Callable[[], int] = lambda: 0,
                 linger: float = LINGER_SECONDS) -> None:
        self._archive = archive
        self._max_batch = max_batch
        #: How many pages are being fetched or extracted: their observations will come.
        self._in_flight = in_flight
        self._linger = linger
        self._waiting: list[Waiting] = []
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def write(self, observation: Observation) -> SaveResult | None:
        """Store ``observation``; its save result (None for a fetch logged alone)."""
        future: asyncio.Future[SaveResult | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((observation, future))
        self._arrived.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _gather(self) -> None:
        """Give the pages in flight a moment to join the next batch (a busy run only)."""
        deadline = asyncio.get_running_loop().time() + self._linger
        while len(self._waiting) < min(self._max_batch, self._in_flight()):
            self._arrived.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._arrived.wait()
            except TimeoutError:
                return

    async def close(self) -> None:
        """Wait until everything handed over has been written."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _drain(self) -> None:
        while self._waiting:
            await self._gather()
            batch = self._waiting[:self._max_batch]
            del self._waiting[:self._max_batch]
            try:
                results = await self._record(batch)
            except BaseException as exc:  # a bug: every waiting fetch reports it
                for _, future in batch:
                    _settle(future, exc)
                raise
            for (_, future), result in zip(batch, results, strict=True):
                _settle(future, result)

    async def _record(self, batch: list[Waiting]
                      ) -> list[SaveResult | NewsArchiverError | None]:
        observations = [o for o, _ in batch]
        try:
            return list(await asyncio.to_thread(self._archive.record, observations))
        except NewsArchiverError as exc:
            if len(batch) == 1:
                return [exc]
        results: list[SaveResult | NewsArchiverError | None] = []
        for observation in observations:  # again, one at a time: each fails alone
            try:
                (result,) = await asyncio.to_thread(self._archive.record, [observation])
            except NewsArchiverError as exc:
                results.append(exc)
            else:
                results.append(result)
        return results


def _settle(future: asyncio.Future[SaveResult | None],
            result: SaveResult | BaseException | None) -> None:
    if future.done():  # its fetch was cancelled (a stopped run): the write stands
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
