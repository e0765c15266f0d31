"""A Redis of the test's own, to take away and bring back: a real outage without touching
the shared Redis on 6379 (other tests and helpers use it)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.live import free_port

STARTUP_DEADLINE = 30.0  # a hang guard only: redis-server answers within milliseconds


class KillableRedis:
    """``redis-server --port <free port> --save ''`` in ``directory``; ``kill()`` is SIGKILL
    (no goodbye to clients), ``start()`` again listens on the same port, empty."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.proc is None, "already running"
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP_DEADLINE
        client = self.client()
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if self.proc.poll() is not None:
                        raise RuntimeError("redis-server exited at start-up") from None
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)  # polling a subprocess for readiness
        finally:
            client.close()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def keys(self, pattern: str = "*") -> list[bytes]:
        client = self.client()
        try:
            return list(client.scan_iter(pattern))
        finally:
            client.close()


@contextmanager
def killable_redis(directory: Path) -> Iterator[KillableRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = KillableRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()
