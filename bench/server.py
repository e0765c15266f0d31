"""Start, prepare and stop a real MiniMost server for the bench.

The server runs exactly as users run it (``python -m minimost serve`` with its
own local CA and HTTPS), in a throw-away data dir, with rate limiting off and
the per-user event-stream cap raised so that one bench user may hold thousands
of sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.httpload import RawHttpsClient, message_body
from bench.targets import REPO_ROOT, Target, TargetError
from bench.util import HOST, client_ssl_context, describe_cert_key, free_port

PASSWORD = "Bench-pass-1"
SETTINGS = {
    "channels": ["general"],
    "rate_limit_enabled": False,
    "max_event_streams_per_user": 100000,
}


def server_env() -> dict[str, str]:
    """Environment for MiniMost subprocesses: the repo's ``src`` first on the path."""
    env = dict(os.environ)
    src = REPO_ROOT / "src"
    if (src / "minimost").is_dir():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH")) if p)
    return env


def minimost_version(timeout: float = 30.0) -> str | None:
    """``python -m minimost --version``, or None when MiniMost cannot run yet."""
    try:
        out = subprocess.run(
            [sys.executable, "-m", "minimost", "--version"],
            cwd=REPO_ROOT,
            env=server_env(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return (out.stdout or out.stderr).decode(errors="replace").strip() or "unknown"


@dataclass
class BenchUser:
    username: str
    id: int
    token: str


@dataclass
class Accounts:
    receiver: BenchUser
    idle: BenchUser
    publisher: BenchUser
    senders: list[BenchUser] = field(default_factory=list)
    general_id: int = 0


class MiniMostTarget(Target):
    name = "minimost"
    supports_sends = True

    def __init__(self, workdir: Path, log_path: Path, senders: int = 16) -> None:
        super().__init__(workdir, log_path)
        self.n_senders = senders
        self.accounts: Accounts | None = None
        self._pub: RawHttpsClient | None = None
        self._ssl: ssl.SSLContext | None = None

    @property
    def base_url(self) -> str:
        return f"https://{HOST}:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def settings_path(self) -> Path:
        return self.workdir / "settings.json"

    def write_settings(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings_path.write_text(json.dumps(SETTINGS))

    async def launch(self, ready_timeout: float = 90.0) -> None:
        """Start ``minimost serve`` on the data dir and wait until it answers over TLS."""
        self.port = free_port()
        self._spawn(
            [
                sys.executable,
                "-m",
                "minimost",
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--settings",
                str(self.settings_path),
            ],
            env=server_env(),
        )
        t0 = time.monotonic()
        ca = self.data_dir / "tls" / "ca.pem"
        await self._wait_ready(ca, ready_timeout)
        self.cafile = str(ca)
        self.info["startup_seconds"] = round(time.monotonic() - t0, 2)
        self.info["tls_key"] = self._leaf_key_type()
        self.info["url"] = self.base_url
        self.info["version"] = minimost_version() or "unknown"

    async def start(self, ready_timeout: float = 90.0) -> None:
        self.write_settings()
        await self.launch(ready_timeout)
        t1 = time.monotonic()
        self.accounts = await self._make_accounts()
        self.info["setup_seconds"] = round(time.monotonic() - t1, 2)
        assert self._ssl is not None
        self._pub = RawHttpsClient(
            HOST,
            self.port,
            self._ssl,
            server_hostname=self.server_hostname,
            default_headers={"Authorization": f"Bearer {self.accounts.publisher.token}"},
        )

    async def _wait_ready(self, ca: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no CA yet"
        while time.monotonic() < deadline:
            self.check_alive()
            if ca.exists():
                try:
                    self._ssl = client_ssl_context(ca)
                    async with httpx.AsyncClient(verify=self._ssl, timeout=5, trust_env=False) as c:
                        r = await c.get(f"{self.base_url}/healthz")
                    if r.status_code == 200:
                        return
                    last = f"healthz {r.status_code}"
                except ssl.SSLCertVerificationError as exc:
                    last = str(exc)
                except httpx.HTTPError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                    if "IP address mismatch" in last or "hostname" in last.lower():
                        # Leaf without an IP SAN: keep connecting to 127.0.0.1 but verify as localhost.
                        self.server_hostname = "localhost"
            await asyncio.sleep(0.3)
        raise TargetError(
            f"MiniMost not ready after {timeout:.0f}s ({last}); log tail:\n{self.log_tail()}"
        )

    def _leaf_key_type(self) -> str:
        with contextlib.suppress(Exception):
            pem = ssl.get_server_certificate((HOST, self.port), timeout=5)
            return describe_cert_key(pem.encode())
        return "unknown"

    # -------------------------------------------------------------- accounts

    async def _make_accounts(self) -> Accounts:
        assert self._ssl is not None
        async with httpx.AsyncClient(
            base_url=self.base_url, verify=self._ssl, timeout=30, trust_env=False
        ) as c:
            receiver = await self._signup_with_token(c, "benchrecv")
            idle = await self._signup_with_token(c, "benchidle")
            publisher = await self._signup_with_token(c, "benchpub")
            senders = [
                await self._signup_with_token(c, f"benchsend{i}") for i in range(self.n_senders)
            ]
            auth = {"Authorization": f"Bearer {receiver.token}"}
            r = await c.get("/api/v1/conversations", headers=auth)
            _expect(r, 200, "list conversations")
            general = next(
                (cv for cv in r.json()["conversations"] if cv.get("name") == "general"), None
            )
            if general is None:
                raise TargetError(f"no 'general' channel in {r.text[:300]}")
            gid = int(general["id"])
            r = await c.delete(
                f"/api/v1/conversations/{gid}/members/{idle.id}",
                headers={"Authorization": f"Bearer {idle.token}"},
            )
            if r.status_code not in (200, 204):
                raise TargetError(
                    f"idle user could not leave general: {r.status_code} {r.text[:200]}"
                )
        return Accounts(receiver, idle, publisher, senders, gid)

    async def _signup_with_token(self, c: httpx.AsyncClient, username: str) -> BenchUser:
        r = await c.post(
            "/api/v1/auth/signup",
            json={"username": username, "password": PASSWORD, "display_name": username},
        )
        _expect(r, 201, f"signup {username}")
        body = r.json()
        cookie = r.cookies.get("minimost_session")
        if not cookie:
            raise TargetError(f"signup {username}: no minimost_session cookie")
        c.cookies.clear()
        r2 = await c.post(
            "/api/v1/tokens",
            json={"name": "bench"},
            headers={"X-CSRF-Token": body["csrf_token"], "Cookie": f"minimost_session={cookie}"},
        )
        _expect(r2, 201, f"token for {username}")
        return BenchUser(username, int(body["user"]["id"]), r2.json()["token"])

    # ------------------------------------------------------------- protocol

    def connect_spec(self, role: str) -> dict[str, Any]:
        assert self.accounts is not None
        user = self.accounts.receiver if role == "recv" else self.accounts.idle
        return {
            "url": f"wss://{HOST}:{self.port}/api/v1/ws",
            "cafile": self.cafile,
            "role": role,
            "headers": {"Authorization": f"Bearer {user.token}"},
            "server_hostname": self.server_hostname,
            "join": False,
            "wait_first_frame": True,
        }

    @property
    def messages_path(self) -> str:
        assert self.accounts is not None
        return f"/api/v1/conversations/{self.accounts.general_id}/messages"

    async def publish(self, text: str) -> bool:
        if self._pub is None:
            return False
        try:
            r = await self._pub.request("POST", self.messages_path, message_body(text))
        except Exception:
            return False
        return r.status == 201

    async def close_publisher(self) -> None:
        if self._pub is not None:
            await self._pub.close()

    def send_spec(self, senders: int) -> dict[str, Any]:
        assert self.accounts is not None
        if senders > len(self.accounts.senders):
            raise TargetError(f"only {len(self.accounts.senders)} sender accounts")
        return {
            "port": self.port,
            "cafile": self.cafile,
            "server_hostname": self.server_hostname,
            "path": self.messages_path,
            "tokens": [u.token for u in self.accounts.senders[:senders]],
        }


def _expect(r: httpx.Response, status: int, what: str) -> None:
    if r.status_code != status:
        raise TargetError(f"{what}: expected {status}, got {r.status_code}: {r.text[:300]}")
