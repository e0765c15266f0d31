"""Per-process fan-out of committed events to live sockets.

The hub keeps ``conversation_id -> connections`` and ``user_id -> connections`` (updated by
membership events), delivers each event's pre-encoded frame to every local connection in its
audience, and never touches the database itself (a loader is injected for gap filling).

Ordering: events must reach each socket in id order. Within one process the bus preserves
commit order, but with several processes on Redis a later id can arrive before an earlier
one. The sequencer holds such an event until the missing ids arrive, or, after
``gap_timeout``, loads them from the events table (the source of truth). Ids lost for good
(a rolled-back PostgreSQL sequence value) are then skipped.

Back-pressure: every connection has a bounded queue. A client too slow to drain it is
disconnected with code 4408 and resumes with ``since``; one slow socket never grows memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Final

import orjson
from pydantic import ValidationError

from minimost.domain.events import Published
from minimost.wire.events import SOCKET_EFFECTS, SessionEnded, SocketEffect

from .bus.base import EVENTS_CHANNEL, Bus
from .codec import decode

log = logging.getLogger(__name__)

CLOSE_GOING_AWAY: Final = 1001
CLOSE_TOO_SLOW: Final = 4408
# The client's "signed out" code: its session ended (revoked, password changed, deleted).
CLOSE_AUTH_LOST: Final = 4401

Loader = Callable[[int, int], Awaitable[list[Published]]]
Closer = Callable[[int, str], None]


class Connection:
    """One socket's view from the hub. Few attributes, slots: there may be 10,000s."""

    __slots__ = (
        "_closer",
        "closed",
        "conversations",
        "floor",
        "left",
        "queue",
        "session_id",
        "user_id",
    )

    def __init__(
        self, user_id: int, closer: Closer, max_queue: int = 1000, session_id: int | None = None
    ) -> None:
        self.user_id = user_id
        # The browser session it signed in with (None: a bearer token), for ``session.ended``.
        self.session_id = session_id
        self.conversations: set[int] = set()
        # Conversations this user left while the socket was starting up: a membership list
        # read before the leave must not subscribe the socket to them afterwards.
        self.left: set[int] = set()
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(max_queue)
        # Frames with an id <= floor were already sent by replay; the writer skips them.
        self.floor = 0
        self.closed = False
        self._closer = closer

    def offer(self, event_id: int, frame: str) -> bool:
        if self.closed:
            return False
        try:
            self.queue.put_nowait((event_id, frame))
        except asyncio.QueueFull:
            self.close(CLOSE_TOO_SLOW, "too slow: resume with since")
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            self._closer(code, reason)


class Hub:
    def __init__(self, *, loader: Loader | None = None, gap_timeout: float = 0.5) -> None:
        self.by_conversation: dict[int, set[Connection]] = {}
        self.by_user: dict[int, set[Connection]] = {}
        self.last_id = 0
        self._loader = loader
        self._gap_timeout = gap_timeout
        self._pending: dict[int, Published] = {}
        # The newest id known to be committed (see ``note_committed``).
        self._horizon = 0
        self._gap_task: asyncio.Task[None] | None = None
        self.delivered = 0  # frames queued to sockets (exported as a metric)
        # Told the user id whenever some of its sessions end (the app drops its auth cache).
        self.on_sessions_ended: Callable[[int], None] | None = None
        self.accepted = 0  # sockets that completed the handshake and replay (a metric)

    # --- connections ---------------------------------------------------------------
    def attach(self, conn: Connection) -> None:
        self.by_user.setdefault(conn.user_id, set()).add(conn)

    def subscribe(self, conn: Connection, conversation_ids: Iterable[int]) -> None:
        for cid in conversation_ids:
            if cid in conn.left:
                continue
            conn.conversations.add(cid)
            self.by_conversation.setdefault(cid, set()).add(conn)

    def _unsubscribe(self, conn: Connection, cid: int) -> None:
        conn.conversations.discard(cid)
        members = self.by_conversation.get(cid)
        if members is not None:
            members.discard(conn)
            if not members:
                del self.by_conversation[cid]

    def detach(self, conn: Connection) -> None:
        for cid in list(conn.conversations):
            self._unsubscribe(conn, cid)
        mine = self.by_user.get(conn.user_id)
        if mine is not None:
            mine.discard(conn)
            if not mine:
                del self.by_user[conn.user_id]

    def streams_of(self, user_id: int) -> int:
        return len(self.by_user.get(user_id, ()))

    @property
    def connection_count(self) -> int:
        return sum(len(conns) for conns in self.by_user.values())

    # --- sequencing ----------------------------------------------------------------
    def receive(self, event: Published) -> None:
        """Entry point for every committed event arriving from the bus."""
        if event.id <= self.last_id:
            return  # already delivered (a duplicate, or filled in from the database)
        if event.id == self.last_id + 1:
            self._deliver(event)
            self._drain_pending()
            return
        self._pending[event.id] = event
        if self._gap_task is None or self._gap_task.done():
            self._gap_task = asyncio.create_task(self._fill_gaps())

    def _deliver(self, event: Published) -> None:
        self.last_id = event.id
        self.dispatch(event)

    def _drain_pending(self) -> None:
        for stale in [i for i in self._pending if i <= self.last_id]:
            del self._pending[stale]
        while self.last_id + 1 in self._pending:
            self._deliver(self._pending.pop(self.last_id + 1))

    def note_committed(self, newest: int) -> None:
        """The events table's newest id. Whatever up to it has not arrived over the bus
        after the gap timeout is loaded and delivered: events written by a process that
        cannot reach our bus, e.g. ``minimost users disable`` beside a server on the
        in-process bus (its sockets must close, not wait for the next unrelated event)."""
        if newest > self.last_id and newest > self._horizon:
            self._horizon = newest
            if self._gap_task is None or self._gap_task.done():
                self._gap_task = asyncio.create_task(self._fill_gaps())

    def _gap_end(self) -> int:
        """The id up to which events are missing (0: none)."""
        if self._pending:
            return min(self._pending) - 1
        return self._horizon if self._horizon > self.last_id else 0

    async def _fill_gaps(self) -> None:
        while self._gap_end():
            await asyncio.sleep(self._gap_timeout)
            upto = self._gap_end()
            if not upto:
                return
            if upto > self.last_id and self._loader is not None:
                try:
                    missing = await self._loader(self.last_id, upto)
                except Exception:
                    log.exception("hub: could not load events %d..%d", self.last_id + 1, upto)
                    continue
                for event in missing:
                    if event.id > self.last_id:
                        self._deliver(event)
            # Whatever is still missing was never committed (e.g. a rolled-back sequence).
            self.last_id = max(self.last_id, upto)
            self._drain_pending()

    # --- delivery ------------------------------------------------------------------
    def dispatch(self, event: Published) -> None:
        """Queue ``event`` on every local connection in its audience, in order."""
        conv, user = event.conversation_id, event.user_id
        # What the event does to its user's sockets (``wire.events.SPECS``): usually nothing.
        effect = SOCKET_EFFECTS.get(event.type)
        if effect is SocketEffect.SUBSCRIBE and conv is not None and user is not None:
            for conn in self.by_user.get(user, ()):
                conn.left.discard(conv)
                self.subscribe(conn, (conv,))
        if conv is None and user is None:
            # Everyone's business (e.g. a profile change): every local connection.
            for conns in self.by_user.values():
                for conn in conns:
                    conn.offer(event.id, event.frame)
                    self.delivered += 1
            return
        sent: set[Connection] | None = None
        if conv is not None:
            sent = self.by_conversation.get(conv)
            # No copy: offer() never mutates the hub (closing is scheduled, not done inline).
            for conn in sent or ():
                conn.offer(event.id, event.frame)
            self.delivered += len(sent or ())
        if user is not None:
            for conn in tuple(self.by_user.get(user, ())):
                if sent is None or conn not in sent:
                    conn.offer(event.id, event.frame)
                    self.delivered += 1
        if effect is SocketEffect.UNSUBSCRIBE and conv is not None and user is not None:
            for conn in self.by_user.get(user, ()):
                conn.left.add(conv)
                self._unsubscribe(conn, conv)
        if effect is SocketEffect.END_SESSIONS and user is not None:
            self._end_sessions(user, event)

    def _end_sessions(self, user_id: int, event: Published) -> None:
        """Close the sockets of the ended sessions (after queueing the frame, so the other
        tabs learn of it) and let the app forget the user's cached credentials."""
        if self.on_sessions_ended is not None:
            self.on_sessions_ended(user_id)
        try:
            data = SessionEnded.model_validate(orjson.loads(event.frame).get("data"))
        except ValidationError:
            # Not ours (a foreign writer on the bus): it ends nothing, and delivery goes on.
            log.warning("hub: malformed session.ended %d", event.id)
            return
        ended = set(data.session_ids)
        everything = data.all
        for conn in tuple(self.by_user.get(user_id, ())):
            if everything or (conn.session_id is not None and conn.session_id in ended):
                conn.close(CLOSE_AUTH_LOST, "session ended")

    async def run(
        self,
        bus: Bus,
        start_after: Callable[[], Awaitable[int]] | None = None,
        ready: asyncio.Event | None = None,
    ) -> None:
        """Consume the events channel until cancelled.

        Subscribes first and only then asks ``start_after()`` for the newest committed event
        id: anything committed after that read arrives on the subscription, so nothing falls
        between the two.
        """
        async with bus.subscribe(EVENTS_CHANNEL) as messages:
            if start_after is not None:
                self.last_id = max(self.last_id, await start_after())
            if ready is not None:
                ready.set()
            async for message in messages:
                try:
                    self.receive(decode(message))
                except Exception:
                    log.exception("hub: undeliverable bus message")

    # --- shutdown ------------------------------------------------------------------
    def close_all(self, code: int = CLOSE_GOING_AWAY, reason: str = "server restarting") -> int:
        conns = [c for conns in self.by_user.values() for c in conns]
        for conn in conns:
            conn.close(code, reason)
        return len(conns)
