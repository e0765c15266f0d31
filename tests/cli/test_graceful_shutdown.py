"""SIGTERM with browsers connected: every socket gets 1001 "going away", the process exits
with 0 and logs no error.

The sockets here behave like Chromium's: they answer the server's close frame and then wait
for the server to end the connection, and over TLS they never answer its close_notify. Before
the fix such a connection stayed "closing" until asyncio's 30 s TLS shutdown timeout, so
uvicorn's 10 s graceful timeout fired first and logged
``Cancel 0 running task(s), timeout graceful shutdown exceeded``.

No wall-clock bound is asserted. The server's own timers are ordered: the short linger after
which it drops connections that only wait for the peer to finish closing is far below the
graceful timeout (10 s), which is below the TLS shutdown timeout (30 s). Whether the
"exceeded" line appears therefore depends on which timer fires first, not on machine speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests import pg
from tests.cli.raw_client import SilentWebSocket, open_socket, read_response
from tests.live import COOKIE, LiveUsers, ServerProcess

pytestmark = pytest.mark.slow


def _idle_keep_alive(port: int, tls: bool) -> object:
    """A browser's idle keep-alive connection: one request answered, then silence."""
    sock = open_socket(port, tls=tls)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    response = read_response(sock)
    assert response.status == 200
    return sock


@pytest.fixture
def bus_prefix() -> Iterator[str]:
    """A private key prefix on the shared Redis (``--workers`` needs a shared bus)."""
    prefix = f"mmtest-shutdown-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(pg.REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.mark.parametrize(
    ("tls", "workers"),
    [
        (True, None),
        (False, None),
        pytest.param(True, 2, marks=pytest.mark.scaleout),
    ],
    ids=["tls", "plain", "tls-workers"],
)
async def test_sigterm_closes_every_socket_with_1001_and_exits_without_error(
    tmp_path: Path, tls: bool, workers: int | None, bus_prefix: str
) -> None:
    bus = f"{pg.REDIS_URL}?prefix={bus_prefix}" if workers else None
    server = ServerProcess(tmp_path, tls=tls, workers=workers, bus_url=bus)
    server.launch()
    sockets: list[SilentWebSocket] = []
    idle: list[object] = []
    try:
        await server.wait_ready()
        people = LiveUsers(server.url, server.verify)
        try:
            users = [await people(name) for name in ("alice", "bob", "carol")]
        finally:
            await people.aclose()
        for user in users:
            for _ in range(2):
                ws = await asyncio.to_thread(
                    SilentWebSocket, server.port, f"{COOKIE}={user.session}", tls=tls
                )
                sockets.append(ws)
                assert await asyncio.to_thread(ws.first_frame_type) == "hello"
        idle = [await asyncio.to_thread(_idle_keep_alive, server.port, tls) for _ in range(2)]

        exit_code = asyncio.create_task(server.terminate(timeout=90))
        codes = await asyncio.gather(*(asyncio.to_thread(ws.close_code) for ws in sockets))
        assert await exit_code == 0, server.log_tail()
        assert codes == [1001] * len(sockets)
        log = server.log_path.read_text(errors="replace")
        for bad in ("exceeded", "Traceback", " ERROR ", "Cancel "):
            assert bad not in log, log
    finally:
        for ws in sockets:
            ws.close()
        for sock in idle:
            with contextlib.suppress(OSError):
                sock.close()  # type: ignore[attr-defined]
        server.stop_sync()
