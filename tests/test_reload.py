"""Settings reload: "no restart needed" keys apply to the running app; errors keep the old
settings with one log line; restart-only keys are reported, not applied."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from minimost.app import create_app
from minimost.config import load_settings
from tests.conftest import client_for
from tests.factories import FAST_HASH, PASSWORD, UserFactory


def write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data))
    # A distinct mtime even on coarse-grained filesystems.
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


BASE: dict[str, Any] = {"channels": ["general"], **FAST_HASH}


@pytest.fixture
async def running(tmp_path: Path, clock: Any) -> Any:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "settings.json"
    write(path, {**BASE, "image_retention_days": 30})
    settings, _ = load_settings(overrides={"data_dir": data})
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app, path


async def test_reloadable_keys_apply_without_restart(running: Any) -> None:
    app, path = running
    state = app.state.minimost
    watcher = state.settings_watcher
    assert watcher is not None and watcher.path == path
    write(
        path,
        {
            **BASE,
            "image_retention_days": 7,
            "max_login_attempts": 1,
            "rate_limits": {"signup": [1, 3600]},
            "port": 6000,  # restart only
        },
    )
    applied = watcher.check()
    assert applied == {"image_retention_days", "max_login_attempts", "rate_limits"}
    for holder in (state.settings, state.ctx.settings):
        assert holder.image_retention_days == 7
        assert holder.port == 5000
    assert state.janitor._wake.is_set()  # retention changed: the janitor runs soon
    # The lockout and the rate limits read the new values at once.
    users = UserFactory(app)
    await users("alice")
    async with client_for(app) as client:
        bad = await client.post(
            "/api/v1/auth/login", json={"username": "alice", "password": "wrong-Password-1"}
        )
        assert bad.status_code == 401
        locked = await client.post(
            "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
        )
        assert locked.json()["error"]["code"] == "account_locked"
        second = await client.post(
            "/api/v1/auth/signup", json={"username": "bob", "password": PASSWORD}
        )
        assert second.status_code == 429
    assert watcher.check() is None  # unchanged file: nothing to do


async def test_invalid_file_keeps_the_running_settings(
    running: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app, path = running
    state = app.state.minimost
    path.write_text("{not json")
    os.utime(path, ns=(path.stat().st_mtime_ns + 2_000_000_000,) * 2)
    with caplog.at_level(logging.WARNING, logger="minimost.reload"):
        assert state.settings_watcher.check() is None
    assert state.settings.image_retention_days == 30
    lines = [r for r in caplog.records if r.name == "minimost.reload"]
    assert len(lines) == 1 and "not valid JSON" in lines[0].getMessage()
    write(path, {**BASE, "image_retention_days": 0})  # invalid value
    assert state.settings_watcher.check() is None
    assert state.ctx.settings.image_retention_days == 30
    write(path, {**BASE, "image_retention_days": 3})  # fixed: applies
    assert state.settings_watcher.check() == {"image_retention_days"}
    assert state.ctx.settings.image_retention_days == 3


async def test_a_reload_swaps_one_immutable_snapshot_and_mutates_nothing(running: Any) -> None:
    """The domain context stays frozen (its fields are the same objects after a reload),
    every reader sees the same new snapshot, and a snapshot taken before keeps every old
    value: nobody can see a half-updated settings object."""
    app, path = running
    state = app.state.minimost
    ctx = state.ctx
    fields_before = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx)}
    snapshot = state.settings
    write(path, {**BASE, "image_retention_days": 7, "max_login_attempts": 2})
    assert state.settings_watcher.check() == {"image_retention_days", "max_login_attempts"}
    assert {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx)} == fields_before
    assert all(getattr(ctx, name) is value for name, value in fields_before.items())
    assert (snapshot.image_retention_days, snapshot.max_login_attempts) == (30, 5)
    assert state.settings is ctx.settings
    assert (ctx.settings.image_retention_days, ctx.settings.max_login_attempts) == (7, 2)


def test_readers_in_other_threads_see_whole_snapshots() -> None:
    """Readers in worker threads (``asyncio.to_thread`` jobs) take ``current`` while the
    loop swaps: every snapshot they get has both keys from the same reload."""
    from minimost.config import SettingsRef  # (imported here: the other tests predate it)

    settings, _ = load_settings(overrides={"data_dir": Path("/nonexistent")})
    ref = SettingsRef(
        settings.model_copy(update={"image_retention_days": 1, "file_retention_days": 1})
    )
    stop = threading.Event()
    torn: list[tuple[int, int]] = []

    def reader() -> None:
        while not stop.is_set():
            now = ref.current
            if now.image_retention_days != now.file_retention_days:
                torn.append((now.image_retention_days, now.file_retention_days))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for days in range(2, 2000):
            ref.swap(
                ref.current.model_copy(
                    update={"image_retention_days": days, "file_retention_days": days}
                )
            )
    finally:
        stop.set()
        thread.join()
    assert torn == []
    assert ref.current.image_retention_days == 1999
