"""The domain's ``Publisher``: committed events go onto the bus.

A publish runs after the commit, so a failure must not fail the request that committed:
the event is in the events table, and the hubs deliver it from there (``Hub.note_committed``
here at once for this process's sockets; the other processes notice the gap at their next
event or their periodic look at the newest id, see ``services.look_at_committed``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from minimost.domain.events import Published

from .bus.base import EVENTS_CHANNEL, Bus, OutageLog
from .codec import encode

log = logging.getLogger(__name__)


class BusPublisher:
    def __init__(self, bus: Bus, on_lost: Callable[[int], None] | None = None) -> None:
        self._bus = bus
        # Told the id of every committed event the bus did not take.
        self._on_lost = on_lost
        self._outage = OutageLog(log, "events")

    async def publish(self, event: Published) -> None:
        try:
            await self._bus.publish(EVENTS_CHANNEL, encode(event))
        except Exception as exc:
            self._outage.failed(exc)
            if self._on_lost is not None:
                self._on_lost(event.id)
            return
        self._outage.succeeded()
