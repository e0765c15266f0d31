"""Group commit: concurrent writes of one kind share a transaction.

Each transaction costs a fixed price (BEGIN, COMMIT, a WAL append; with aiosqlite also a
thread hop per statement). Under load, sends arrive while the previous transaction is still
running; they queue here and the next transaction takes them all, so the fixed price is
paid once per batch instead of once per message. With no concurrency a batch holds one item
and nothing waits. Every caller still gets its own result or its own exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

BatchWriter = Callable[[list[T]], Awaitable[list[R | BaseException]]]


class GroupCommit(Generic[T, R]):
    def __init__(self, writer: BatchWriter[T, R], *, max_batch: int = 64) -> None:
        self._writer = writer
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # number of transactions run (a metric; tests read it)

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            self.batches += 1
            try:
                results = await self._writer([item for item, _ in batch])
            except BaseException as exc:  # the writer failed as a whole: everyone hears it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
