"""Real servers for the realtime tests, and the client side of the protocol.

* ``serve_app(settings)``: ``create_app`` behind a real uvicorn on 127.0.0.1:<free port>, in
  the test's own event loop (so a test can still look at the hub or the database).
* ``ServerProcess``: ``python -m minimost serve --no-tls ...`` as a subprocess, for kill -9,
  SIGTERM, several nodes and ``--workers``.
* ``LiveUsers``: users signed up over real HTTP. The session cookie is ``Secure`` and these
  servers speak plain HTTP, so a cookie jar would never send it back: every user carries an
  explicit ``Cookie`` header instead (and the CSRF header on unsafe requests, via TestUser).
* ``recv``/``recv_until``/``closed``: waits on socket conditions, always with a timeout.
  They pass over the ephemeral frames (typing, presence), which arrive at any time, unless
  asked for them with ``ephemeral=True``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from minimost.app import create_app
from minimost.cli.server import MiniMostServer
from minimost.config import Settings
from minimost.realtime.hub import Hub
from tests.factories import FAST_HASH, PASSWORD, TestUser

COOKIE = "minimost_session"
# Hang guards, never expectations: a passing test does not wait them out, so they are
# generous enough for a 2-core machine kept busy by other work, and kept in one place.
TIMEOUT = 30.0  # a frame, a condition, an in-process event
START_TIMEOUT = 120.0  # a server or helper process to be ready (imports, migrations, TLS)
EPHEMERAL = frozenset({"typing", "presence"})


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_until(
    predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "condition"
) -> None:
    """Poll a cheap in-process condition (hub state, a subprocess) until true or time out."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


# --- sockets --------------------------------------------------------------------------


async def recv(
    ws: ClientConnection, timeout: float = TIMEOUT, *, ephemeral: bool = False
) -> dict[str, Any]:
    """The next frame (without ``ephemeral``: the next one that is not typing/presence)."""
    deadline = time.monotonic() + timeout
    while True:
        raw = await asyncio.wait_for(ws.recv(), max(0.0, deadline - time.monotonic()))
        frame: dict[str, Any] = json.loads(raw)
        if ephemeral or frame.get("type") not in EPHEMERAL:
            return frame


async def recv_until(
    ws: ClientConnection,
    predicate: Callable[[dict[str, Any]], bool],
    timeout: float = TIMEOUT,
    *,
    ephemeral: bool = False,
) -> list[dict[str, Any]]:
    """Every frame up to and including the first one matching ``predicate``."""
    deadline = time.monotonic() + timeout
    frames: list[dict[str, Any]] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no matching frame within {timeout}s; got {frames}")
        try:
            frame = await recv(ws, remaining, ephemeral=ephemeral)
        except TimeoutError:
            raise TimeoutError(f"no matching frame within {timeout}s; got {frames}") from None
        frames.append(frame)
        if predicate(frame):
            return frames


async def hello(ws: ClientConnection) -> dict[str, Any]:
    """The first frame must be hello; returns its data."""
    frame = await recv(ws)
    assert frame["type"] == "hello", frame
    data: dict[str, Any] = frame["data"]
    return data


@dataclass
class Closed:
    code: int | None
    reason: str
    frames: list[dict[str, Any]]  # what arrived before the close


async def closed(ws: ClientConnection, timeout: float = TIMEOUT) -> Closed:
    """Read until the server closes the socket; the close code it sent and the frames before."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"socket still open after {timeout}s; got {frames}")
        try:
            raw = await asyncio.wait_for(ws.recv(), remaining)
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            return Closed(rcvd.code if rcvd else None, rcvd.reason if rcvd else "", frames)
        frame = json.loads(raw)
        if frame.get("type") not in EPHEMERAL:
            frames.append(frame)


def event_frames(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only the replayable frames (those with an event id)."""
    return [f for f in frames if "id" in f]


# --- users over HTTP -----------------------------------------------------------------


@dataclass
class LiveUser(TestUser):
    __test__ = False

    base_url: str = ""
    session: str = ""

    @property
    def ws_base(self) -> str:
        return ws_of(self.base_url) + "/api/v1/ws"

    def ws_url(self, since: int | str | None = None) -> str:
        return self.ws_base if since is None else f"{self.ws_base}?since={since}"

    def connect(
        self,
        since: int | str | None = None,
        *,
        auth: str = "cookie",
        token: str | None = None,
        origin: str | None = None,
    ) -> connect:
        """A websockets client for this user: ``async with user.connect(since=5) as ws``."""
        headers: dict[str, str] = {}
        if auth == "cookie":
            headers["Cookie"] = f"{COOKIE}={self.session}"
        elif auth == "bearer":
            assert token is not None
            headers["Authorization"] = f"Bearer {token}"
        return ws_connect(self.ws_url(since), headers=headers, origin=origin)


def ws_of(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1)


def ws_connect(
    url: str, *, headers: dict[str, str] | None = None, origin: str | None = None
) -> connect:
    return websockets.connect(
        url,
        additional_headers=headers or {},
        origin=origin,  # type: ignore[arg-type]
        compression=None,
        proxy=None,
        open_timeout=TIMEOUT,
        close_timeout=2,
        ping_interval=None,
        max_queue=None,  # never push back on the server: tests read at their own pace
    )


def _http_client(
    base_url: str, session: str | None, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncClient:
    headers = {"Cookie": f"{COOKIE}={session}"} if session else {}
    return httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=15, trust_env=False, verify=verify
    )


def session_cookie(response: httpx.Response) -> str:
    """The session token a sign-up or sign-in set (among its several Set-Cookie headers:
    the device cookie comes too)."""
    cookie: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookie.load(header)
    return cookie[COOKIE].value


class LiveUsers:
    """``await users("alice")``: a signed-up user of the server at ``base_url``."""

    def __init__(self, base_url: str, verify: ssl.SSLContext | bool = True) -> None:
        self.base_url = base_url
        self.verify = verify  # a TLS ServerProcess's ``verify``
        self.created: list[LiveUser] = []

    async def __call__(self, username: str, base_url: str | None = None) -> LiveUser:
        url = base_url or self.base_url
        async with _http_client(url, None, self.verify) as anon:
            response = await anon.post(
                "/api/v1/auth/signup",
                json={"username": username, "password": PASSWORD, "display_name": ""},
            )
        assert response.status_code == 201, response.text
        session = session_cookie(response)
        body = response.json()
        client = _http_client(url, session, self.verify)
        user = LiveUser(
            client, body["user"]["id"], body["user"]["username"], body["csrf_token"],
            base_url=url, session=session,
        )  # fmt: skip
        listing = await user.get("/api/v1/conversations")
        assert listing.status_code == 200, listing.text
        user.conversations = {c["name"]: c["id"] for c in listing.json()["conversations"]}
        self.created.append(user)
        return user

    async def aclose(self) -> None:
        for user in self.created:
            await user.aclose()


# --- in-process server -----------------------------------------------------------------


@dataclass
class InProcessServer:
    app: FastAPI
    server: uvicorn.Server
    task: asyncio.Task[None]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hub(self) -> Hub:
        hub: Hub = self.app.state.minimost.hub
        return hub

    async def stop(self) -> None:
        if self.task.done():
            return
        self.server.should_exit = True
        await asyncio.wait_for(asyncio.shield(self.task), 20)


@contextlib.asynccontextmanager
async def serve_app(
    settings: Settings, prepare: Callable[[FastAPI], None] | None = None
) -> AsyncIterator[InProcessServer]:
    """``create_app(settings)`` served by uvicorn on a free port of 127.0.0.1 (no TLS).
    ``prepare`` may add test-only routes or middleware before it starts.

    ``MiniMostServer`` is the production ``uvicorn.Server`` subclass (``minimost serve``
    uses it): its shutdown closes our sockets with 1001 before uvicorn's generic 1012.
    """
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it Nagle + delayed ACKs add ~40 ms to every response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(settings)
    if prepare is not None:
        prepare(app)
    config = uvicorn.Config(
        app,
        ws="websockets-sansio",
        lifespan="on",
        log_level="warning",
        log_config=None,
        access_log=False,
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
    )
    server = MiniMostServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn:{port}")
    try:
        await wait_until(lambda: server.started or task.done(), START_TIMEOUT, "uvicorn to start")
        if task.done():
            task.result()  # raise the start-up error
            raise RuntimeError("uvicorn exited during start-up")
        live = InProcessServer(app, server, task, port)
        yield live
    finally:
        if not task.done():
            server.should_exit = True
            try:
                await asyncio.wait_for(task, 20)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        sock.close()


# --- subprocess servers ----------------------------------------------------------------


class ServerProcess:
    """``python -m minimost serve --no-tls`` on a fixed port and data directory."""

    def __init__(
        self,
        root: Path,
        *,
        port: int | None = None,
        settings: dict[str, Any] | None = None,
        data_dir: Path | None = None,
        database_url: str | None = None,
        bus_url: str | None = None,
        workers: int | None = None,
        tls: bool = False,
        name: str = "server",
    ) -> None:
        self.port = port or free_port()
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir or root / "data"
        self.settings_path = root / f"{name}-settings.json"
        self.settings_path.write_text(
            json.dumps(
                {
                    "channels": ["general", "random"],
                    **FAST_HASH,
                    "link_previews": False,  # never fetch links from a test server
                    **(settings or {}),
                }
            )
        )
        self.log_path = root / f"{name}.log"
        self.database_url = database_url
        self.bus_url = bus_url
        self.workers = workers
        self.tls = tls  # the server makes its own CA in data_dir/tls (see ``verify``)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What an HTTP client verifies this server's certificate with."""
        ca = self.data_dir / "tls" / "ca.pem"
        if self.tls and ca.exists():
            return ssl.create_default_context(cafile=str(ca))
        return True

    def command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", "minimost", "serve",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--data-dir", str(self.data_dir), "--settings", str(self.settings_path),
        ]  # fmt: skip
        if not self.tls:
            cmd.append("--no-tls")
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        if self.bus_url:
            cmd += ["--bus-url", self.bus_url]
        if self.workers:
            cmd += ["--workers", str(self.workers)]
        return cmd

    def launch(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINIMOST_")}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: workers die with it
            )

    async def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll /readyz until the server answers (the database too)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            # A new client per attempt: a TLS server's CA appears only during start-up.
            async with httpx.AsyncClient(
                base_url=self.url, timeout=2, trust_env=False, verify=self.verify
            ) as client:
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after {timeout}s:\n{self.log_tail()}")
            await asyncio.sleep(0.05)

    async def start(self) -> None:
        self.launch()
        await self.wait_ready()

    def wait_ready_sync(self, timeout: float = START_TIMEOUT) -> None:
        """``wait_ready`` for synchronous (e.g. module-scoped) fixtures."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with httpx.Client(
                base_url=self.url, timeout=2, trust_env=False, verify=self.verify
            ) as client:
                try:
                    if client.get("/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after {timeout}s:\n{self.log_tail()}")
            time.sleep(0.05)  # polling a subprocess for readiness

    async def _wait_exit(self, timeout: float) -> int:
        assert self.proc is not None
        proc = self.proc
        await wait_until(lambda: proc.poll() is not None, timeout, "the server to exit")
        return proc.returncode

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs at all."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        await self._wait_exit(10)
        self.proc = None

    async def terminate(self, timeout: float = 20) -> int:
        """SIGTERM (graceful) and wait; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = await self._wait_exit(timeout)
        self.proc = None
        return code

    def stop_sync(self) -> None:
        """Cleanup for fixtures: graceful, then forceful."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        # Workers of a --workers parent share its process group; make sure none is left.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        self.proc = None

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
