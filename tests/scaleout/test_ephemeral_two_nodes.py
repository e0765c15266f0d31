"""Typing and presence between two ``minimost serve`` nodes sharing PostgreSQL and Redis:
a user on node 1 is seen typing, online, away, dnd and finally offline by a user on node 2."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests import pg
from tests.live import LiveUser, LiveUsers, ServerProcess, hello, recv, recv_until
from tests.scaleout.test_two_nodes import drop_redis_prefix, uname

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ...]]:
    database = pg.run_sync(pg.create_database())
    prefix = f"mmtest-{uuid.uuid4().hex}"
    root = tmp_path_factory.mktemp("ephemeral")
    started = [
        ServerProcess(
            root / name,
            name=name,
            database_url=pg.sqlalchemy_url(database),
            bus_url=f"{pg.REDIS_URL}?prefix={prefix}",
        )
        for name in ("node1", "node2")
    ]
    try:
        for node in started:
            node.launch()
            node.wait_ready_sync()
        yield tuple(started)
    finally:
        for node in started:
            node.stop_sync()
        pg.run_sync(pg.drop_database(database))
        drop_redis_prefix(prefix)


@pytest.fixture
async def on1(nodes: tuple[ServerProcess, ...]) -> AsyncIterator[LiveUsers]:
    made = LiveUsers(nodes[0].url)
    yield made
    await made.aclose()


@pytest.fixture
async def on2(nodes: tuple[ServerProcess, ...]) -> AsyncIterator[LiveUsers]:
    made = LiveUsers(nodes[1].url)
    yield made
    await made.aclose()


async def presence_until(ws: Any, view: dict[str, str], user: LiveUser, status: str) -> None:
    """Fold presence frames into ``view`` until ``user`` shows as ``status``."""
    while view.get(str(user.id), "offline") != status:
        frame = await recv(ws, ephemeral=True)
        if frame["type"] == "presence":
            for key, value in frame["data"]["users"].items():
                view[key] = value


async def test_presence_and_typing_cross_nodes(
    nodes: tuple[ServerProcess, ...], on1: LiveUsers, on2: LiveUsers
) -> None:
    alice = await on1(uname("alice"))  # node 1
    bob = await on2(uname("bob"))  # node 2
    general = alice.channel("general")

    async with bob.connect() as b_ws:
        bob_sees = dict((await hello(b_ws))["presence"])
        async with alice.connect() as a_ws:
            await hello(a_ws)
            await presence_until(b_ws, bob_sees, alice, "online")

            await a_ws.send(f'{{"type":"typing","conversation":{general}}}')
            frames = await recv_until(b_ws, lambda f: f["type"] == "typing", ephemeral=True)
            assert frames[-1] == {
                "type": "typing",
                "conversation": general,
                "data": {"user_ids": [alice.id]},
            }

            await a_ws.send('{"type":"presence","status":"idle"}')
            await presence_until(b_ws, bob_sees, alice, "away")
            # The override is set through node 2, while alice's socket is on node 1.
            headers = {"Authorization": f"Bearer {await alice.token()}"}
            async with httpx.AsyncClient(
                base_url=nodes[1].url, headers=headers, trust_env=False
            ) as alice_on_node2:
                response = await alice_on_node2.put("/api/v1/me/presence", json={"status": "dnd"})
            assert response.status_code == 200, response.text
            assert response.json() == {"presence": "dnd"}  # node 2 knows she is connected
            await presence_until(b_ws, bob_sees, alice, "dnd")

            # Users listed on node 2 carry presence learnt from node 1.
            listed = await bob.get("/api/v1/users", params={"q": alice.username})
            assert listed.json()["users"][0]["presence"] == "dnd"
        # Her last socket closed on node 1: offline on node 2.
        await presence_until(b_ws, bob_sees, alice, "offline")
        listed = await bob.get("/api/v1/users", params={"q": alice.username})
        assert listed.json()["users"][0]["presence"] == "offline"
