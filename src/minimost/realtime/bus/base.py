"""The bus moves committed events (and later ephemeral frames) between processes.

It knows nothing about users or sockets. Backends are chosen by URL scheme and imported
lazily so Redis stays optional (the approach of encode/broadcaster).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

EVENTS_CHANNEL = "minimost:events"
# Typing and presence: fire-and-forget frames that are never stored (realtime/ephemeral.py).
EPHEMERAL_CHANNEL = "minimost:ephemeral"


class Bus(Protocol):
    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, channel: str, message: bytes) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """``async with bus.subscribe(ch) as messages: async for m in messages: ...``"""
        ...


def bus_from_url(url: str) -> Bus:
    if url.startswith("memory://"):
        from .memory import MemoryBus

        return MemoryBus()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisBus

        return RedisBus(url)
    raise ValueError(f"unsupported bus URL: {url}")
