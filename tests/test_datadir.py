"""The data directory after a real start: private directory, private database and keys.

Run with the permissive umask 022 on purpose: ``minimost serve`` sets 077, but the other
commands (``db upgrade``, backups) and embedders do not, so privacy must not depend on it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from minimost.app import create_app
from minimost.tls import ensure_tls
from tests.conftest import make_settings
from tests.factories import UserFactory


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
async def test_database_wal_and_keys_are_private_in_a_private_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = make_settings(data)  # SQLite in the data directory
    tls_files, _ = ensure_tls(data)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        alice = await UserFactory(app)("alice")
        await alice.send("general", "hello")  # a write: the WAL and shared-memory files exist
        db = data / "minimost.db"
        files = [db, data / "minimost.db-wal", data / "minimost.db-shm"]
        for path in files:
            assert path.exists(), path
            assert mode(path) == 0o600, (path, oct(mode(path)))
    assert mode(data) == 0o700
    assert mode(tls_files.server_key.parent) == 0o700
    keys = sorted(tls_files.server_key.parent.glob("*key*"))
    assert tls_files.server_key in keys and len(keys) == 2, keys  # the server's and the CA's
    for key in keys:
        assert mode(key) == 0o600, (key, oct(mode(key)))
    # Nothing anywhere under the data directory is writable by others.
    for path in [data, *data.rglob("*")]:
        assert not mode(path) & 0o022, (path, oct(mode(path)))
