"""Presence: the tracker between "nodes" sharing a bus (deltas, snapshots on request, a clean
goodbye, forgetting a silent node, overrides, one encoding per flush), then end to end over
real sockets and HTTP.

Absence is never proven by waiting: a later presence change the observer must see is the
barrier (a wrong change would have been flushed no later than it)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
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
    serve_app,
    wait_until,
)

# --- nodes on one bus ------------------------------------------------------------------------


@dataclass
class Node:
    hub: Hub
    presence: PresenceTracker
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def open(self, user_id: int, override: str | None = None) -> Connection:
        conn = Connection(user_id, lambda code, reason: None, 1000)
        self.hub.attach(conn)
        token = self.presence.connecting(conn)
        self.presence.connected(conn, override, token)
        return conn

    def close(self, conn: Connection) -> None:
        self.presence.disconnected(conn)
        self.hub.detach(conn)

    async def crash(self) -> None:
        """Stop without a goodbye (as ``kill -9`` would)."""
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        self.presence.stop()

    async def shutdown(self) -> None:
        """The app's shutdown order: cancel the outbox, say goodbye, stop listening."""
        self.tasks[1].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.tasks[1]
        await self.presence.leave()
        await self.crash()


class Cluster:
    def __init__(self, snapshot_every: float = 30.0) -> None:
        self.bus = MemoryBus()
        self.snapshot_every = snapshot_every
        self.nodes: list[Node] = []

    async def start(self, name: str) -> Node:
        hub = Hub()
        presence = PresenceTracker(
            hub, node=name, snapshot_every=self.snapshot_every, flush_every=0.02
        )
        ready = asyncio.Event()
        listen = asyncio.create_task(ephemeral.run(self.bus, TypingRelay(hub), presence, ready))
        await asyncio.wait_for(ready.wait(), TIMEOUT)
        node = Node(hub, presence, [listen, asyncio.create_task(presence.run(self.bus))])
        self.nodes.append(node)
        return node

    async def stop(self) -> None:
        for node in self.nodes:
            await node.crash()


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    made = Cluster()
    yield made
    await made.stop()


def presence_frames(conn: Connection) -> Iterator[dict[int, str]]:
    while not conn.queue.empty():
        event_id, frame = conn.queue.get_nowait()
        assert event_id == 0
        decoded = json.loads(frame)
        assert decoded["type"] == "presence"
        yield {int(k): v for k, v in decoded["data"]["users"].items()}


async def status_is(node: Node, user_id: int, status: str) -> None:
    await wait_until(
        lambda: node.presence.status(user_id) == status,
        what=f"user {user_id} {status} on {node.presence.node}",
    )


async def test_a_users_status_combines_their_sockets_on_every_node(cluster: Cluster) -> None:
    a, b = await cluster.start("a"), await cluster.start("b")
    tab1 = a.open(1)
    await status_is(b, 1, "online")
    a.presence.set_idle(tab1, True)
    await status_is(b, 1, "away")
    tab2 = b.open(1)  # another tab, on the other node, active
    await status_is(a, 1, "online")
    b.presence.set_idle(tab2, True)
    await status_is(a, 1, "away")
    a.presence.set_idle(tab1, False)
    await status_is(b, 1, "online")
    a.close(tab1)
    await status_is(b, 1, "away")  # the idle tab on b is left
    b.close(tab2)
    await status_is(a, 1, "offline")
    await status_is(b, 1, "offline")


async def test_a_starting_node_asks_for_the_others_state(cluster: Cluster) -> None:
    a = await cluster.start("a")
    a.open(1)
    idle = a.open(2)
    a.presence.set_idle(idle, True)
    late = await cluster.start("late")  # its p.ask is answered with a's snapshot
    await status_is(late, 1, "online")
    await status_is(late, 2, "away")
    # What its sockets' hello frames carry once the next flush ran.
    await wait_until(
        lambda: json.loads(late.presence.visible_json()) == {"1": "online", "2": "away"}
    )


async def test_a_clean_shutdown_is_forgotten_at_once(cluster: Cluster) -> None:
    a, b = await cluster.start("a"), await cluster.start("b")
    a.open(1)
    await status_is(b, 1, "online")
    await a.shutdown()
    await status_is(b, 1, "offline")
    assert b.presence.cluster.nodes == ["b"]


async def test_a_silent_node_is_forgotten_after_three_snapshot_intervals() -> None:
    cluster = Cluster(snapshot_every=0.1)
    try:
        a, b = await cluster.start("a"), await cluster.start("b")
        a.open(1)
        b.open(2)
        await status_is(b, 1, "online")
        await a.crash()
        # b keeps it while it could still be alive, then forgets it; its own users stay.
        await status_is(b, 1, "offline")
        assert b.presence.status(2) == "online"
        assert b.presence.cluster.nodes == ["b"]
    finally:
        await cluster.stop()


async def test_snapshots_repair_a_lost_delta() -> None:
    cluster = Cluster(snapshot_every=0.1)
    try:
        a, b = await cluster.start("a"), await cluster.start("b")
        a.open(1)
        await status_is(b, 1, "online")
        # b misses a delta (say Redis dropped it): its view goes wrong ...
        b.presence.cluster.put("a", 1, None)
        assert b.presence.status(1) == "offline"
        # ... until a's next periodic snapshot.
        await status_is(b, 1, "online")
    finally:
        await cluster.stop()


async def test_an_override_applies_on_every_node_while_connected(cluster: Cluster) -> None:
    a, b = await cluster.start("a"), await cluster.start("b")
    tab = a.open(1)
    await status_is(b, 1, "online")
    await b.presence.publish_override(1, "dnd")  # set through node b's HTTP API
    await status_is(a, 1, "dnd")
    await status_is(b, 1, "dnd")
    a.presence.set_idle(tab, True)
    await wait_until(lambda: a.presence.local.entry(1) == ("away", "dnd"))
    assert b.presence.status(1) == "dnd"  # idle or not
    a.close(tab)
    await status_is(b, 1, "offline")  # an override does not keep anyone online
    a.open(1, override="dnd")  # the database value, read when the socket opens
    await status_is(b, 1, "dnd")
    await a.presence.publish_override(1, None)
    await status_is(b, 1, "online")


async def test_an_override_that_overtakes_the_database_read_wins(cluster: Cluster) -> None:
    a = await cluster.start("a")
    conn = Connection(1, lambda code, reason: None, 100)
    a.hub.attach(conn)
    token = a.presence.connecting(conn)
    await a.presence.publish_override(1, "away")  # committed while the socket reads
    a.presence.connected(conn, None, token)  # the value it read was the old one
    assert a.presence.status(1) == "away"


async def test_a_flush_is_one_frame_encoded_once_for_every_socket(cluster: Cluster) -> None:
    a, b = await cluster.start("a"), await cluster.start("b")
    watchers = [b.open(100), b.open(101), b.open(101)]
    await wait_until(lambda: b.presence.visible_json() == '{"100":"online","101":"online"}')
    for conn in watchers:
        list(presence_frames(conn))
    for user in (1, 2, 3):
        a.open(user)
    await wait_until(lambda: all(not c.queue.empty() for c in watchers), what="the flush")
    await wait_until(lambda: b.presence.visible_json().count("online") == 5)
    frames = [list(c.queue._queue) for c in watchers]  # type: ignore[attr-defined]
    merged: dict[int, str] = {}
    for frame in presence_frames(watchers[0]):
        merged.update(frame)
    assert merged == {1: "online", 2: "online", 3: "online"}
    # Every socket holds the very same string objects: one encoding per flush.
    assert all(x[1] is y[1] for x, y in zip(frames[0], frames[1], strict=True))
    assert all(x[1] is y[1] for x, y in zip(frames[0], frames[2], strict=True))
    # Nothing pending, nothing scheduled: an idle cluster costs nothing.
    await wait_until(lambda: b.presence._flush_timer is None and a.presence._flush_timer is None)


# --- end to end ------------------------------------------------------------------------------


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[InProcessServer]:
    async with serve_app(make_settings(tmp_path / "data")) as server:
        yield server


class Watcher:
    """Reads one socket's presence frames and folds them into a view of everyone."""

    def __init__(self, ws: Any, start: dict[str, str]) -> None:
        self.ws = ws
        self.view = dict(start)
        self.changes: list[dict[str, str]] = []

    async def until(self, user: LiveUser, status: str) -> list[dict[str, str]]:
        """Read until ``user`` shows as ``status``; returns the changes read meanwhile."""
        seen: list[dict[str, str]] = []
        while self.view.get(str(user.id), "offline") != status:
            frame = await recv(self.ws, ephemeral=True)
            if frame["type"] != "presence":
                continue
            seen.append(frame["data"]["users"])
            for key, value in frame["data"]["users"].items():
                if value == "offline":
                    self.view.pop(key, None)
                else:
                    self.view[key] = value
        self.changes += seen
        return seen


async def watch(ws: Any) -> Watcher:
    data = await hello(ws)
    return Watcher(ws, data["presence"])


async def test_online_away_and_offline_follow_the_tabs(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    carol = await people("carol")
    async with bob.connect() as b_ws:
        bob_sees = await watch(b_ws)
        async with alice.connect() as tab1:
            await hello(tab1)
            await bob_sees.until(alice, "online")
            await tab1.send('{"type":"presence","status":"idle"}')
            await bob_sees.until(alice, "away")
            async with alice.connect() as tab2:  # a new tab is active
                await hello(tab2)
                await bob_sees.until(alice, "online")
                await tab1.send('{"type":"presence","status":"active"}')
                await tab1.send('{"type":"presence","status":"idle"}')  # tab2 still active
                async with carol.connect() as c_ws:  # the barrier
                    await hello(c_ws)
                    meanwhile = await bob_sees.until(carol, "online")
                assert all(str(alice.id) not in change for change in meanwhile), meanwhile
            await bob_sees.until(alice, "away")  # only the idle tab is left
        await bob_sees.until(alice, "offline")  # the last socket closed


async def test_hello_lists_everyone_who_is_not_offline(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    dave = await people("dave")  # signed up, never connected
    async with alice.connect() as a_ws, bob.connect() as b_ws:
        await hello(b_ws)
        alice_sees = await watch(a_ws)
        await alice_sees.until(bob, "online")
        await alice_sees.until(alice, "online")  # her own status reaches her too
        async with dave.connect() as d_ws:
            presence = (await hello(d_ws))["presence"]
        assert presence == {str(alice.id): "online", str(bob.id): "online"}


async def test_the_override_while_connected_and_after_reconnecting(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    me = await alice.get("/api/v1/me")
    assert me.json()["presence_override"] is None

    # Without a socket the override is stored, but alice stays offline.
    response = await alice.put("/api/v1/me/presence", json={"status": "away"})
    assert response.status_code == 200, response.text
    assert response.json() == {"presence": "offline"}

    async with bob.connect() as b_ws:
        bob_sees = await watch(b_ws)
        async with alice.connect() as a_ws:
            await hello(a_ws)
            await bob_sees.until(alice, "away")  # read from the database on connect
            response = await alice.put("/api/v1/me/presence", json={"status": "dnd"})
            assert response.json() == {"presence": "dnd"}
            await bob_sees.until(alice, "dnd")
            assert (await alice.get("/api/v1/me")).json()["presence_override"] == "dnd"
            listed = (await bob.get("/api/v1/users", params={"q": "alice"})).json()["users"]
            assert listed == [
                {
                    "id": alice.id,
                    "username": "alice",
                    "display_name": "",
                    "color": None,
                    "avatar_url": None,
                    "presence": "dnd",
                }
            ]
            await a_ws.send('{"type":"presence","status":"idle"}')
            response = await alice.put("/api/v1/me/presence", json={"status": "auto"})
            assert response.json() == {"presence": "away"}  # idle, and no override now
            await bob_sees.until(alice, "away")
            await a_ws.send('{"type":"presence","status":"active"}')
            await bob_sees.until(alice, "online")
        await bob_sees.until(alice, "offline")
    assert (await alice.get("/api/v1/me")).json()["presence_override"] is None
