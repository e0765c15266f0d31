"""A full disk, for real: the data directory (and on PostgreSQL the database, through a
tablespace) lives on a small tmpfs that a ballast file fills to the last byte.

Writes that need space then answer ``507 insufficient_storage`` (uploads, avatars, sends),
never ``500 internal_error`` or ``422 malformed multipart``; ``/readyz`` says not ready while
they fail, and ready again once space is back and writes succeed.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from minimost.config import Settings
from tests import pg
from tests.conftest import make_settings
from tests.factories import TestUser
from tests.media import png
from tests.web.helpers import API, assert_error, message_count

# Big enough for the schema (a PostgreSQL database is ~8 MB), small enough to fill at once.
DISK_SIZE = "48m"
# A hang guard: a write needs new space within a few sends (SQLite: the first; PostgreSQL:
# once the pages it already has are full).
MAX_SENDS_TO_FILL = 400


class Disk:
    """A tmpfs mounted for the test, and a ballast file to fill it with."""

    def __init__(self, mountpoint: Path) -> None:
        self.mountpoint = mountpoint
        self.ballast = mountpoint / "ballast"

    def fill(self) -> None:
        """Write the ballast until the file system refuses another byte."""
        fd = os.open(self.ballast, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        try:
            for size in (1 << 20, 1 << 12, 1):
                block = b"\0" * size
                while True:
                    try:
                        os.write(fd, block)
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
        finally:
            os.close(fd)
        assert shutil.disk_usage(self.mountpoint).free == 0

    def free(self) -> None:
        self.ballast.unlink()


@pytest.fixture
def disk() -> Iterator[Disk]:
    # Not under pytest's tmp_path: its parents are 0700 root, and PostgreSQL (its own OS
    # user) must reach the tablespace directory.
    mountpoint = Path(tempfile.mkdtemp(prefix="mm-full-disk-"))
    mountpoint.chmod(0o755)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0755", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        mountpoint.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield Disk(mountpoint)
    finally:
        subprocess.run(["umount", "--lazy", str(mountpoint)], check=True)
        mountpoint.rmdir()


async def _admin(sql: str) -> None:
    conn = await pg._admin()
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def settings(disk: Disk, database_url: str | None) -> Iterator[Settings]:
    """The data directory on the small disk; on PostgreSQL the database moves there too."""
    data_dir = disk.mountpoint / "data"
    if database_url is None:
        yield make_settings(data_dir)
        return
    database = make_url(database_url).database
    assert database is not None
    tablespace = f"mm_full_{uuid.uuid4().hex[:12]}"
    location = disk.mountpoint / "pg"
    location.mkdir()
    shutil.chown(location, "postgres", "postgres")
    location.chmod(0o700)
    pg.run_sync(_admin(f"CREATE TABLESPACE {tablespace} LOCATION '{location}'"))
    try:
        pg.run_sync(_admin(f'ALTER DATABASE "{database}" SET TABLESPACE {tablespace}'))
        yield make_settings(data_dir, database_url=database_url)
    finally:
        # Before the tmpfs goes: nothing of the cluster may stay on it.
        pg.run_sync(pg.drop_database(database))
        pg.run_sync(_admin(f"DROP TABLESPACE IF EXISTS {tablespace}"))


def noise(size: int) -> str:
    """Text that does not compress (PostgreSQL would squeeze repetitive text into its
    pages and put off the moment it needs new space)."""
    return secrets.token_urlsafe(size)[:size]


async def send_until_refused(user: TestUser) -> httpx.Response:
    """Send until a write needs space the disk no longer has: every earlier send is
    stored (201); returns the first refusal."""
    url = f"{API}/conversations/{user.channel('general')}/messages"
    for _ in range(MAX_SENDS_TO_FILL):
        response = await user.post(url, json={"text": noise(9000)})
        if response.status_code != 201:
            return response
    raise AssertionError(f"{MAX_SENDS_TO_FILL} sends and the disk never ran out")


def upload_parts(data: bytes) -> dict[str, Any]:
    return {"file": ("notes.bin", data, "application/octet-stream")}


async def test_a_full_disk_answers_507_and_readyz_follows(
    disk: Disk, app: Any, client: httpx.AsyncClient, users: Any
) -> None:
    alice = await users("alice")
    assert (await client.get("/readyz")).status_code == 200

    disk.fill()
    before = await message_count(app)
    refused = await send_until_refused(alice)
    assert_error(refused, 507, "insufficient_storage")
    stored = await message_count(app)
    assert stored >= before  # whatever was answered 201 is there; the refused one is not

    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "reason": "insufficient_storage"}

    # Uploads and avatars: the same answer, not a malformed body or an internal error.
    upload = await alice.post(f"{API}/files", files=upload_parts(os.urandom(300_000)))
    assert_error(upload, 507, "insufficient_storage")
    small = await alice.post(f"{API}/files", files=upload_parts(b"tiny"))
    assert_error(small, 507, "insufficient_storage")
    avatar = await alice.put(f"{API}/me/avatar", files={"file": ("face.png", png())})
    assert_error(avatar, 507, "insufficient_storage")
    assert (await client.get("/readyz")).status_code == 503
    assert await message_count(app) == stored

    disk.free()
    assert (await client.get("/readyz")).status_code == 200
    await alice.send("general", "space again")
    assert await message_count(app) == stored + 1
    assert (await alice.post(f"{API}/files", files=upload_parts(b"tiny"))).status_code == 201
    face = await alice.put(f"{API}/me/avatar", files={"file": ("face.png", png())})
    assert face.status_code == 200, face.text
