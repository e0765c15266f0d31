"""The bus moves committed events (and later ephemeral frames) between processes.

It knows nothing about users or sockets. Backends are chosen by URL scheme and imported
lazily so Redis stays optional (the approach of encode/broadcaster).
"""

from __future__ import annotations

import logging
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


class OutageLog:
    """Publish failures, logged without spam: the first of an outage in one line (no
    traceback: the cause is the bus, not our code), then nothing until a publish works
    again, which is logged with the count. Each publishing component keeps its own."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._log = logger
        self._what = what
        self.failures = 0

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        if self.failures == 1:
            self._log.warning(
                "%s: could not publish to the bus (%s: %s); not logged again until it works",
                self._what, type(exc).__name__, exc,
            )  # fmt: skip

    def succeeded(self) -> None:
        if self.failures:
            self._log.info(
                "%s: publishing to the bus again (%d failed meanwhile)", self._what, self.failures
            )
            self.failures = 0
