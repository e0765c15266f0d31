"""The ceiling: a bare ``websockets`` TLS broadcast server.

Run as ``python -m bench.baseline_server --port P --cert C --key K``.  It prints
``ready`` on stdout once listening.

Protocol (mirrors what the bench needs from MiniMost, nothing more):

* every connection gets a ``hello`` frame first (like MiniMost's hello);
* a client that sends ``join`` becomes a receiver and gets ``joined`` back;
* a client that sends ``pub <text>`` publishes: the server builds one JSON event
  shaped like MiniMost's ``message.created`` (encoded once with orjson) and
  pushes it to every receiver with ``websockets.broadcast``; the publisher gets
  ``ok`` back after the broadcast call returns;
* everyone else is an idle socket: connected, never sent anything.

No auth, no storage, no per-recipient work: whatever MiniMost adds on top of
this is the cost of being a chat server. One tuning a ceiling should have: every
256 new connections it calls ``gc.freeze()``, so the garbage collector does not
rescan thousands of long-lived connections (a ~1 s pause at 10,000 sockets).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import ssl
import sys
import time

import orjson
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from bench.util import HOST, install_fast_loop, raise_nofile_limit

HELLO = orjson.dumps({"type": "hello", "data": {"last_event_id": 0, "server": "baseline"}})


FREEZE_EVERY = 256  # new connections between two gc.freeze() calls


class Broadcaster:
    def __init__(self) -> None:
        self.receivers: set[ServerConnection] = set()
        self.next_id = 0
        self.connections = 0

    def event(self, text: str) -> bytes:
        self.next_id += 1
        now = time.time()
        return orjson.dumps(
            {
                "id": self.next_id,
                "type": "message.created",
                "conversation": 1,
                "data": {
                    "id": self.next_id,
                    "conversation_id": 1,
                    "author": {"id": 1, "username": "bench-pub", "display_name": "bench-pub"},
                    "text": text,
                    "html": f"<p>{text}</p>",
                    "client_id": "00000000-0000-4000-8000-000000000000",
                    "created_at": now,
                    "edited_at": None,
                    "thread_root_id": None,
                    "reactions": [],
                },
            }
        )

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        if self.connections % FREEZE_EVERY == 0:
            # Long-lived connection objects out of the collector's reach (O(1)): without
            # this, full collections rescan 10,000 connections and pause for ~1 s.
            gc.freeze()
        try:
            await ws.send(HELLO, text=True)
            async for msg in ws:
                if msg == "join":
                    self.receivers.add(ws)
                    await ws.send("joined")
                elif isinstance(msg, str) and msg.startswith("pub "):
                    broadcast(self.receivers, self.event(msg[4:]), text=True)
                    await ws.send("ok")
        except ConnectionClosed:
            pass
        finally:
            self.receivers.discard(ws)


async def amain(port: int, cert: str, key: str) -> None:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    b = Broadcaster()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with serve(
        b.handler,
        HOST,
        port,
        ssl=ctx,
        compression=None,
        ping_interval=None,
        max_queue=64,
        backlog=4096,
    ):
        print("ready", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args(argv)
    raise_nofile_limit()
    install_fast_loop()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(amain(args.port, args.cert, args.key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
