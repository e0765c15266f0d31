"""Retention: age limits per kind, fair size-cap eviction, events, and the one-process lease.

Runs on SQLite and PostgreSQL (the ``app`` fixture). Time moves with the FakeClock; the
app's own janitor is kept off the lease so only the test's runs change anything.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from minimost.db.models import Event, Message, StoredFile
from minimost.domain.actions import leases, retention
from minimost.domain.actions.files import blob_store, upload_file
from minimost.domain.actions.retention import Report, run_retention
from minimost.domain.context import Actor, Ctx
from minimost.domain.janitor import JOB, Janitor
from tests.live import START_TIMEOUT

DAY = 86400


@pytest.fixture
def settings(settings_factory: Any) -> Any:
    return settings_factory(session_days=3650)  # the clock jumps months; stay signed in


@pytest.fixture
async def ctx(app: Any) -> Ctx:
    context: Ctx = app.state.minimost.ctx
    # Hold the lease ourselves so the app's background janitor never runs mid-test.
    assert await leases.acquire(
        context, JOB, "test", ttl=timedelta(days=3650), due_before=context.clock.now()
    )
    return context


def configure(app: Any, **values: Any) -> None:
    state = app.state.minimost
    state.settings_ref.swap(state.settings.model_copy(update=values))


async def upload(ctx: Ctx, user: Any, data: bytes, name: str) -> dict[str, Any]:
    staged = blob_store(ctx).stage_bytes(data)
    view = await upload_file(ctx, Actor(user.id, user.username, user.username, False), name, staged)
    return view.model_dump()


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (seed % 256, 40, 90)).save(buffer, "PNG")
    return buffer.getvalue()


async def send_with(user: Any, channel: str, text: str, file_ids: list[int]) -> dict[str, Any]:
    response = await user.post(
        f"/api/v1/conversations/{user.channel(channel)}/messages",
        json={"text": text, "client_id": uuid.uuid4().hex, "file_ids": file_ids},
    )
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()["message"]
    return message


async def scalar(ctx: Ctx, query: Any) -> Any:
    async with ctx.db.read() as conn:
        return await conn.scalar(query)


async def message_ids(ctx: Ctx, author_id: int) -> list[int]:
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            select(Message.id).where(Message.author_id == author_id).order_by(Message.id)
        )
        return [int(r) for r in rows.scalars()]


async def events_of(ctx: Ctx, type_: str) -> list[str]:
    async with ctx.db.read() as conn:
        rows = await conn.execute(select(Event.payload).where(Event.type == type_))
        return list(rows.scalars())


async def test_age_limits_per_kind_with_events(app: Any, ctx: Ctx, users: Any, clock: Any) -> None:
    configure(app, image_retention_days=30, file_retention_days=60, message_retention_days=90)
    alice = await users("alice")
    image = await upload(ctx, alice, png(1), "cat.png")
    doc = await upload(ctx, alice, b"report " * 100, "report.txt")
    old = await send_with(alice, "general", "old", [image["id"], doc["id"]])
    image_sha = await scalar(ctx, select(StoredFile.sha256).where(StoredFile.id == image["id"]))
    doc_sha = await scalar(ctx, select(StoredFile.sha256).where(StoredFile.id == doc["id"]))
    store = blob_store(ctx)
    assert store.exists(image_sha) and store.exists(doc_sha)

    clock.advance(31 * DAY)
    fresh = await send_with(
        alice, "general", "fresh", [(await upload(ctx, alice, png(2), "b.png"))["id"]]
    )
    report = await run_retention(ctx)
    # The 31-day-old image went (row and blob); the file (60 d) and the messages stay.
    assert report.files_expired == 1
    assert not store.exists(image_sha) and store.exists(doc_sha)
    assert await scalar(ctx, select(func.count()).select_from(StoredFile)) == 2
    updated = await events_of(ctx, "message.updated")
    assert any(f'"id":{old["id"]}' in payload for payload in updated)

    clock.advance(30 * DAY)  # 61 days: the other file expires too
    report = await run_retention(ctx)
    assert report.files_expired == 1 and not store.exists(doc_sha)
    assert report.messages_expired == 0

    clock.advance(30 * DAY)  # 91 days: the first message is past message_retention_days
    report = await run_retention(ctx)
    assert report.messages_expired == 1
    assert await message_ids(ctx, alice.id) == [fresh["id"]]
    deleted = await events_of(ctx, "message.deleted")
    assert any(f'"id":{old["id"]}' in payload for payload in deleted)
    # An open tab sees the change through its socket replay, as any other delete.
    page = await alice.history("general")
    assert [m["id"] for m in page["messages"]] == [fresh["id"]]


async def test_fair_eviction_of_messages_trims_the_flooder_first(
    app: Any, ctx: Ctx, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "MIB", 1000)  # caps in KB, so a test fits in memory
    alice, bob, carol = await users("alice"), await users("bob"), await users("carol")
    text = "x" * 500
    for i in range(5):
        await bob.send("general", f"{text} bob {i}")
        await carol.send("general", f"{text} carol {i}")
    for i in range(50):  # alice floods: 10x everyone else
        await alice.send("general", f"{text} alice {i}")
    usage = await retention.message_usage(ctx)
    assert usage[alice.id] > 9 * usage[bob.id]
    before = {u.id: await message_ids(ctx, u.id) for u in (alice, bob, carol)}
    cap_kb = (sum(usage.values()) - usage[alice.id] // 2) // 1000  # needs ~half of alice's
    configure(app, max_message_db_size_mb=cap_kb, message_retention_days=3650)

    report = await run_retention(ctx)

    after = {u.id: await message_ids(ctx, u.id) for u in (alice, bob, carol)}
    assert after[bob.id] == before[bob.id] and after[carol.id] == before[carol.id]
    lost = len(before[alice.id]) - len(after[alice.id])
    assert 20 <= lost <= 30
    # Oldest first: what alice keeps is exactly her newest messages.
    assert after[alice.id] == before[alice.id][lost:]
    assert sum((await retention.message_usage(ctx)).values()) <= cap_kb * 1000
    assert report.evicted_messages_by == {alice.id: lost}
    # One message.deleted per message: its own, and its stored message.created, rewritten
    # into the same (replay shows nothing of an evicted message; actions.redaction).
    deleted = await events_of(ctx, "message.deleted")
    assert len(deleted) == 2 * lost and len(set(deleted)) == lost
    assert report.batches >= 1 and report.lock_ms_max > 0


async def test_fair_eviction_levels_accounts_when_the_flooder_is_trimmed(
    app: Any, ctx: Ctx, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "MIB", 1000)
    alice, bob = await users("alice"), await users("bob")
    for i in range(10):
        await bob.send("general", "y" * 500 + str(i))
    for i in range(40):
        await alice.send("general", "x" * 500 + str(i))
    usage = await retention.message_usage(ctx)
    # A cap below twice bob's share: alice comes down to bob's level, then both lose.
    cap_kb = (usage[bob.id] * 3 // 2) // 1000
    configure(app, max_message_db_size_mb=cap_kb)
    await run_retention(ctx)
    final = await retention.message_usage(ctx)
    one = max(final.values()) // 3  # about one message, in bytes
    assert abs(final[alice.id] - final[bob.id]) <= 2 * one
    assert sum(final.values()) <= cap_kb * 1000


async def test_fair_eviction_of_uploads_trims_the_heaviest_uploader(
    app: Any, ctx: Ctx, users: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "MIB", 1000)
    alice, bob = await users("alice"), await users("bob")
    bob_files = [await upload(ctx, bob, os.urandom(2000), f"b{i}.bin") for i in range(2)]
    alice_files = []
    for i in range(20):
        clock.advance(60)
        alice_files.append(await upload(ctx, alice, os.urandom(2000), f"a{i}.bin"))
    total, per = await retention.upload_usage(ctx)
    assert total == 44_000 and per[alice.id] == 40_000
    configure(app, max_upload_dir_size_mb=30, file_retention_days=3650)
    report = await run_retention(ctx)
    async with ctx.db.read() as conn:
        left = set((await conn.execute(select(StoredFile.id))).scalars())
    assert {f["id"] for f in bob_files} <= left
    kept_alice = [f["id"] for f in alice_files if f["id"] in left]
    assert kept_alice == [f["id"] for f in alice_files][-len(kept_alice) :]  # oldest went
    assert report.files_evicted == 20 - len(kept_alice) == 7
    assert report.blobs_removed == 7
    assert (await retention.upload_usage(ctx))[0] <= 30_000


async def test_caps_off_with_zero(app: Any, ctx: Ctx, users: Any) -> None:
    alice = await users("alice")
    await alice.send("general", "hello")
    configure(app, max_message_db_size_mb=0, max_upload_dir_size_mb=0)
    report = await run_retention(ctx)
    assert report.messages_evicted == report.files_evicted == 0
    assert len(await message_ids(ctx, alice.id)) == 1


def test_heaviest_and_prefix() -> None:
    assert retention._heaviest({1: 100, 2: 40, None: 10}) == (1, 60)
    assert retention._heaviest({1: 50, 2: 50}) == (1, 1)
    rows = [type("R", (), {"size": s})() for s in (10, 10, 10)]
    assert len(retention._prefix(rows, 15)) == 2
    assert len(retention._prefix(rows, 1)) == 1


# --- the lease --------------------------------------------------------------------------


async def test_lease_is_exclusive_and_schedules_by_last_run(app: Any, users: Any) -> None:
    ctx: Ctx = app.state.minimost.ctx
    now = ctx.clock.now()
    ttl = timedelta(minutes=5)
    assert await leases.acquire(ctx, "job", "a", ttl=ttl, due_before=now)
    assert not await leases.acquire(ctx, "job", "b", ttl=ttl, due_before=now)
    assert await leases.renew(ctx, "job", "a", ttl=ttl)
    assert not await leases.renew(ctx, "job", "b", ttl=ttl)
    await leases.finish(ctx, "job", "a", completed=True)
    # Free now, but it just ran: not due before the next interval.
    assert not await leases.acquire(ctx, "job", "b", ttl=ttl, due_before=now - timedelta(hours=1))
    ctx.clock.advance(25 * 3600)  # type: ignore[attr-defined]
    due = ctx.clock.now() - timedelta(hours=24)
    assert await leases.acquire(ctx, "job", "b", ttl=ttl, due_before=due)
    # A holder that stops renewing loses the lease when it expires.
    ctx.clock.advance(301)  # type: ignore[attr-defined]
    assert await leases.acquire(ctx, "job", "c", ttl=ttl, due_before=ctx.clock.now())
    assert not await leases.renew(ctx, "job", "b", ttl=ttl)


async def test_janitor_runs_once_then_waits_a_day(app: Any, users: Any) -> None:
    ctx: Ctx = app.state.minimost.ctx
    runs: list[str] = []

    async def work(c: Ctx, keep_going: Any) -> Report:
        runs.append("run")
        return Report()

    first = Janitor(ctx, work=work, holder="one", job="test-job")
    second = Janitor(ctx, work=work, holder="two", job="test-job")
    now = ctx.clock.now()
    assert await first.run_if_due(now) is not None
    assert await second.run_if_due(now - timedelta(hours=24)) is None  # ran just now
    assert runs == ["run"]
    ctx.clock.advance(24 * 3600 + 1)  # type: ignore[attr-defined]
    assert await second.run_if_due(ctx.clock.now() - timedelta(hours=24)) is not None
    assert runs == ["run", "run"]


RUNNER = """
import asyncio, json, os, sys, time
from pathlib import Path
from minimost.app import build_ctx
from minimost.config import Settings
from minimost.db.engine import Database
from minimost.domain.actions.retention import Report
from minimost.domain.janitor import Janitor

class Discard:
    async def publish(self, event): return None

async def main():
    settings = Settings.model_validate_json(os.environ["SETTINGS"])
    flags = Path(os.environ["FLAGS"])
    db = Database(settings.db_url)
    ctx = build_ctx(settings, db, Discard())
    async def work(ctx, keep_going):
        (flags / f"running-{os.getpid()}").touch()
        while not (flags / "go").exists():
            await asyncio.sleep(0.01)
        return Report()
    (flags / f"ready-{os.getpid()}").touch()
    while len(list(flags.glob("ready-*"))) < 2:  # start together
        await asyncio.sleep(0.005)
    result = await Janitor(ctx, work=work).run_if_due(ctx.clock.now())
    print("ran" if result is not None else "skipped", flush=True)
    await db.dispose()

asyncio.run(main())
"""


async def test_two_processes_at_once_only_one_runs(settings: Any, tmp_path: Path) -> None:
    from minimost.db.engine import Database
    from minimost.db.migrate import upgrade

    db = Database(settings.db_url)
    await upgrade(db)
    await db.dispose()
    flags = tmp_path / "flags"
    flags.mkdir()
    script = tmp_path / "runner.py"
    script.write_text(textwrap.dedent(RUNNER))
    env = {**os.environ, "SETTINGS": settings.model_dump_json(), "FLAGS": str(flags)}
    procs = [
        subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        # The loser answers while the winner is still inside its run (it waits for "go").
        deadline = time.monotonic() + START_TIMEOUT  # two interpreters start
        while not (list(flags.glob("running-*")) and any(p.poll() is not None for p in procs)):
            assert time.monotonic() < deadline, "timed out waiting for the two runners"
            time.sleep(0.01)
        (flags / "go").touch()
        outputs = sorted(p.communicate(timeout=START_TIMEOUT)[0].strip() for p in procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert outputs == ["ran", "skipped"]
    assert len(list(flags.glob("running-*"))) == 1
