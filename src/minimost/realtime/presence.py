"""Presence across sockets, processes and nodes (the arithmetic is in ``presence_model``).

Each process is a *node* with a random id. It counts its own sockets (``LocalPresence``) and
shares the result through the bus on the ephemeral channel:

* ``p.delta``: the entries of the users whose local status changed, published at once by
  one outbox task (so a node's messages stay in order);
* ``p.snap``: all its entries, every ``snapshot_every`` seconds and when asked;
* ``p.ask``: sent by a starting node, so the others answer with their snapshots;
* ``p.bye``: sent on a clean shutdown, so the others forget the node at once;
* ``p.override``: a user's manual override changed (sent by ``publish_override``).

A node not heard from for ``3 * snapshot_every`` seconds (killed, cut off) is forgotten, and
a lost delta is repaired by the next snapshot. Changes reach clients as one
``{"type":"presence","data":{"users":{id: status}}}`` frame per ``flush_every`` seconds,
encoded once and offered to every local socket.

Cost: a socket opening, closing or turning idle is O(1) work plus a share of one bus message;
there are no per-socket timers and no loops while nothing changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, cast

import orjson

from .bus.base import EPHEMERAL_CHANNEL, Bus, OutageLog
from .hub import Connection, Hub
from .presence_model import (
    OVERRIDES,
    ClusterPresence,
    Entry,
    LocalPresence,
    Override,
    effective,
)

log = logging.getLogger(__name__)

PREFIX = "p."
_RAWS = frozenset({"online", "away"})


def as_override(value: object) -> Override | None:
    return cast(Override, value) if value in OVERRIDES else None


def _entry(value: Any) -> Entry | None:
    """A remote node's entry off the wire; anything malformed counts as absent."""
    if isinstance(value, list) and len(value) == 2 and value[0] in _RAWS:
        return (value[0], as_override(value[1]))
    return None


def _dumps(message: Mapping[Any, Any]) -> bytes:
    return orjson.dumps(message, option=orjson.OPT_NON_STR_KEYS)


class PresenceTracker:
    def __init__(
        self,
        hub: Hub,
        *,
        node: str | None = None,
        snapshot_every: float = 30.0,
        flush_every: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hub = hub
        self.node = node or uuid.uuid4().hex[:12]
        self.snapshot_every = snapshot_every
        self.flush_every = flush_every
        self._monotonic = monotonic
        self.local = LocalPresence()
        self.cluster = ClusterPresence(self.node)
        self._sockets: dict[Connection, bool] = {}  # open sockets -> idle?
        self._opening: set[Connection] = set()
        self._dirty: set[int] = set()  # users whose entry here changed since the last delta
        self._snapshot_asked = False
        self._wake = asyncio.Event()
        self._bus: Bus | None = None
        self._outage = OutageLog(log, "presence")
        self._flush_timer: asyncio.TimerHandle | None = None
        self._visible_json: str | None = None
        self.broadcasts = 0  # presence frames queued to sockets (for tests and metrics)

    # --- sockets of this process ---------------------------------------------------------
    def connecting(self, conn: Connection) -> int:
        """Call before reading the user's override; pass the token to ``connected``."""
        self._opening.add(conn)
        return self.local.connecting(conn.user_id)

    def connected(self, conn: Connection, override: str | None, token: int) -> None:
        """The socket is up and counts as active."""
        if conn not in self._opening:
            return
        self._opening.discard(conn)
        self._sockets[conn] = False
        self.local.connected(conn.user_id, as_override(override), token)
        self._local_changed(conn.user_id)

    def set_idle(self, conn: Connection, idle: bool) -> None:
        was = self._sockets.get(conn)
        if was is None or was == idle:
            return
        self._sockets[conn] = idle
        self.local.set_idle(conn.user_id, was, idle)
        self._local_changed(conn.user_id)

    def disconnected(self, conn: Connection) -> None:
        if conn in self._opening:
            self._opening.discard(conn)
            self.local.abandoned(conn.user_id)
            return
        idle = self._sockets.pop(conn, None)
        if idle is not None:
            self.local.closed(conn.user_id, idle)
            self._local_changed(conn.user_id)

    def _local_changed(self, user_id: int) -> None:
        if self.cluster.put(self.node, user_id, self.local.entry(user_id)):
            self._dirty.add(user_id)
            self._wake.set()
            self._schedule_flush()

    # --- reading -------------------------------------------------------------------------
    def status(self, user_id: int) -> str:
        return self.cluster.status(user_id)

    def is_online(self, user_id: int) -> bool:
        """For ``@here``: anyone not offline (away and dnd are still around)."""
        return self.status(user_id) != "offline"

    def status_with(self, user_id: int, override: str | None) -> str:
        """The status ``user_id`` has once ``override`` applies everywhere."""
        new = as_override(override)
        return effective((raw, new) for raw, _old in self.cluster.user_entries(user_id))

    def visible_json(self) -> str:
        """``{id: status}`` of every user who is not offline, as clients were last told
        (the ``hello`` frame; later changes reach the socket in the next flush). Encoded
        at most once per flush however many sockets connect."""
        if self._visible_json is None:
            self._visible_json = _dumps(self.cluster.visible).decode()
        return self._visible_json

    # --- overrides -----------------------------------------------------------------------
    async def publish_override(self, user_id: int, override: str | None) -> None:
        """After a committed override change: apply it here at once, tell the other nodes."""
        self.apply_override(user_id, override)
        if self._bus is None:
            return
        message = _dumps({"k": "p.override", "u": user_id, "o": override})
        try:
            await self._bus.publish(EPHEMERAL_CHANNEL, message)
        except Exception as exc:  # the nodes holding the user's sockets repeat it in snapshots
            self._outage.failed(exc)
        else:
            self._outage.succeeded()

    def apply_override(self, user_id: int, override: str | None) -> None:
        value = as_override(override)
        if self.local.set_override(user_id, value):
            self._local_changed(user_id)
        self.cluster.set_override(user_id, value)
        self._schedule_flush()

    # --- the bus -------------------------------------------------------------------------
    def receive(self, message: dict[str, Any]) -> None:
        kind = message.get("k")
        if kind == "p.override":
            user_id = message.get("u")
            if isinstance(user_id, int):
                self.apply_override(user_id, message.get("o"))
            return
        node = message.get("n")
        if not isinstance(node, str) or node == self.node:
            return  # our own messages come back from the bus: we applied them already
        if kind == "p.bye":
            self.cluster.forget(node)
        else:
            self.cluster.seen(node, self._monotonic())
            users = message.get("u")
            if kind == "p.delta" and isinstance(users, dict):
                for user_id, value in users.items():
                    self.cluster.put(node, int(user_id), _entry(value))
            elif kind == "p.snap" and isinstance(users, dict):
                entries = {int(u): e for u, v in users.items() if (e := _entry(v)) is not None}
                self.cluster.replace(node, entries)
            elif kind == "p.ask":
                self._snapshot_asked = True
                self._wake.set()
        self._schedule_flush()

    async def run(self, bus: Bus) -> None:
        """The outbox, until cancelled: asks the others for their snapshots, then publishes
        this node's deltas as they happen and a snapshot every ``snapshot_every`` seconds.
        Start it once this process is subscribed to the ephemeral channel."""
        self._bus = bus
        await self._publish({"k": "p.ask", "n": self.node})
        next_snapshot = self._monotonic()
        while True:
            if not (self._dirty or self._snapshot_asked):
                timeout = max(0.0, next_snapshot - self._monotonic())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()
            now = self._monotonic()
            if now >= next_snapshot:
                next_snapshot = now + self.snapshot_every
                if self.cluster.expire(now, 3 * self.snapshot_every):
                    self._schedule_flush()
                self._snapshot_asked = True
            if self._snapshot_asked:
                self._snapshot_asked = False
                self._dirty.clear()
                ok = await self._publish(
                    {"k": "p.snap", "n": self.node, "u": self.cluster.node_entries(self.node)}
                )
            elif self._dirty:
                users, self._dirty = self._dirty, set()
                entries = {user: self.local.entry(user) for user in users}
                ok = await self._publish({"k": "p.delta", "n": self.node, "u": entries})
            else:
                continue
            if not ok:
                # The bus is down: whatever was lost is resent as one snapshot, at most
                # once a second, until it is back.
                self._snapshot_asked = True
                await asyncio.sleep(1.0)

    async def leave(self) -> None:
        """On a clean shutdown (after cancelling ``run``): the others forget us now."""
        if self._bus is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._publish({"k": "p.bye", "n": self.node}), 2.0)
        self.stop()

    def stop(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None

    async def _publish(self, message: dict[str, Any]) -> bool:
        assert self._bus is not None
        try:
            await self._bus.publish(EPHEMERAL_CHANNEL, _dumps(message))
        except Exception as exc:
            self._outage.failed(exc)
            return False
        self._outage.succeeded()
        return True

    # --- broadcasting --------------------------------------------------------------------
    def _schedule_flush(self) -> None:
        if self._flush_timer is None and self.cluster.pending:
            loop = asyncio.get_running_loop()
            self._flush_timer = loop.call_later(self.flush_every, self.flush)

    def flush(self) -> None:
        """Tell every local socket what changed since the last flush, in one frame."""
        self._flush_timer = None
        changes = self.cluster.flush()
        if not changes:
            return
        self._visible_json = None
        frame = _dumps({"type": "presence", "data": {"users": changes}}).decode()
        # No copy: offer() never mutates the hub (see Hub.dispatch).
        for conns in self.hub.by_user.values():
            for conn in conns:
                conn.offer(0, frame)
            self.broadcasts += len(conns)

    def online_count(self) -> int:
        """Users not offline, as last told (a metric)."""
        return len(self.cluster.visible)
