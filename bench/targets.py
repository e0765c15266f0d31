"""What the scenarios run against: a server subprocess plus how to talk to it.

:class:`Target` is the common part (subprocess lifecycle, log capture, the
connect specs handed to the client workers); :class:`BaselineTarget` is the bare
websockets broadcast server from ``bench/baseline_server.py``.  MiniMost's
target lives in ``bench/server.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, Any

from websockets.asyncio.client import ClientConnection, connect

from bench.util import HOST, client_ssl_context, free_port, wait_port, write_self_signed_cert

REPO_ROOT = Path(__file__).resolve().parent.parent
_PROBLEM_WORDS = ("Traceback", "CRITICAL", "ERROR", "WARNING")


class TargetError(RuntimeError):
    pass


class Target(ABC):
    """A server under test, started and stopped by the bench."""

    name: str = "?"
    supports_sends: bool = False

    def __init__(self, workdir: Path, log_path: Path) -> None:
        self.workdir = workdir
        self.log_path = log_path
        self.port = 0
        self.cafile = ""
        self.server_hostname: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.gc_log: Path | None = None  # set before start() to trace the server's GC pauses

    def _env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The server's environment; with ``gc_log`` set, load ``bench/gctrace``."""
        env = dict(os.environ if base is None else base)
        if self.gc_log is not None:
            self.gc_log.unlink(missing_ok=True)
            trace = str(Path(__file__).resolve().parent / "gctrace")
            env["PYTHONPATH"] = os.pathsep.join(p for p in (trace, env.get("PYTHONPATH")) if p)
            env["BENCH_GC_LOG"] = str(self.gc_log)
        return env

    # ------------------------------------------------------------ subprocess

    def _spawn(self, cmd: list[str], env: dict[str, str] | None = None) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self._env(env),
            start_new_session=True,  # its own process group, so stop() can reap children
        )

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise TargetError(f"{self.name} is not running")
        return self.proc.pid

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            raise TargetError(
                f"{self.name} server exited (code {code}); log tail:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def log_problems(self, samples: int = 5) -> dict[str, Any]:
        """Error/warning lines in the server's log: counts by kind and a few examples."""
        counts: dict[str, int] = {}
        examples: list[str] = []
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return {}
        for line in lines:
            kind = next((k for k in _PROBLEM_WORDS if k in line), None)
            if kind is None:
                continue
            counts[kind] = counts.get(kind, 0) + 1
            if len(examples) < samples and line.strip() not in examples:
                examples.append(line.strip()[:200])
        return {"counts": counts, "examples": examples} if counts else {}

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            pgid = proc.pid  # start_new_session: the group id is the pid we started
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    # ------------------------------------------------------------- protocol

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    def connect_spec(self, role: str) -> dict[str, Any]:
        """ConnectSpec fields (minus ``count``) for receivers (``recv``) or ``idle`` sockets."""

    @abstractmethod
    async def publish(self, text: str) -> bool:
        """Send one fan-out message; True when the server acknowledged it."""

    async def close_publisher(self) -> None:
        return None

    def send_spec(self, senders: int) -> dict[str, Any]:
        raise TargetError(f"{self.name} has no acknowledged-send endpoint")


class BaselineTarget(Target):
    name = "baseline"

    def __init__(self, workdir: Path, log_path: Path) -> None:
        super().__init__(workdir, log_path)
        self._pub: ClientConnection | None = None

    async def start(self) -> None:
        cert, key = write_self_signed_cert(self.workdir)
        self.cafile = str(cert)
        self.port = free_port()
        self._spawn(
            [
                sys.executable,
                "-m",
                "bench.baseline_server",
                "--port",
                str(self.port),
                "--cert",
                str(cert),
                "--key",
                str(key),
            ]
        )
        ok = await asyncio.to_thread(wait_port, self.port, 30.0)
        self.check_alive()
        if not ok:
            raise TargetError(f"baseline did not listen on {self.port}:\n{self.log_tail()}")
        self.info = {"tls_key": "EC secp256r1", "url": self.url}
        self._pub = await connect(
            self.url,
            ssl=client_ssl_context(self.cafile),
            server_hostname=HOST,
            compression=None,
            ping_interval=None,
            proxy=None,
            open_timeout=20,
        )
        await asyncio.wait_for(self._pub.recv(), 10)  # hello

    @property
    def url(self) -> str:
        return f"wss://{HOST}:{self.port}/"

    def connect_spec(self, role: str) -> dict[str, Any]:
        return {
            "url": self.url,
            "cafile": self.cafile,
            "role": role,
            "join": role == "recv",
            "wait_first_frame": True,
        }

    async def publish(self, text: str) -> bool:
        if self._pub is None:
            return False
        try:
            await self._pub.send(f"pub {text}")
            return await asyncio.wait_for(self._pub.recv(), 10) == "ok"
        except Exception:
            return False

    async def close_publisher(self) -> None:
        pub, self._pub = self._pub, None
        if pub is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pub.close(), 3)


def wait_for(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
