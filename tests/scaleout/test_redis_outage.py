"""A real Redis outage under two ``minimost serve`` nodes sharing one database.

The Redis is the test's own (``tests/redis_server.py``), killed with SIGKILL and started
again on the same port. While it is gone, sends still answer 201 and are stored (their
publication is lost, logged in one line), logins still work (rate limits count in-process),
and sockets on both nodes get every message exactly once and in order, repaired from the
events table without waiting for a later event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import PASSWORD
from tests.live import LiveUsers, ServerProcess, hello, recv_until
from tests.redis_server import KillableRedis, killable_redis
from tests.scaleout.test_two_nodes import created, uname

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]

# A hang guard only: a node resubscribes within seconds of Redis coming back, and a busy
# 2-core machine may take a while longer.
DEADLINE = 60.0


@dataclass
class Outage:
    redis: KillableRedis
    node1: ServerProcess
    node2: ServerProcess


@pytest.fixture
def outage(tmp_path: Path, database_url: str | None) -> Iterator[Outage]:
    shared_db = database_url or f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    with killable_redis(tmp_path) as server:
        nodes = [
            ServerProcess(tmp_path / name, name=name, database_url=shared_db, bus_url=server.url)
            for name in ("node1", "node2")
        ]
        try:
            for node in nodes:  # one after the other: the first migrates a fresh SQLite file
                node.launch()
                node.wait_ready_sync()
            yield Outage(server, *nodes)
        finally:
            for node in nodes:
                node.stop_sync()


def message_ids(frames: list[dict[str, Any]]) -> list[int]:
    return [f["data"]["id"] for f in frames if f.get("type") == "message.created"]


async def test_sends_during_a_redis_outage_succeed_and_reach_every_socket_once(
    outage: Outage,
) -> None:
    on1, on2 = LiveUsers(outage.node1.url), LiveUsers(outage.node2.url)
    try:
        alice = await on1(uname("alice"))
        bob = await on2(uname("bob"))
        carol = await on2(uname("carol"))
        async with alice.connect() as a_ws, bob.connect() as b_ws:
            await hello(a_ws)
            await hello(b_ws)
            before = await alice.send("general", "before the outage")
            for ws in (a_ws, b_ws):
                await recv_until(ws, created(before), DEADLINE)

            outage.redis.kill()
            during = [await alice.send("general", f"during the outage #{i}") for i in range(3)]
            # Stored, and readable through either node.
            for user in (alice, bob):
                listing = await user.get(
                    f"/api/v1/conversations/{user.channel('general')}/messages"
                )
                assert listing.status_code == 200, listing.text
                stored = {m["id"] for m in listing.json()["messages"]}
                assert {m["id"] for m in during} <= stored
            # Logins go on too (their rate limit counts in-process meanwhile).
            async with httpx.AsyncClient(base_url=outage.node2.url, trust_env=False) as anon:
                login = await anon.post(
                    "/api/v1/auth/login", json={"username": carol.username, "password": PASSWORD}
                )
            assert login.status_code == 200, login.text

            outage.redis.start()
            # No later event is needed: both nodes repair the gap from the events table.
            seen = {}
            for name, ws in (("alice", a_ws), ("bob", b_ws)):
                seen[name] = await recv_until(ws, created(during[-1]), DEADLINE)
                assert message_ids(seen[name]) == [m["id"] for m in during], name

            # The bus carries live events again; nothing is delivered twice.
            after = await bob.send("general", "after the outage")
            for name, ws in (("alice", a_ws), ("bob", b_ws)):
                frames = seen[name] + await recv_until(ws, created(after), DEADLINE)
                assert message_ids(frames) == [*(m["id"] for m in during), after["id"]], name
                ids = [f["id"] for f in frames if "id" in f]
                assert ids == sorted(set(ids)), name
    finally:
        await on1.aclose()
        await on2.aclose()

    for node in (outage.node1, outage.node2):
        log = node.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log
        assert " 500 " not in log, log
    published = outage.node1.log_path.read_text(errors="replace")
    assert published.count("events: could not publish") == 1, published  # one line per outage
