"""The domain's ``Publisher``: committed events go onto the bus."""

from __future__ import annotations

from minimost.domain.events import Published

from .bus.base import EVENTS_CHANNEL, Bus
from .codec import encode


class BusPublisher:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def publish(self, event: Published) -> None:
        await self._bus.publish(EVENTS_CHANNEL, encode(event))
