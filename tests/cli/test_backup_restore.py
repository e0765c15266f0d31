"""``minimost backup`` / ``minimost restore`` as real processes, next to a running app.

SQLite: the backup is a consistent snapshot even while messages are being written; restore
refuses while anything has the database open, and round-trips data and uploads.
PostgreSQL: the backup says to use pg_dump and still copies the uploads.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from minimost.app import create_app
from minimost.config import Settings
from minimost.domain.actions.files import blob_store, upload_file
from minimost.domain.context import Actor
from tests import pg
from tests.conftest import client_for, make_settings
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def database_url() -> None:
    """SQLite only (the PostgreSQL case has its own test below)."""
    return None


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    # The writer below sends as fast as it can; the send limit is not what is tested here.
    s: Settings = settings_factory(rate_limit_enabled=False)
    return s


async def cli(*args: str | Path) -> tuple[int, str, str]:
    """``python -m minimost ...`` without blocking this loop (the app keeps serving)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "minimost", *map(str, args),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def upload(app: Any, user: Any, data: bytes) -> str:
    ctx = app.state.minimost.ctx
    staged = blob_store(ctx).stage_bytes(data)
    actor = Actor(user.id, user.username, user.username, False)
    return (await upload_file(ctx, actor, "notes.txt", staged)).name


def query(db: Path, sql: str) -> Any:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_backup_while_writing_is_consistent(app: Any, users: Any, settings: Settings) -> None:
    alice = await users("alice")
    await upload(app, alice, b"attachment bytes" * 100)
    sent = 0
    stop = asyncio.Event()

    async def writer() -> None:
        nonlocal sent
        while not stop.is_set():
            await alice.send("general", f"message {sent}")
            sent += 1

    task = asyncio.create_task(writer())
    try:
        while sent < 20:  # the writer is up to speed
            await asyncio.sleep(0.01)
        before = sent
        target = settings.data_dir.parent / "backup"
        code, out, err = await cli("backup", target, "--data-dir", settings.data_dir)
        during = sent - before
    finally:
        stop.set()
        await task
    assert code == 0, err
    assert during > 0, "the writer should have been busy while the backup ran"
    copy = target / "minimost.db"
    assert query(copy, "PRAGMA integrity_check") == [("ok",)]
    assert query(copy, "PRAGMA journal_mode") == [("delete",)]
    messages = query(copy, "SELECT count(*) FROM messages")[0][0]
    created = query(copy, "SELECT count(*) FROM events WHERE type = 'message.created'")[0][0]
    # One snapshot: each message and its event row were committed together.
    assert messages == created and before <= messages <= sent
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["database"] == {"kind": "sqlite", "file": "minimost.db"}
    assert manifest["revision"] and manifest["uploads"]["files"] >= 1
    assert manifest["missing_blobs"] == 0
    sha = query(copy, "SELECT sha256 FROM files")[0][0]
    assert (target / "uploads" / sha[:2] / sha[2:]).is_file()
    # Again into the same directory: uploads already there are not copied again.
    code, out, _ = await cli("backup", target, "--data-dir", settings.data_dir)
    assert code == 0 and "(0 new)" in out


@pytest.fixture
def stopped_app(settings: Settings) -> Any:
    """Start and stop the app at will (restore needs it stopped)."""

    class Control:
        app: Any = None

        async def __aenter__(self) -> Any:
            self.app = create_app(settings)
            self._cm = self.app.router.lifespan_context(self.app)
            await self._cm.__aenter__()
            return self.app

        async def __aexit__(self, *exc: object) -> None:
            await self._cm.__aexit__(None, None, None)

    return Control()


async def test_restore_round_trip_and_refusals(stopped_app: Any, settings: Settings) -> None:
    target = settings.data_dir.parent / "backup"
    data = settings.data_dir
    async with stopped_app as app:
        users = UserFactory(app)
        alice = await users("alice")
        for i in range(3):
            await alice.send("general", f"kept {i}")
        await upload(app, alice, b"keep me" * 50)
        code, _, err = await cli("backup", target, "--data-dir", data)
        assert code == 0, err
        await alice.send("general", "after the backup")
        # Refused while the server has the database open.
        code, _, err = await cli("restore", target, "--yes", "--data-dir", data)
        assert code == 1 and "stop the MiniMost server" in err
    sha = query(data / "minimost.db", "SELECT sha256 FROM files")[0][0]
    blob = data / "uploads" / sha[:2] / sha[2:]
    blob.unlink()
    code, _, err = await cli("restore", target, "--yes", "--data-dir", data)
    assert code == 0, err
    bodies = {row[0] for row in query(data / "minimost.db", "SELECT body_md FROM messages")}
    assert {"kept 0", "kept 1", "kept 2"} <= bodies and "after the backup" not in bodies
    assert blob.is_file()
    assert list(data.glob("minimost.db.before-restore-*"))  # the previous one is kept
    assert query(data / "minimost.db", "PRAGMA integrity_check") == [("ok",)]
    async with stopped_app as app:  # it starts on the restored data, and the user is back
        async with client_for(app) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
            )
        assert login.status_code == 200
    code, _, err = await cli("restore", data.parent / "nothing", "--yes", "--data-dir", data)
    assert code == 1 and "manifest.json" in err


async def test_postgresql_backup_points_to_pg_dump(tmp_path: Path, pg_template: str) -> None:
    name = await asyncio.to_thread(pg.run_sync, pg.create_database(pg_template))
    try:
        settings = make_settings(tmp_path / "data", database_url=pg.sqlalchemy_url(name))
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            alice = await UserFactory(app)("alice")
            await upload(app, alice, b"pg upload" * 10)
        target = tmp_path / "backup"
        code, _, err = await cli(
            "backup", target, "--data-dir", settings.data_dir,
            "--database-url", settings.database_url or "",
        )  # fmt: skip
        assert code == 0, err
        assert "pg_dump" in err
        manifest = json.loads((target / "manifest.json").read_text())
        assert manifest["database"]["kind"] == "postgresql"
        assert manifest["uploads"]["files"] == 1
    finally:
        await asyncio.to_thread(pg.run_sync, pg.drop_database(name))


def test_backup_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """docs/admin.md: DIR 0700, every directory in it 0700 (uploads/ too), files 0600."""

    def minimost(data: Path, *args: str | Path) -> None:
        subprocess.run(
            [sys.executable, "-m", "minimost", *map(str, args), "--data-dir", str(data)],
            capture_output=True, text=True, timeout=120, check=True, umask=0o022,
        )  # fmt: skip

    data = tmp_path / "data"
    minimost(data, "db", "upgrade")
    blob = data / "uploads" / "ab" / ("cd" * 31)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"an upload")
    (data / "settings.json").write_text("{}")
    target = tmp_path / "backup"
    minimost(data, "backup", target)
    assert stat.S_IMODE((target / "manifest.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((target / "uploads").stat().st_mode) == 0o700
    for path in [target, *target.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {mode:o}"
    # Without any upload, uploads/ is still there (and private): a restore expects it.
    empty = tmp_path / "empty"
    minimost(empty, "db", "upgrade")
    minimost(empty, "backup", tmp_path / "backup2")
    assert stat.S_IMODE((tmp_path / "backup2" / "uploads").stat().st_mode) == 0o700
