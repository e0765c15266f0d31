"""Client worker processes that hold the WebSocket receivers and run the send loops.

The parent (``bench.__main__``) owns a :class:`WorkerPool`; each worker is a
separate process running one asyncio loop, talking to the parent over a
``multiprocessing`` pipe with small dict messages:

parent -> worker  ``{"id": n, "op": "...", ...args}``
worker -> parent  ``{"kind": "reply", "id": n, "result": {...}}``
                  ``{"kind": "error", "id": n, "error": "..."}``
                  ``{"kind": "done", "worker": i, "seq": s}``  (every live receiver of
                  this worker got message ``s``; lets the parent pace the sends)

The same harness drives MiniMost and the bare baseline server; the only
difference is the connect spec (URL, headers, whether to send ``join``).
Receivers do not parse JSON: they find ``bench <seq> <send time ns>`` in the
raw frame with one regex search, and record ``receipt time - send time``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import re
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from bench.gcpause import GcPauses, gc_freeze, summarize
from bench.httpload import RawHttpsClient, SendLoadResult, send_loop
from bench.util import HOST, client_ssl_context, install_fast_loop, raise_nofile_limit

MARK = re.compile(rb"bench (\d+) (\d+)")

Msg = dict[str, Any]


@dataclass
class ConnectSpec:
    url: str
    cafile: str
    role: str  # "recv" or "idle"
    count: int
    headers: dict[str, str] = field(default_factory=dict)
    server_hostname: str | None = None
    join: bool = False  # baseline: receivers send "join" and wait for "joined"
    wait_first_frame: bool = True  # wait for the server's hello before counting as ready
    concurrency: int = 48
    retries: int = 3
    open_timeout: float = 20.0


@dataclass(eq=False)
class _Client:
    ws: ClientConnection
    role: str
    closing: bool = False
    task: asyncio.Task[None] | None = None


class Worker:
    def __init__(self, conn: Connection, index: int) -> None:
        self.conn = conn
        self.index = index
        self.clients: dict[str, list[_Client]] = {"recv": [], "idle": []}
        self.alive: dict[str, int] = {"recv": 0, "idle": 0}
        self.latencies: dict[int, list[int]] = {}
        self.frame_bytes: int = 0
        self.leaks = 0  # bench frames seen by sockets that are not receivers
        self.duplicates = 0
        self.dropped: dict[str, int] = {}  # unexpected closes, by reason
        self.non_bench_frames = 0
        self.stop = asyncio.Event()
        self._ssl: dict[str, ssl.SSLContext] = {}
        self.gc = GcPauses()
        self._tasks: set[asyncio.Task[None]] = set()
        self.gc.install()

    # ---------------------------------------------------------------- plumbing

    def send(self, msg: Msg) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(msg)

    def _read_pipe(self, loop: asyncio.AbstractEventLoop) -> None:
        """Reader thread: blocking recv, hand each message to the event loop."""
        try:
            while True:
                msg: Msg = self.conn.recv()
                loop.call_soon_threadsafe(self._spawn_dispatch, msg)
        except (EOFError, OSError):
            loop.call_soon_threadsafe(self.stop.set)

    def _spawn_dispatch(self, msg: Msg) -> None:
        task = asyncio.get_running_loop().create_task(self._dispatch(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dispatch(self, msg: Msg) -> None:
        op = msg.get("op")
        handler = getattr(self, f"op_{op}", None)
        try:
            if handler is None:
                raise ValueError(f"unknown op {op!r}")
            result = await handler(**{k: v for k, v in msg.items() if k not in ("op", "id")})
            self.send({"kind": "reply", "id": msg["id"], "result": result})
        except Exception as exc:
            self.send({"kind": "error", "id": msg["id"], "error": f"{type(exc).__name__}: {exc}"})

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read_pipe, args=(loop,), daemon=True).start()
        try:
            await self.stop.wait()
        finally:
            await self._close_clients([c for cs in self.clients.values() for c in cs], 5.0)

    def _ssl_for(self, cafile: str) -> ssl.SSLContext:
        if cafile not in self._ssl:
            self._ssl[cafile] = client_ssl_context(cafile)
        return self._ssl[cafile]

    # --------------------------------------------------------------- receiving

    def _alive(self, role: str) -> int:
        return self.alive[role]

    def _mark_closing(self, client: _Client) -> None:
        if not client.closing:
            client.closing = True
            self.alive[client.role] -= 1

    async def _reader(self, client: _Client) -> None:
        last_seq = -1
        is_recv = client.role == "recv"
        ws = client.ws
        try:
            while True:
                data = await ws.recv(decode=False)
                m = MARK.search(data)
                if m is None:
                    self.non_bench_frames += 1
                    continue
                now = time.time_ns()
                if not is_recv:
                    self.leaks += 1
                    continue
                seq = int(m.group(1))
                if seq <= last_seq:
                    self.duplicates += 1
                    continue
                last_seq = seq
                if not self.frame_bytes:
                    self.frame_bytes = len(data)
                lst = self.latencies.get(seq)
                if lst is None:
                    lst = self.latencies[seq] = []
                lst.append((now - int(m.group(2))) // 1000)
                if len(lst) == self.alive["recv"]:
                    self.send({"kind": "done", "worker": self.index, "seq": seq})
        except ConnectionClosed as exc:
            if not client.closing:
                code = exc.rcvd.code if exc.rcvd is not None else "no close frame"
                self._drop(client, f"closed by server ({code})")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not client.closing:
                self._drop(client, type(exc).__name__)

    def _drop(self, client: _Client, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        self._mark_closing(client)
        with contextlib.suppress(ValueError):
            self.clients[client.role].remove(client)
        if client.role == "recv" and self.latencies:
            seq = max(self.latencies)
            if len(self.latencies[seq]) == self._alive("recv"):
                self.send({"kind": "done", "worker": self.index, "seq": seq})

    # -------------------------------------------------------------- connecting

    async def _connect_one(
        self, spec: ConnectSpec, sem: asyncio.Semaphore, errors: dict[str, int]
    ) -> bool:
        ctx = self._ssl_for(spec.cafile)
        for attempt in range(spec.retries + 1):
            ws: ClientConnection | None = None
            async with sem:
                try:
                    ws = await connect(
                        spec.url,
                        ssl=ctx,
                        server_hostname=spec.server_hostname or HOST,
                        additional_headers=spec.headers,
                        compression=None,
                        open_timeout=spec.open_timeout,
                        ping_interval=None,  # the server pings; clients stay silent
                        close_timeout=2,
                        max_queue=64,
                        proxy=None,
                        user_agent_header=None,
                    )
                    if spec.wait_first_frame:
                        await asyncio.wait_for(ws.recv(decode=False), spec.open_timeout)
                    if spec.join:
                        await ws.send("join")
                        reply = await asyncio.wait_for(ws.recv(), spec.open_timeout)
                        if reply != "joined":
                            raise RuntimeError(f"unexpected join reply {reply!r:.40}")
                    client = _Client(ws, spec.role)
                    self.clients[spec.role].append(client)
                    self.alive[spec.role] += 1
                    client.task = asyncio.get_running_loop().create_task(self._reader(client))
                    return True
                except Exception as exc:
                    key = f"{type(exc).__name__}: {exc}"[:120]
                    errors[key] = errors.get(key, 0) + 1
                    if ws is not None:
                        with contextlib.suppress(Exception):
                            await asyncio.wait_for(ws.close(), 2)
            if attempt < spec.retries:
                await asyncio.sleep(0.5 * (2**attempt))
        return False

    async def op_connect(self, spec: dict[str, Any], deadline: float) -> Msg:
        s = ConnectSpec(**spec)
        sem = asyncio.Semaphore(s.concurrency)
        errors: dict[str, int] = {}
        t0 = time.monotonic()
        tasks = [asyncio.create_task(self._connect_one(s, sem, errors)) for _ in range(s.count)]
        done, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.time()))
        for t in pending:
            t.cancel()
        ok = sum(1 for t in done if not t.cancelled() and t.exception() is None and t.result())
        if pending:
            errors["connect phase deadline"] = len(pending)
        seconds = time.monotonic() - t0
        gc_freeze()
        return {
            "ok": ok,
            "failed": s.count - ok,
            "errors": errors,
            "seconds": seconds,
            "open": {role: self._alive(role) for role in self.clients},
        }

    async def _close_clients(self, clients: Sequence[_Client], timeout: float) -> None:
        for c in clients:
            self._mark_closing(c)

        async def close_one(c: _Client) -> None:
            with contextlib.suppress(Exception):
                await c.ws.close()
            if c.task is not None:
                c.task.cancel()

        if clients:
            sem = asyncio.Semaphore(256)

            async def bounded(c: _Client) -> None:
                async with sem:
                    await close_one(c)

            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(bounded(c) for c in clients)), timeout)
        for c in clients:
            if c.ws.state is not State.CLOSED:  # closing handshake timed out: drop the socket
                c.ws.transport.abort()
            if c.task is not None:
                c.task.cancel()
        for role in {c.role for c in clients}:
            self.clients[role] = [c for c in self.clients[role] if not c.closing]

    async def op_close(self, role: str, count: int | None = None) -> Msg:
        victims = list(self.clients[role] if count is None else self.clients[role][:count])
        await self._close_clients(victims, 30.0)
        gc_freeze()
        return {"open": {r: self._alive(r) for r in self.clients}}

    # ---------------------------------------------------------------- rounds

    async def op_round(self) -> Msg:
        """Start a fan-out round: forget old latencies, report live receivers."""
        gc_freeze()
        self.latencies.clear()
        self.leaks = 0
        self.duplicates = 0
        self.frame_bytes = 0
        self.gc.take()
        return {"recv": self._alive("recv"), "idle": self._alive("idle")}

    async def op_collect(self) -> Msg:
        lat = self.latencies
        self.latencies = {}
        return {
            "latencies_us": lat,
            "leaks": self.leaks,
            "duplicates": self.duplicates,
            "dropped": dict(self.dropped),
            "frame_bytes": self.frame_bytes,
            "gc": summarize(self.gc.take()),
            "open": {r: self._alive(r) for r in self.clients},
        }

    async def op_stats(self) -> Msg:
        return {
            "open": {r: self._alive(r) for r in self.clients},
            "dropped": dict(self.dropped),
            "non_bench_frames": self.non_bench_frames,
            "pid": os.getpid(),
        }

    # ----------------------------------------------------------------- sends

    async def op_sendload(
        self,
        port: int,
        cafile: str,
        server_hostname: str | None,
        path: str,
        tokens: list[str],
        start_at: float,
        stop_at: float,
    ) -> Msg:
        ctx = self._ssl_for(cafile)
        result = SendLoadResult()
        clients = [
            RawHttpsClient(
                HOST,
                port,
                ctx,
                server_hostname=server_hostname,
                default_headers={"Authorization": f"Bearer {tok}"},
            )
            for tok in tokens
        ]
        try:
            loops = [
                send_loop(c, path, start_at, stop_at, f"w{self.index}s{i}", result)
                for i, c in enumerate(clients)
            ]
            await asyncio.wait_for(asyncio.gather(*loops), stop_at - time.time() + 30)
        finally:
            for c in clients:
                await c.close()
        return {
            "ok": result.ok,
            "errors": result.errors,
            "latencies_us": result.latencies_us,
            "reconnects": result.reconnects,
        }

    async def op_shutdown(self) -> Msg:
        asyncio.get_running_loop().call_later(0.05, self.stop.set)
        return {}


def worker_main(conn: Connection, index: int) -> None:
    # The pipe is read by a thread and written by the loop, both blocking: never hand its
    # fd to the event loop (uvloop's add_reader makes it non-blocking, and a large
    # message would then be cut mid-write).
    os.set_blocking(conn.fileno(), True)
    raise_nofile_limit()
    install_fast_loop()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(Worker(conn, index).run())


# ------------------------------------------------------------------ parent side


class WorkerError(RuntimeError):
    pass


class WorkerPool:
    """Parent-side handle on N client worker processes."""

    def __init__(self, size: int) -> None:
        ctx = mp.get_context("spawn")
        self.size = size
        self.conns: list[Connection] = []
        self.procs: list[mp.process.BaseProcess] = []
        for i in range(size):
            parent_end, child_end = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child_end, i), daemon=True)
            proc.start()
            child_end.close()
            self.conns.append(parent_end)
            self.procs.append(proc)
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Msg]] = {}
        self._done: dict[int, set[int]] = {}
        self._done_event = asyncio.Event()
        self._dead: set[int] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def attach(self) -> None:
        """Start one reader thread per worker pipe, feeding this event loop."""
        self._loop = loop = asyncio.get_running_loop()
        for i, conn in enumerate(self.conns):
            os.set_blocking(conn.fileno(), True)
            threading.Thread(target=self._read_pipe, args=(i, loop), daemon=True).start()

    def _read_pipe(self, i: int, loop: asyncio.AbstractEventLoop) -> None:
        conn = self.conns[i]
        try:
            while True:
                msg = conn.recv()
                loop.call_soon_threadsafe(self._handle, msg)
        except (EOFError, OSError) as exc:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(self._worker_died, i, f"{type(exc).__name__}: {exc}")

    def _worker_died(self, i: int, why: str) -> None:
        self._dead.add(i)
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(WorkerError(f"worker {i} pipe closed ({why})"))

    def _handle(self, msg: Msg) -> None:
        kind = msg.get("kind")
        if kind == "done":
            self._done.setdefault(msg["seq"], set()).add(msg["worker"])
            self._done_event.set()
            return
        fut = self._pending.pop(msg["id"], None)
        if fut is None or fut.done():
            return
        if kind == "reply":
            fut.set_result(msg["result"])
        else:
            fut.set_exception(WorkerError(msg.get("error", "worker error")))

    async def call(self, i: int, op: str, timeout: float, **args: Any) -> Msg:
        if i in self._dead:
            raise WorkerError(f"worker {i} is gone")
        self._next_id += 1
        msg_id = self._next_id
        fut: asyncio.Future[Msg] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        self.conns[i].send({"id": msg_id, "op": op, **args})
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(msg_id, None)

    async def call_all(
        self, op: str, timeout: float, per_worker: Sequence[dict[str, Any]] | None = None
    ) -> list[Msg]:
        args = per_worker or [{} for _ in range(self.size)]
        return list(
            await asyncio.gather(*(self.call(i, op, timeout, **args[i]) for i in range(self.size)))
        )

    async def wait_done(self, seq: int, workers: set[int], timeout: float) -> bool:
        """Wait until every worker in ``workers`` reported full delivery of ``seq``."""
        deadline = time.monotonic() + timeout
        while not workers <= self._done.get(seq, set()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._done_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done_event.wait(), remaining)
        self._done.pop(seq, None)
        return True

    def clear_done(self) -> None:
        self._done.clear()

    async def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            await self.call_all("shutdown", 10)
        await asyncio.to_thread(self.kill)

    def kill(self, grace: float = 10.0) -> None:
        """Wait up to ``grace`` seconds for the workers to exit, then terminate them."""
        deadline = time.monotonic() + grace
        for p in self.procs:
            p.join(max(0.0, deadline - time.monotonic()))
        for p in self.procs:
            if p.is_alive():
                p.terminate()
                p.join(3)
            if p.is_alive():
                p.kill()
                p.join(3)
        for conn in self.conns:
            with contextlib.suppress(Exception):
                conn.close()
