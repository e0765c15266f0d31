"""``minimost reset-password`` prints a link to where the server really listens: the port it
was started with (``--port`` on its command line, not in the settings the CLI reads), unless
``--base-url`` says otherwise. A real server process, a real CLI process."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.live import LiveUsers, ServerProcess


async def reset_link(server: ServerProcess, *extra: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "minimost", "reset-password", "alice",
        "--data-dir", str(server.data_dir), "--settings", str(server.settings_path), *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)  # hang guard
    assert proc.returncode == 0, err.decode()
    return out.decode().strip().splitlines()[-1]


async def test_the_link_uses_the_port_the_server_was_started_with(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)  # --port <free port> on its command line only
    assert server.port != 5000
    await server.start()
    users = LiveUsers(server.url)
    try:
        await users("alice")
        link = await reset_link(server)
        assert link.startswith(f"http://127.0.0.1:{server.port}/reset-password/"), link
        custom = await reset_link(server, "--base-url", "https://chat.example.com/")
        assert custom.startswith("https://chat.example.com/reset-password/"), custom
    finally:
        await users.aclose()
        server.stop_sync()
    # Stopped (for maintenance, say): the link still names where it will be back.
    link = await reset_link(server)
    assert link.startswith(f"http://127.0.0.1:{server.port}/reset-password/"), link
