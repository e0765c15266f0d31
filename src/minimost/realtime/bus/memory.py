"""In-process bus: the default for a single server process."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class MemoryBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[bytes]]] = defaultdict(set)

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._subscribers.clear()

    async def publish(self, channel: str, message: bytes) -> None:
        # Unbounded on purpose: the only subscribers are this process's hub loops, which
        # never block (sockets have their own bounded queues behind the hub).
        for queue in self._subscribers.get(channel, ()):
            queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._subscribers[channel].add(queue)

        async def messages() -> AsyncIterator[bytes]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            self._subscribers[channel].discard(queue)
