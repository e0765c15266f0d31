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
import base64
import contextlib
import json
import os
import resource
import struct
import time
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


# --- 1,000 open sockets -------------------------------------------------------------------

MANY = 1000
USERS = 4  # sockets per user stay under the per-user stream cap set below


class BrowserLikeSocket:
    """An asyncio WebSocket client as cheap as a browser tab: reads the hello frame, waits
    for the server's close frame, answers it, and then (like Chromium) waits for the server
    to end the TCP connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, cookie: str) -> BrowserLikeSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                "GET /api/v1/ws HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Cookie: {cookie}\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def frame(self) -> tuple[int, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(length)

    async def hello(self) -> str:
        opcode, payload = await self.frame()
        assert opcode == 1, opcode
        kind: str = json.loads(payload)["type"]
        return kind

    async def close_code(self) -> int:
        """The code of the server's close frame (answered), after the server hung up."""
        while True:
            opcode, payload = await self.frame()
            if opcode == 8:
                break
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload[:2]))
        self.writer.write(bytes([0x88, 0x80 | len(body)]) + mask + body)
        with contextlib.suppress(ConnectionError):
            await self.reader.read()  # until the server ends the connection
        (code,) = struct.unpack("!H", payload[:2])
        return int(code)

    def close(self) -> None:
        self.writer.close()


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        pytest.skip(f"needs {needed} open files, the hard limit is {hard}")


async def test_sigterm_with_1000_open_sockets_closes_them_all_and_exits_cleanly(
    tmp_path: Path,
) -> None:
    """issue 12: shutdown with 1,000 open sockets ends with exit 0, 1001 on every socket and
    not one error line; in particular uvicorn's graceful timeout never fires ("exceeded")
    and no background service overruns its stop budget. The time it takes is printed (run
    with ``-s``), never asserted: this suite runs on busy 2-core machines."""
    _raise_fd_limit(MANY + 200)
    server = ServerProcess(
        tmp_path, settings={"max_event_streams_per_user": MANY, "rate_limit_enabled": False}
    )
    server.launch()
    sockets: list[BrowserLikeSocket] = []
    try:
        await server.wait_ready()
        people = LiveUsers(server.url)
        try:
            users = [await people(f"user{n}") for n in range(USERS)]
        finally:
            await people.aclose()
        opening = asyncio.Semaphore(50)  # a steady stream of tabs, not a SYN flood

        async def tab(user: int) -> BrowserLikeSocket:
            async with opening:
                ws = await BrowserLikeSocket.open(server.port, f"{COOKIE}={users[user].session}")
                assert await ws.hello() == "hello"
                return ws

        for chunk in range(0, MANY, 100):
            sockets += await asyncio.gather(
                *(tab(n % USERS) for n in range(chunk, min(chunk + 100, MANY)))
            )
        assert len(sockets) == MANY
        assert server.proc is not None
        started = time.monotonic()
        codes_task = asyncio.gather(*(asyncio.wait_for(ws.close_code(), 90) for ws in sockets))
        exit_code = await server.terminate(timeout=90)
        exited = time.monotonic() - started
        codes = await codes_task
        print(f"\nshutdown with {MANY} sockets: process exited {exited:.2f}s after SIGTERM")
        assert exit_code == 0, server.log_tail()
        assert codes == [1001] * MANY
        log = server.log_path.read_text(errors="replace")
        for bad in ("exceeded", "Traceback", " ERROR ", "Cancel ", "did not stop within"):
            assert bad not in log, log
    finally:
        for ws in sockets:
            ws.close()
        server.stop_sync()
