"""``minimost serve --workers N`` on the default SQLite database with a Redis bus: N worker
processes serve, writes from any of them reach every socket in order, and SIGTERM (what
``systemctl stop`` sends) stops parent and workers cleanly. The PostgreSQL variant is in
tests/scaleout/test_two_nodes.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import redis

from tests import pg
from tests.live import START_TIMEOUT, TIMEOUT, LiveUsers, ServerProcess, hello, recv, wait_until

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]


def workers_of(pid: int) -> list[psutil.Process]:
    """uvicorn's worker processes (spawned children running the multiprocessing entry)."""
    found = []
    for child in psutil.Process(pid).children():
        try:
            if "multiprocessing.spawn" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"mmtest-workers-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(pg.REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


async def test_workers_serve_on_sqlite_and_stop_cleanly_on_sigterm(
    tmp_path: Path, redis_prefix: str
) -> None:
    server = ServerProcess(tmp_path, workers=2, bus_url=f"{pg.REDIS_URL}?prefix={redis_prefix}")
    server.launch()
    try:
        await server.wait_ready()
        assert server.proc is not None
        parent = server.proc.pid
        await wait_until(
            lambda: len(workers_of(parent)) == 2, START_TIMEOUT, "two worker processes"
        )
        pids = [p.pid for p in workers_of(parent)]

        people = LiveUsers(server.url)
        try:
            alice = await people("alice")
            bob = await people("bob")
            async with bob.connect() as ws:
                await hello(ws)
                general = alice.channel("general")
                # A fresh TCP connection per request: the kernel spreads them over the
                # workers, so both write to the one SQLite file.
                headers = {
                    "Cookie": f"minimost_session={alice.session}",
                    "X-CSRF-Token": alice.csrf,
                }
                async with httpx.AsyncClient(
                    base_url=server.url,
                    headers=headers,
                    limits=httpx.Limits(max_keepalive_connections=0),
                    trust_env=False,
                    timeout=TIMEOUT,
                ) as fresh:
                    responses = await asyncio.gather(
                        *(
                            fresh.post(
                                f"/api/v1/conversations/{general}/messages", json={"text": f"m{i}"}
                            )
                            for i in range(12)
                        )
                    )
                assert [r.status_code for r in responses] == [201] * 12, [
                    r.text for r in responses if r.status_code != 201
                ]
                expected = sorted(r.json()["message"]["id"] for r in responses)
                got: list[int] = []
                while len(got) < len(expected):
                    frame = await recv(ws)
                    if frame.get("type") == "message.created":
                        got.append(frame["data"]["id"])
                assert got == expected  # every write, once, in id order, via the Redis bus
        finally:
            await people.aclose()

        assert await server.terminate(timeout=30) == 0, server.log_tail()
        for pid in pids:
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie", pid
        assert "Traceback" not in server.log_tail(400), server.log_tail(400)
    finally:
        server.stop_sync()


async def test_workers_log_like_the_single_process(tmp_path: Path, redis_prefix: str) -> None:
    """A worker's INFO lines (here the janitor's first retention run, which one worker does
    at start) reach the log in the single process's format."""
    server = ServerProcess(tmp_path, workers=2, bus_url=f"{pg.REDIS_URL}?prefix={redis_prefix}")
    server.launch()
    try:
        await server.wait_ready()

        def logged() -> bool:
            text = server.log_path.read_text(errors="replace")
            return " INFO minimost.domain.janitor: retention: " in text

        await wait_until(logged, 60, "a worker's INFO line in the log")
    finally:
        server.stop_sync()
