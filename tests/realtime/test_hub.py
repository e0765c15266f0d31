"""The hub in isolation: routing, membership changes, ordering (the sequencer), back-pressure
and shutdown. Connections are real ``Connection`` objects whose closer records its calls."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest

from minimost.domain.events import Published, encode_frame
from minimost.realtime.bus.base import EVENTS_CHANNEL
from minimost.realtime.bus.memory import MemoryBus
from minimost.realtime.codec import encode
from minimost.realtime.hub import CLOSE_GOING_AWAY, CLOSE_TOO_SLOW, Connection, Hub
from tests.live import TIMEOUT

WAIT = TIMEOUT  # a hang guard (tests/live.py)


class Closer:
    """Records ``(code, reason)`` for every close the hub asks for."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def __call__(self, code: int, reason: str) -> None:
        self.calls.append((code, reason))


def make_conn(user_id: int, max_queue: int = 100) -> tuple[Connection, Closer]:
    closer = Closer()
    return Connection(user_id, closer, max_queue), closer


def ev(
    event_id: int,
    type_: str = "message.created",
    conversation: int | None = None,
    user: int | None = None,
) -> Published:
    payload = f'{{"n":{event_id}}}'
    return Published(
        id=event_id,
        type=type_,
        conversation_id=conversation,
        user_id=user,
        frame=encode_frame(event_id, type_, conversation, payload),
    )


def drain(conn: Connection) -> list[int]:
    """Event ids queued on ``conn`` so far (empties the queue)."""
    ids = []
    while not conn.queue.empty():
        event_id, frame = conn.queue.get_nowait()
        assert f'"id":{event_id},' in frame
        ids.append(event_id)
    return ids


async def take(conn: Connection, count: int, timeout: float = WAIT) -> list[int]:
    """Wait for ``count`` frames on ``conn``'s queue (the writer's view)."""
    ids = []
    for _ in range(count):
        event_id, _frame = await asyncio.wait_for(conn.queue.get(), timeout)
        ids.append(event_id)
    return ids


class FakeLog:
    """The events table as the loader sees it; records every range asked for."""

    def __init__(self, events: Iterable[Published] = ()) -> None:
        self.events = {e.id: e for e in events}
        self.calls: list[tuple[int, int]] = []
        self.called = asyncio.Event()
        self.fail_next = 0

    async def __call__(self, after: int, upto: int) -> list[Published]:
        self.calls.append((after, upto))
        self.called.set()
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("database went away")
        return [self.events[i] for i in sorted(self.events) if after < i <= upto]


async def quiesce(timeout: float = WAIT) -> None:
    """Wait until every other task of this loop (the hub's gap filler) has finished."""
    me = asyncio.current_task()
    others = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    if others:
        await asyncio.wait_for(asyncio.gather(*others, return_exceptions=True), timeout)


# --- routing ---------------------------------------------------------------------------


def test_conversation_events_reach_only_that_conversations_connections() -> None:
    hub = Hub()
    alice1, _ = make_conn(1)
    alice2, _ = make_conn(1)  # a second tab
    bob, _ = make_conn(2)
    for conn, convs in ((alice1, [10, 11]), (alice2, [10]), (bob, [20])):
        hub.attach(conn)
        hub.subscribe(conn, convs)

    hub.dispatch(ev(1, conversation=10))
    hub.dispatch(ev(2, conversation=11))
    hub.dispatch(ev(3, conversation=20))
    hub.dispatch(ev(4, conversation=99))  # nobody here

    assert drain(alice1) == [1, 2]
    assert drain(alice2) == [1]
    assert drain(bob) == [3]
    assert hub.delivered == 4


def test_user_events_reach_every_socket_of_that_user_once() -> None:
    hub = Hub()
    alice1, _ = make_conn(1)
    alice2, _ = make_conn(1)
    bob, _ = make_conn(2)
    for conn in (alice1, alice2, bob):
        hub.attach(conn)
    hub.subscribe(alice1, [10])
    hub.subscribe(bob, [10])

    hub.dispatch(ev(1, "member.added", user=1))  # user-only event
    # Conversation *and* user audience: alice1 is in both and must get it once.
    hub.dispatch(ev(2, "conversation.updated", conversation=10, user=1))

    assert drain(alice1) == [1, 2]
    assert drain(alice2) == [1, 2]
    assert drain(bob) == [2]


def test_event_with_no_conversation_and_no_user_goes_to_everyone() -> None:
    """The broadcast audience (e.g. ``user.updated``): every socket, member of anything
    or not, and each once."""
    hub = Hub()
    alice, _ = make_conn(1)
    bob, _ = make_conn(2)
    lonely, _ = make_conn(3)
    for conn in (alice, bob, lonely):
        hub.attach(conn)
    hub.subscribe(alice, [1])
    hub.subscribe(bob, [1, 2])
    hub.dispatch(ev(1, "user.updated"))
    hub.dispatch(ev(2, conversation=2))
    assert drain(alice) == [1]
    assert drain(bob) == [1, 2]
    assert drain(lonely) == [1]


def test_member_added_subscribes_the_users_sockets_before_delivering() -> None:
    hub = Hub()
    carol1, _ = make_conn(3)
    carol2, _ = make_conn(3)
    dave, _ = make_conn(4)
    for conn in (carol1, carol2, dave):
        hub.attach(conn)
    hub.subscribe(dave, [30])

    hub.dispatch(ev(1, "member.added", conversation=30, user=3))
    hub.dispatch(ev(2, conversation=30))

    # Both of carol's sockets see their own join and what follows; dave sees both too.
    assert drain(carol1) == [1, 2]
    assert drain(carol2) == [1, 2]
    assert drain(dave) == [1, 2]
    assert carol1.conversations == {30}
    assert hub.by_conversation[30] == {carol1, carol2, dave}


def test_member_removed_is_delivered_then_unsubscribes() -> None:
    hub = Hub()
    carol1, _ = make_conn(3)
    carol2, _ = make_conn(3)
    dave, _ = make_conn(4)
    for conn in (carol1, carol2, dave):
        hub.attach(conn)
        hub.subscribe(conn, [30])
    hub.subscribe(carol1, [31])

    hub.dispatch(ev(1, "member.removed", conversation=30, user=3))
    hub.dispatch(ev(2, conversation=30))
    hub.dispatch(ev(3, conversation=31))

    assert drain(carol1) == [1, 3]  # the removal itself, then nothing more from 30
    assert drain(carol2) == [1]
    assert drain(dave) == [1, 2]
    assert carol1.conversations == {31}
    assert hub.by_conversation[30] == {dave}


def test_last_member_leaving_drops_the_conversation_entry() -> None:
    hub = Hub()
    conn, _ = make_conn(5)
    hub.attach(conn)
    hub.subscribe(conn, [40])
    hub.dispatch(ev(1, "member.removed", conversation=40, user=5))
    assert 40 not in hub.by_conversation
    assert drain(conn) == [1]


def test_detach_forgets_the_connection() -> None:
    hub = Hub()
    a, _ = make_conn(1)
    b, _ = make_conn(1)
    hub.attach(a)
    hub.attach(b)
    hub.subscribe(a, [1, 2])
    hub.subscribe(b, [2])
    assert hub.streams_of(1) == 2
    assert hub.connection_count == 2

    hub.detach(a)
    assert hub.streams_of(1) == 1
    assert hub.by_conversation == {2: {b}}
    hub.detach(b)
    assert hub.streams_of(1) == 0
    assert hub.connection_count == 0
    assert hub.by_conversation == {}
    assert hub.by_user == {}
    hub.dispatch(ev(1, conversation=2, user=1))
    assert drain(a) == [] and drain(b) == []


def test_frames_are_queued_in_dispatch_order_and_unchanged() -> None:
    hub = Hub()
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [7])
    events = [ev(i, conversation=7) for i in range(1, 51)]
    for event in events:
        hub.dispatch(event)
    queued = [conn.queue.get_nowait() for _ in range(50)]
    assert queued == [(e.id, e.frame) for e in events]


# --- the sequencer ---------------------------------------------------------------------


async def test_in_order_events_are_delivered_at_once() -> None:
    log = FakeLog()
    hub = Hub(loader=log, gap_timeout=0.01)
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])
    for i in range(1, 6):
        hub.receive(ev(i, conversation=1))
        assert hub.last_id == i
    assert drain(conn) == [1, 2, 3, 4, 5]
    await quiesce()
    assert log.calls == []


async def test_out_of_order_events_are_held_and_delivered_in_order() -> None:
    log = FakeLog()
    hub = Hub(loader=log, gap_timeout=5.0)  # the gap closes long before the timeout
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])

    hub.receive(ev(1, conversation=1))
    hub.receive(ev(4, conversation=1))
    hub.receive(ev(3, conversation=1))
    assert drain(conn) == [1]  # 3 and 4 wait for 2
    assert hub.last_id == 1
    hub.receive(ev(2, conversation=1))
    assert drain(conn) == [2, 3, 4]
    assert hub.last_id == 4
    await quiesce(timeout=10)
    assert log.calls == []


async def test_a_gap_is_filled_from_the_log_after_gap_timeout() -> None:
    log = FakeLog([ev(2, conversation=1), ev(3, conversation=1)])
    hub = Hub(loader=log, gap_timeout=0.01)
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])
    hub.receive(ev(1, conversation=1))
    assert await take(conn, 1) == [1]

    hub.receive(ev(4, conversation=1))  # 2 and 3 were lost on the bus
    assert await take(conn, 3) == [2, 3, 4]
    assert log.calls == [(1, 3)]
    assert hub.last_id == 4
    await quiesce()


async def test_gap_fill_applies_membership_events_from_the_log() -> None:
    # The lost event was carol joining conversation 9: the filled-in copy must subscribe her
    # before the held message in 9 is delivered.
    log = FakeLog([ev(1, "member.added", conversation=9, user=3)])
    hub = Hub(loader=log, gap_timeout=0.01)
    carol, _ = make_conn(3)
    hub.attach(carol)
    hub.receive(ev(2, conversation=9))
    assert await take(carol, 2) == [1, 2]
    await quiesce()


async def test_a_permanently_missing_id_is_skipped() -> None:
    # id 2 was a rolled-back sequence value: never in the log.
    log = FakeLog([ev(1, conversation=1), ev(3, conversation=1)])
    hub = Hub(loader=log, gap_timeout=0.01)
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])
    hub.receive(ev(1, conversation=1))
    hub.receive(ev(3, conversation=1))
    assert await take(conn, 2) == [1, 3]
    assert log.calls == [(1, 2)]
    assert hub.last_id == 3

    hub.receive(ev(4, conversation=1))  # the stream goes on normally
    assert await take(conn, 1) == [4]
    hub.receive(ev(2, conversation=1))  # a straggler after the skip is not delivered late
    await quiesce()
    assert drain(conn) == []


async def test_several_gaps_are_filled_in_turn() -> None:
    log = FakeLog([ev(2, conversation=1), ev(5, conversation=1)])
    hub = Hub(loader=log, gap_timeout=0.01)
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])
    hub.receive(ev(1, conversation=1))
    hub.receive(ev(6, conversation=1))
    hub.receive(ev(3, conversation=1))
    hub.receive(ev(4, conversation=1))
    assert await take(conn, 6) == [1, 2, 3, 4, 5, 6]
    assert hub.last_id == 6
    await quiesce()


async def test_a_failing_loader_is_retried() -> None:
    log = FakeLog([ev(1, conversation=1)])
    log.fail_next = 1
    hub = Hub(loader=log, gap_timeout=0.01)
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])
    hub.receive(ev(2, conversation=1))
    assert await take(conn, 2) == [1, 2]
    assert log.calls == [(0, 1), (0, 1)]
    await quiesce()


async def test_duplicates_are_dropped() -> None:
    hub = Hub(loader=FakeLog(), gap_timeout=5.0)
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])
    for i in (1, 1, 2, 1, 2, 3, 3):
        hub.receive(ev(i, conversation=1))
    assert drain(conn) == [1, 2, 3]
    # A duplicate of a *held* event is held once.
    hub.receive(ev(5, conversation=1))
    hub.receive(ev(5, conversation=1))
    hub.receive(ev(4, conversation=1))
    assert drain(conn) == [4, 5]
    await quiesce(timeout=10)


async def test_events_at_or_below_the_start_position_are_ignored() -> None:
    # At start-up the hub's position is the newest id in the log.
    hub = Hub(loader=FakeLog(), gap_timeout=0.01)
    hub.last_id = 100
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])
    hub.receive(ev(99, conversation=1))
    hub.receive(ev(100, conversation=1))
    hub.receive(ev(101, conversation=1))
    assert drain(conn) == [101]
    await quiesce()


async def test_run_consumes_the_bus_in_id_order() -> None:
    bus = MemoryBus()
    await bus.connect()
    log = FakeLog()
    hub = Hub(loader=log, gap_timeout=5.0)
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])
    task = asyncio.create_task(hub.run(bus))
    try:
        # Barrier: publish event 1 until it comes through (the hub drops the duplicates).
        async def first() -> None:
            while True:
                await bus.publish(EVENTS_CHANNEL, encode(ev(1, conversation=1)))
                try:
                    assert await take(conn, 1, timeout=0.05) == [1]
                    return
                except TimeoutError:
                    continue

        await asyncio.wait_for(first(), WAIT)
        for i in (3, 2, 5, 1, 4):
            await bus.publish(EVENTS_CHANNEL, encode(ev(i, conversation=1)))
        await bus.publish(EVENTS_CHANNEL, b"not a bus message")  # logged, not fatal
        await bus.publish(EVENTS_CHANNEL, encode(ev(6, conversation=1)))
        assert await take(conn, 5) == [2, 3, 4, 5, 6]
        assert drain(conn) == []
        assert log.calls == []
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await bus.disconnect()


# --- back-pressure and shutdown ----------------------------------------------------------


def test_a_full_queue_closes_the_connection_once_with_4408() -> None:
    hub = Hub()
    slow, slow_closer = make_conn(1, max_queue=3)
    fast, fast_closer = make_conn(2, max_queue=100)
    for conn in (slow, fast):
        hub.attach(conn)
        hub.subscribe(conn, [1])

    for i in range(1, 11):
        hub.dispatch(ev(i, conversation=1))

    assert slow_closer.calls == [(CLOSE_TOO_SLOW, slow_closer.calls[0][1])]
    assert CLOSE_TOO_SLOW == 4408
    assert "since" in slow_closer.calls[0][1]
    assert slow.closed
    assert drain(slow) == [1, 2, 3]  # nothing is queued after the overflow
    assert drain(fast) == list(range(1, 11))
    assert fast_closer.calls == []
    # Closing is the socket's business: the hub does not change its maps inline.
    assert hub.streams_of(1) == 1
    assert slow.offer(11, "{}") is False
    assert len(slow_closer.calls) == 1


def test_offer_after_close_is_refused_without_closing_again() -> None:
    conn, closer = make_conn(1, max_queue=1)
    assert conn.offer(1, "a") is True
    conn.close(1000, "bye")
    assert conn.offer(2, "b") is False
    conn.close(1000, "again")
    assert closer.calls == [(1000, "bye")]


def test_close_all_closes_every_connection_with_1001() -> None:
    hub = Hub()
    conns = [make_conn(user) for user in (1, 1, 2, 3)]
    for conn, _ in conns:
        hub.attach(conn)
    assert hub.close_all() == 4
    assert CLOSE_GOING_AWAY == 1001
    for conn, closer in conns:
        assert conn.closed
        assert len(closer.calls) == 1
        assert closer.calls[0][0] == 1001
    # Idempotent: nobody is closed twice.
    hub.close_all()
    assert all(len(closer.calls) == 1 for _, closer in conns)


async def test_events_only_in_the_database_are_delivered_once_noted() -> None:
    """Another process (the admin CLI beside a server on the in-process bus) committed 2
    and 3; they never come over the bus. Told the newest id, the hub loads and delivers
    them after the gap timeout, in order, and a late bus copy is not delivered twice."""
    log = FakeLog([ev(2, conversation=1), ev(3, "session.ended", user=1)])
    hub = Hub(loader=log, gap_timeout=0.01)
    conn, _ = make_conn(1)
    hub.attach(conn)
    hub.subscribe(conn, [1])
    hub.receive(ev(1, conversation=1))
    assert await take(conn, 1) == [1]

    hub.note_committed(3)
    assert await take(conn, 2) == [2, 3]
    assert log.calls == [(1, 3)]
    hub.receive(ev(3, "session.ended", user=1))
    hub.note_committed(3)  # nothing new: no load, no task
    await quiesce()
    assert drain(conn) == []
    assert log.calls == [(1, 3)]


async def test_noting_an_id_already_delivered_loads_nothing() -> None:
    log = FakeLog()
    hub = Hub(loader=log, gap_timeout=0.01)
    hub.receive(ev(1))
    hub.note_committed(1)
    await quiesce()
    assert log.calls == []
