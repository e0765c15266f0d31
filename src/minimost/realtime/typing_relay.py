"""Typing notifications: accepted from a socket, relayed through the bus, batched per
conversation and flushed every ``flush_every`` seconds to the local sockets subscribed to it.

Access: a socket may announce typing only in a conversation it is subscribed to (the hub's
``Connection.conversations``, built from memberships like all live delivery), and only the
sockets subscribed to that conversation receive the batch.

Cost: one bus message per accepted notification (at most one per ``throttle`` seconds per
socket and conversation), one JSON encoding per conversation and flush, and a timer that
only runs while something is pending: nothing at all while nobody types.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson

from .bus.base import EPHEMERAL_CHANNEL, Bus, OutageLog
from .hub import Connection, Hub

log = logging.getLogger(__name__)

KIND = "typing"


class TypingRelay:
    def __init__(
        self,
        hub: Hub,
        *,
        throttle: float = 2.0,
        flush_every: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hub = hub
        self._throttle = throttle
        self._flush_every = flush_every
        self._monotonic = monotonic
        self._bus: Bus | None = None
        self._outage = OutageLog(log, "typing")
        # (socket, conversation) -> when its last notification was accepted.
        self._recent: dict[tuple[Connection, int], float] = {}
        # conversation -> users who typed in it since the last flush (from any process).
        self._batch: dict[int, set[int]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self.frames = 0  # typing frames queued to sockets (for tests and metrics)

    def start(self, bus: Bus) -> None:
        self._bus = bus

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._batch.clear()
        self._recent.clear()

    # --- from local sockets ------------------------------------------------------------
    def accept(self, conn: Connection, conversation_id: int) -> bool:
        """Whether this notification goes out: subscribed, and not within the throttle."""
        if conversation_id not in conn.conversations:
            return False
        key = (conn, conversation_id)
        now = self._monotonic()
        last = self._recent.get(key)
        if last is not None and now - last < self._throttle:
            return False
        self._recent[key] = now
        self._schedule()
        return True

    async def typed(self, conn: Connection, conversation_id: int) -> None:
        if not self.accept(conn, conversation_id) or self._bus is None:
            return
        message = orjson.dumps({"k": KIND, "c": conversation_id, "u": conn.user_id})
        try:
            await self._bus.publish(EPHEMERAL_CHANNEL, message)
        except Exception as exc:  # a lost typing hint is harmless; the socket must not die of it
            self._outage.failed(exc)
        else:
            self._outage.succeeded()

    # --- from the bus (every process, this one included) -------------------------------
    def receive(self, message: dict[str, Any]) -> None:
        conversation_id, user_id = message["c"], message["u"]
        if not isinstance(conversation_id, int) or not isinstance(user_id, int):
            return
        self._batch.setdefault(conversation_id, set()).add(user_id)
        self._schedule()

    # --- flushing ----------------------------------------------------------------------
    def _schedule(self) -> None:
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._flush_every, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self.flush()
        # Throttle entries only need to live for ``throttle`` seconds; dropping them here
        # also releases closed sockets.
        cutoff = self._monotonic() - self._throttle
        self._recent = {key: at for key, at in self._recent.items() if at > cutoff}
        if self._recent or self._batch:
            self._schedule()

    def flush(self) -> None:
        batch, self._batch = self._batch, {}
        for conversation_id, user_ids in batch.items():
            receivers = self._hub.by_conversation.get(conversation_id)
            if not receivers:
                continue
            frame = orjson.dumps(
                {
                    "type": KIND,
                    "conversation": conversation_id,
                    "data": {"user_ids": sorted(user_ids)},
                }
            ).decode()
            # No copy: offer() never mutates the hub (see Hub.dispatch).
            for conn in receivers:
                conn.offer(0, frame)
            self.frames += len(receivers)
