"""``--no-tls`` behind a reverse proxy: the client address comes from X-Forwarded-For, but
only when the proxy is trusted (``forwarded_allow_ips``, default 127.0.0.1)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD
from tests.live import ServerProcess

pytestmark = pytest.mark.slow


async def test_forwarded_for_is_the_audited_client_address(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    try:
        await server.start()
        async with httpx.AsyncClient(base_url=server.url) as client:
            response = await client.post(
                "/api/v1/auth/signup",
                json={"username": "behindproxy", "password": PASSWORD},
                headers={"X-Forwarded-For": "198.51.100.9"},
            )
            assert response.status_code == 201, response.text
    finally:
        server.stop_sync()
    with sqlite3.connect(server.data_dir / "minimost.db") as db:
        ips = [row[0] for row in db.execute("SELECT ip FROM audit_log WHERE action = 'signup'")]
    assert ips == ["198.51.100.9"]
