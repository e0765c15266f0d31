"""The ephemeral channel: typing and presence messages between processes.

One subscription per process routes each message by its kind (``"k"``): ``typing`` to the
typing relay, ``p.*`` to the presence tracker. Nothing here is stored or replayed; a message
lost while the bus is down is simply gone (presence repairs itself with snapshots).
"""

from __future__ import annotations

import asyncio
import logging

import orjson

from .bus.base import EPHEMERAL_CHANNEL, Bus
from .presence import PREFIX as PRESENCE_PREFIX, PresenceTracker
from .typing_relay import KIND as TYPING, TypingRelay

log = logging.getLogger(__name__)


def route(message: bytes, typing: TypingRelay, presence: PresenceTracker) -> None:
    decoded = orjson.loads(message)
    kind = decoded.get("k") if isinstance(decoded, dict) else None
    if kind == TYPING:
        typing.receive(decoded)
    elif isinstance(kind, str) and kind.startswith(PRESENCE_PREFIX):
        presence.receive(decoded)


async def run(
    bus: Bus,
    typing: TypingRelay,
    presence: PresenceTracker,
    ready: asyncio.Event | None = None,
) -> None:
    """Consume the ephemeral channel until cancelled (``ready`` is set once subscribed)."""
    async with bus.subscribe(EPHEMERAL_CHANNEL) as messages:
        if ready is not None:
            ready.set()
        async for message in messages:
            try:
                route(message, typing, presence)
            except Exception:
                log.exception("ephemeral: bad bus message")
