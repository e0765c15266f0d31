"""Typing notifications: the relay in isolation (throttle, batching, one encoding per batch,
relay between processes over the bus), then end to end over real sockets.

Absence is never proven by waiting: a later typing frame the user *may* see is the barrier
(a dropped notification, had it gone out, would have been batched no later than it)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from minimost.realtime import ephemeral
from minimost.realtime.bus.memory import MemoryBus
from minimost.realtime.hub import Connection, Hub
from minimost.realtime.presence import PresenceTracker
from minimost.realtime.typing_relay import TypingRelay
from tests.conftest import make_settings
from tests.live import (
    TIMEOUT,
    InProcessServer,
    LiveUser,
    LiveUsers,
    hello,
    recv,
    recv_until,
    serve_app,
    wait_until,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_conn(hub: Hub, user_id: int, *conversations: int) -> Connection:
    conn = Connection(user_id, lambda code, reason: None, 100)
    hub.attach(conn)
    hub.subscribe(conn, conversations)
    return conn


def queued(conn: Connection) -> list[str]:
    frames = []
    while not conn.queue.empty():
        event_id, frame = conn.queue.get_nowait()
        assert event_id == 0  # ephemeral: never skipped by the replay floor
        frames.append(frame)
    return frames


# --- the relay in isolation ----------------------------------------------------------------


async def test_only_subscribed_sockets_may_type_and_at_most_once_per_window() -> None:
    hub, clock = Hub(), FakeTime()
    relay = TypingRelay(hub, throttle=2.0, monotonic=clock)
    alice = make_conn(hub, 1, 10)
    alice_tab2 = make_conn(hub, 1, 10)
    try:
        assert not relay.accept(alice, 11)  # not subscribed: not a member
        assert relay.accept(alice, 10)
        clock.now += 1.9
        assert not relay.accept(alice, 10)  # within the window
        assert relay.accept(alice_tab2, 10)  # per socket
        clock.now += 0.2
        assert relay.accept(alice, 10)  # the window passed
    finally:
        relay.stop()


async def test_a_batch_is_one_frame_per_conversation_encoded_once() -> None:
    hub = Hub()
    relay = TypingRelay(hub, flush_every=60)  # flushed by hand below
    watchers = [make_conn(hub, 1, 10), make_conn(hub, 2, 10), make_conn(hub, 3, 10, 20)]
    outsider = make_conn(hub, 4, 30)
    try:
        relay.receive({"k": "typing", "c": 10, "u": 2})
        relay.receive({"k": "typing", "c": 10, "u": 1})
        relay.receive({"k": "typing", "c": 10, "u": 2})
        relay.receive({"k": "typing", "c": 20, "u": 3})
        relay.receive({"k": "typing", "c": 99, "u": 3})  # nobody here subscribed: dropped
        relay.flush()
        frames = [queued(conn) for conn in watchers]
        assert (
            frames[0]
            == ['{"type":"typing","conversation":10,"data":{"user_ids":[1,2]}}']
            == frames[1]
        )
        assert frames[2] == [
            frames[0][0],
            '{"type":"typing","conversation":20,"data":{"user_ids":[3]}}',
        ]
        # The very same string for every receiver: encoded once per batch.
        assert frames[0][0] is frames[1][0] is frames[2][0]
        assert queued(outsider) == []
        relay.flush()  # nothing new: nothing sent
        assert all(queued(conn) == [] for conn in watchers)
    finally:
        relay.stop()


async def test_the_timer_runs_only_while_something_is_pending() -> None:
    hub, clock = Hub(), FakeTime()
    relay = TypingRelay(hub, throttle=0.1, flush_every=0.02, monotonic=clock)
    conn = make_conn(hub, 1, 10)
    try:
        assert relay._timer is None
        relay.receive({"k": "typing", "c": 10, "u": 1})
        assert relay._timer is not None
        await wait_until(lambda: not conn.queue.empty(), what="the batch")
        assert queued(conn) == ['{"type":"typing","conversation":10,"data":{"user_ids":[1]}}']
        await wait_until(lambda: relay._timer is None, what="the timer to stop")
        # A throttle entry keeps the timer going only until it expires.
        assert relay.accept(conn, 10)
        clock.now += 1
        await wait_until(lambda: relay._timer is None and not relay._recent, what="expiry")
    finally:
        relay.stop()


async def test_typing_travels_between_processes_over_the_bus() -> None:
    bus = MemoryBus()
    hubs = [Hub(), Hub()]
    relays = [TypingRelay(hub, flush_every=0.02) for hub in hubs]
    tasks = []
    for hub, relay in zip(hubs, relays, strict=True):
        ready = asyncio.Event()
        presence = PresenceTracker(hub)
        tasks.append(asyncio.create_task(ephemeral.run(bus, relay, presence, ready)))
        await asyncio.wait_for(ready.wait(), TIMEOUT)
        relay.start(bus)
    typer = make_conn(hubs[0], 1, 10)
    reader = make_conn(hubs[1], 2, 10)
    try:
        await relays[0].typed(typer, 10)
        await relays[0].typed(typer, 11)  # not subscribed: never published
        await wait_until(lambda: not reader.queue.empty(), what="the relayed batch")
        await wait_until(lambda: not typer.queue.empty(), what="the local batch")
        expected = '{"type":"typing","conversation":10,"data":{"user_ids":[1]}}'
        assert queued(reader) == [expected]
        assert queued(typer) == [expected]  # the typer's other tabs learn it too
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for relay in relays:
            relay.stop()


# --- end to end ------------------------------------------------------------------------------


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[InProcessServer]:
    async with serve_app(make_settings(tmp_path / "data")) as server:
        yield server


def typing_in(conversation: int) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["type"] == "typing" and f["conversation"] == conversation


def typing_frames(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == "typing"]


async def leave(user: LiveUser, channel: str) -> None:
    response = await user.delete(f"/api/v1/conversations/{user.channel(channel)}/members/{user.id}")
    assert response.status_code == 204, response.text


async def test_members_see_who_is_typing(live: InProcessServer, people: LiveUsers) -> None:
    alice = await people("alice")
    bob = await people("bob")
    general = alice.channel("general")
    async with alice.connect() as a_ws, bob.connect() as b_ws:
        await hello(a_ws)
        await hello(b_ws)
        await a_ws.send(f'{{"type":"typing","conversation":{general}}}')
        for ws in (b_ws, a_ws):  # alice's own socket too (her other tabs ignore it)
            frame = (await recv_until(ws, typing_in(general), ephemeral=True))[-1]
            assert frame == {
                "type": "typing",
                "conversation": general,
                "data": {"user_ids": [alice.id]},
            }
            assert "id" not in frame  # ephemeral: never replayed


async def test_typing_where_you_are_not_a_member_goes_nowhere(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    general, random_id = alice.channel("general"), alice.channel("random")
    async with alice.connect() as a_ws, bob.connect() as b_ws:
        await hello(a_ws)
        await hello(b_ws)
        await leave(alice, "random")
        assert (await recv(a_ws))["type"] == "member.removed"  # her socket is unsubscribed
        await a_ws.send(f'{{"type":"typing","conversation":{random_id}}}')
        await a_ws.send('{"type":"typing","conversation":999999}')  # no such conversation
        await a_ws.send(f'{{"type":"typing","conversation":{general}}}')  # the barrier
        frames = await recv_until(b_ws, typing_in(general), ephemeral=True)
        assert typing_frames(frames) == [
            {"type": "typing", "conversation": general, "data": {"user_ids": [alice.id]}}
        ]


async def test_a_burst_of_typing_is_throttled(live: InProcessServer, people: LiveUsers) -> None:
    alice = await people("alice")
    bob = await people("bob")
    general, random_id = alice.channel("general"), alice.channel("random")
    async with alice.connect() as a_ws, bob.connect() as b_ws:
        await hello(a_ws)
        await hello(b_ws)
        await a_ws.send(f'{{"type":"typing","conversation":{general}}}')
        await recv_until(b_ws, typing_in(general), ephemeral=True)
        # Well within the 2 s window of the first one: dropped. The batch that carries the
        # barrier (random) would carry it too, ahead of it.
        for _ in range(5):
            await a_ws.send(f'{{"type":"typing","conversation":{general}}}')
        await a_ws.send(f'{{"type":"typing","conversation":{random_id}}}')
        frames = await recv_until(b_ws, typing_in(random_id), ephemeral=True)
        assert [f["conversation"] for f in typing_frames(frames)] == [random_id]


async def test_malformed_ephemeral_frames_get_an_error(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    async with alice.connect() as ws:
        await hello(ws)
        for bad in (
            '{"type":"typing"}',
            '{"type":"typing","conversation":"general"}',
            '{"type":"typing","conversation":true}',
            '{"type":"presence","status":"asleep"}',
            '{"type":"presence"}',
        ):
            await ws.send(bad)
            frame = await recv(ws)
            assert frame["type"] == "error", bad
            assert frame["data"]["code"] == "bad_frame"
        await ws.send('{"type":"ping"}')
        assert await recv(ws) == {"type": "pong"}  # the socket is still fine
