"""Scale-out on the real PostgreSQL and Redis: two ``minimost serve`` processes (two nodes,
each with its own data directory, sharing only the database and the bus), and one
``--workers 2`` process. Users on different nodes chat live, limits hold cluster-wide, and
replay works from any node."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests import pg
from tests.live import TIMEOUT, LiveUser, LiveUsers, ServerProcess, hello, recv, recv_until

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]

SEND_LIMIT = 3


def uname(base: str) -> str:
    return f"{base}-{uuid.uuid4().hex[:6]}"


def created(message: dict[str, Any]) -> Any:
    return lambda f: f.get("type") == "message.created" and f["data"]["id"] == message["id"]


def drop_redis_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(pg.REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@dataclass
class Cluster:
    node1: ServerProcess
    node2: ServerProcess


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    database = pg.run_sync(pg.create_database())  # empty: the nodes migrate it themselves
    prefix = f"mmtest-{uuid.uuid4().hex}"
    root = tmp_path_factory.mktemp("cluster")
    nodes = [
        ServerProcess(
            root / name,
            name=name,
            settings={"rate_limits": {"send": [SEND_LIMIT, 60]}},
            database_url=pg.sqlalchemy_url(database),
            bus_url=f"{pg.REDIS_URL}?prefix={prefix}",
        )
        for name in ("node1", "node2")
    ]
    try:
        # One after the other keeps failures easy to read; concurrent start-up on a fresh
        # database is covered in test_bootstrap.py.
        for node in nodes:
            node.launch()
            node.wait_ready_sync()
        yield Cluster(*nodes)
    finally:
        for node in nodes:
            node.stop_sync()
        pg.run_sync(pg.drop_database(database))
        drop_redis_prefix(prefix)


@pytest.fixture
async def on1(cluster: Cluster) -> AsyncIterator[LiveUsers]:
    made = LiveUsers(cluster.node1.url)
    yield made
    await made.aclose()


@pytest.fixture
async def on2(cluster: Cluster) -> AsyncIterator[LiveUsers]:
    made = LiveUsers(cluster.node2.url)
    yield made
    await made.aclose()


async def edit(user: LiveUser, message_id: int, text: str) -> dict[str, Any]:
    response = await user.patch(f"/api/v1/messages/{message_id}", json={"text": text})
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["message"]
    return message


async def test_users_on_different_nodes_chat_live(on1: LiveUsers, on2: LiveUsers) -> None:
    alice = await on1(uname("alice"))  # node 1
    bob = await on2(uname("bob"))  # node 2
    general = alice.channel("general")
    assert bob.channel("general") == general

    async with alice.connect() as a_ws, bob.connect() as b_ws:
        await hello(a_ws)
        await hello(b_ws)
        seen: dict[str, list[dict[str, Any]]] = {"alice": [], "bob": []}

        async def both(predicate: Any) -> None:
            for name, ws in (("alice", a_ws), ("bob", b_ws)):
                if seen[name]:
                    frame = await recv(ws)  # strictly the next frame: no extra, no repeat
                    assert predicate(frame), frame
                else:  # the first may follow a hello-time catch-up (the sign-ups)
                    frame = (await recv_until(ws, predicate))[-1]
                seen[name].append(frame)

        m1 = await alice.send("general", "hello from node 1")
        await both(created(m1))
        m2 = await bob.send("general", "hello from node 2")
        await both(created(m2))
        edited = await edit(alice, m1["id"], "hello from node 1, edited")
        await both(lambda f: f["type"] == "message.updated")
        deleted = await bob.delete(f"/api/v1/messages/{m2['id']}")
        assert deleted.status_code == 204, deleted.text
        await both(lambda f: f["type"] == "message.deleted")

    on_a, on_b = seen["alice"], seen["bob"]
    assert on_a == on_b  # both nodes deliver the same frames
    assert [f["type"] for f in on_b] == [
        "message.created", "message.created", "message.updated", "message.deleted",
    ]  # fmt: skip
    assert [f["data"] for f in on_b[:3]] == [m1, m2, edited]
    assert on_b[3]["data"] == {"id": m2["id"], "conversation_id": general}
    assert all(f["conversation"] == general for f in on_b)
    ids = [f["id"] for f in on_b]
    assert ids == sorted(set(ids))


async def test_the_send_rate_limit_is_shared_by_the_nodes(
    cluster: Cluster, on1: LiveUsers, on2: LiveUsers
) -> None:
    carol = await on1(uname("carol"))
    dave = await on2(uname("dave"))
    token = await carol.token("script")  # a bearer token is valid on every node
    general = carol.channel("general")
    headers = {"Authorization": f"Bearer {token}"}
    nodes = [cluster.node1.url, cluster.node2.url]
    statuses = []
    async with (
        httpx.AsyncClient(base_url=nodes[0], headers=headers, trust_env=False) as c1,
        httpx.AsyncClient(base_url=nodes[1], headers=headers, trust_env=False) as c2,
    ):
        for i, client in enumerate([c1, c2, c1, c2, c1]):
            response = await client.post(
                f"/api/v1/conversations/{general}/messages", json={"text": f"send {i}"}
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
    assert statuses == [201] * SEND_LIMIT + [429, 429]
    # The limit is per user: someone else still sends through either node.
    await dave.send("general", "my own budget")


async def test_a_socket_on_node_2_replays_events_written_through_node_1(
    on1: LiveUsers, on2: LiveUsers
) -> None:
    erin = await on1(uname("erin"))
    frank = await on2(uname("frank"))
    me = await frank.get("/api/v1/me")
    since = me.json()["last_event_id"]

    async with erin.connect(since=since) as e_ws:
        await hello(e_ws)
        sent = [await erin.send("general", f"written on node 1, #{i}") for i in range(3)]
        live = await recv_until(e_ws, created(sent[-1]))
    assert [f["data"] for f in live] == sent

    async with frank.connect(since=since) as f_ws:  # node 2
        data = await hello(f_ws)
        replayed = [await recv(f_ws) for _ in sent]
        assert replayed == live
        assert data["last_event_id"] >= live[-1]["id"]
        # ... and then goes on live, still across nodes.
        edited = await edit(erin, sent[0]["id"], "edited on node 1")
        frame = await recv(f_ws)
        assert frame["type"] == "message.updated" and frame["data"] == edited
        assert frame["id"] > live[-1]["id"]


# --- one port, two worker processes --------------------------------------------------------


@pytest.fixture
def workers_server(tmp_path: Path) -> Iterator[ServerProcess]:
    database = pg.run_sync(pg.create_database())
    prefix = f"mmtest-{uuid.uuid4().hex}"
    server = ServerProcess(
        tmp_path,
        database_url=pg.sqlalchemy_url(database),
        bus_url=f"{pg.REDIS_URL}?prefix={prefix}",
        workers=2,
    )
    try:
        server.launch()
        server.wait_ready_sync()
        yield server
    finally:
        server.stop_sync()
        pg.run_sync(pg.drop_database(database))
        drop_redis_prefix(prefix)


async def test_two_workers_deliver_every_message_once_in_order(
    workers_server: ServerProcess,
) -> None:
    people = LiveUsers(workers_server.url)
    try:
        alice = await people(uname("alice"))
        bob = await people(uname("bob"))
        general = alice.channel("general")

        def fresh_connections(user: LiveUser) -> httpx.AsyncClient:
            # No keep-alive: every request is a new TCP connection, accepted by whichever
            # worker the kernel hands it to.
            return httpx.AsyncClient(
                base_url=workers_server.url,
                headers={
                    "Cookie": f"minimost_session={user.session}",
                    "X-CSRF-Token": user.csrf,
                },
                limits=httpx.Limits(max_keepalive_connections=0),
                trust_env=False,
                timeout=TIMEOUT,
            )

        async def post(client: httpx.AsyncClient, text: str) -> dict[str, Any]:
            response = await client.post(
                f"/api/v1/conversations/{general}/messages", json={"text": text}
            )
            assert response.status_code == 201, response.text
            message: dict[str, Any] = response.json()["message"]
            return message

        sockets = [alice.connect(), bob.connect(), bob.connect(), alice.connect()]
        opened = [await s.__aenter__() for s in sockets]
        try:
            for ws in opened:
                await hello(ws)
            clients = [fresh_connections(u) for u in (alice, bob) for _ in range(3)]
            try:
                texts = [f"m{i}" for i in range(20)]
                sent = await asyncio.gather(
                    *(post(clients[i % len(clients)], t) for i, t in enumerate(texts))
                )
            finally:
                for client in clients:
                    await client.aclose()
            expected = sorted(m["id"] for m in sent)
            assert len(set(expected)) == 20

            async def collect(ws: Any) -> list[dict[str, Any]]:
                frames: list[dict[str, Any]] = []
                while len([f for f in frames if f["type"] == "message.created"]) < 20:
                    frames.append(await recv(ws, 10))
                return frames

            results = await asyncio.gather(*(collect(ws) for ws in opened))
            marker = await alice.send("general", "marker")
            for ws, frames in zip(opened, results, strict=True):
                messages = [f for f in frames if f["type"] == "message.created"]
                assert [f["data"]["id"] for f in messages] == expected
                ids = [f["id"] for f in frames if "id" in f]
                assert ids == sorted(set(ids))
                # Nothing more (no duplicate) before the next message.
                assert (await recv(ws, 10))["data"] == marker
        finally:
            for s in sockets:
                await s.__aexit__(None, None, None)
    finally:
        await people.aclose()
