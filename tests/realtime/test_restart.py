"""Restarts of a real ``python -m minimost serve`` process on the same port and data dir.

kill -9 in the middle of a burst of sends: every acknowledged message survives, and a client
resuming with ``since`` gets exactly what it missed. SIGTERM: open sockets are told 1001."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import TIMEOUT, LiveUser, LiveUsers, ServerProcess, closed, hello, recv, recv_until

pytestmark = pytest.mark.slow


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    proc = ServerProcess(tmp_path)
    try:
        await proc.start()
        yield proc
    finally:
        proc.stop_sync()


@pytest.fixture
async def people(server: ServerProcess) -> AsyncIterator[LiveUsers]:
    made = LiveUsers(server.url)
    yield made
    await made.aclose()


async def history_after(user: LiveUser, channel: str, after: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        page = await user.history(channel, after=after, limit=200)
        messages += page["messages"]
        if not page["has_more"]:
            return messages
        after = messages[-1]["id"]


async def test_kill_9_loses_no_acknowledged_message_and_since_resumes_exactly(
    server: ServerProcess, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")  # offline during the crash: resumes from his last event id
    carol = await people("carol")  # online during the crash: her socket just drops

    async with bob.connect() as ws:
        await hello(ws)
        first = await alice.send("general", "before the crash")
        frame = await recv(ws)
        assert frame["data"] == first
        bob_last_seen = frame["id"]

    carol_frames: list[dict[str, Any]] = []
    async with carol.connect(since=bob_last_seen) as ws:
        await hello(ws)
        acked: list[dict[str, Any]] = []
        killed = asyncio.Event()

        # Three senders keep requests in flight; the server dies right after the 8th 201.
        async def sender(n: int) -> None:
            i = 0
            while not killed.is_set():
                try:
                    message = await alice.send("general", f"burst {n}-{i}")
                except (httpx.HTTPError, AssertionError):
                    return  # the server is gone: this one was never acknowledged
                i += 1
                acked.append(message)  # a 201: from here on it must survive
                if len(acked) >= 8 and not killed.is_set():
                    killed.set()
                    await server.kill()

        async def reader() -> Any:
            with contextlib.suppress(Exception):
                while True:
                    carol_frames.append(await recv(ws, 30))
            return ws.close_code

        reading = asyncio.create_task(reader())
        await asyncio.wait_for(asyncio.gather(*(sender(n) for n in range(3))), 30)
        assert killed.is_set() and server.proc is None
        close_code = await asyncio.wait_for(reading, TIMEOUT)
    assert close_code == 1006  # no close frame: the process just vanished

    await server.start()  # same port, same data directory

    stored = await history_after(alice, "general", first["id"])
    stored_ids = [m["id"] for m in stored]
    # Durability: every acknowledged message is in history, unchanged, after kill -9.
    assert len(acked) >= 8
    for message in acked:
        assert message in stored

    marker = await alice.send("general", "after the restart")

    def is_marker(f: dict[str, Any]) -> bool:
        return bool(f["type"] == "message.created" and f["data"]["id"] == marker["id"])

    # Bob missed everything after his last event: he gets exactly that, in order.
    async with bob.connect(since=bob_last_seen) as ws:
        data = await hello(ws)
        frames = await recv_until(ws, is_marker)
    replayed = frames[:-1]
    assert [f["type"] for f in replayed] == ["message.created"] * len(stored)
    assert [f["data"] for f in replayed] == stored
    assert [f["id"] for f in frames] == sorted({f["id"] for f in frames})
    assert replayed[0]["id"] > bob_last_seen
    assert data["last_event_id"] == frames[-1]["id"]  # the marker was already committed

    # Carol resumes from the last frame her dropped socket delivered: no gap, no repeat.
    carol_last = carol_frames[-1]["id"] if carol_frames else bob_last_seen
    async with carol.connect(since=carol_last) as ws:
        await hello(ws)
        resumed = (await recv_until(ws, is_marker))[:-1]
    assert [f["data"]["id"] for f in carol_frames + resumed] == stored_ids
    assert carol_frames + resumed == replayed


async def test_sigterm_closes_sockets_with_1001_and_the_client_resumes(
    server: ServerProcess, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    async with bob.connect() as ws:
        await hello(ws)
        before = await alice.send("general", "just before the restart")
        frame = await recv(ws)
        assert frame["data"] == before
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        result = await closed(ws, 15)
    assert result.code == 1001
    assert result.frames == []
    code = await server.terminate()
    assert code in (0, -signal.SIGTERM), server.log_tail()

    await server.start()
    missed = [await alice.send("general", f"while bob was away {i}") for i in range(3)]
    async with bob.connect(since=frame["id"]) as ws:
        await hello(ws)
        frames = [await recv(ws) for _ in missed]
        assert [f["data"] for f in frames] == missed
        live = await alice.send("general", "live again")
        assert (await recv(ws))["data"] == live
