"""The janitor pass repairs what a crash leaves behind: a hard purge cut short is finished,
and blobs no row names (older than a day) are swept, with stale temp files.

Runs on SQLite and PostgreSQL (the ``app`` fixture). The test holds the janitor's lease, so
the app's background janitor never runs; the pass is the real one (``Janitor.run_if_due``
with the default work, i.e. ``run_retention``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from minimost.db.models import Message, StoredFile, User
from minimost.domain.actions import account_deletion, files, leases, retention
from minimost.domain.actions.files import blob_store
from minimost.domain.actions.retention import Report
from minimost.domain.context import Ctx
from minimost.domain.janitor import JOB, Janitor
from tests.media import png
from tests.web.helpers import API, EventLog

HOLDER = "test"
DAY = 86400


@pytest.fixture
async def ctx(app: Any) -> Ctx:
    context: Ctx = app.state.minimost.ctx
    # Hold the lease so the app's own janitor stays out; the test's pass uses the same holder.
    assert await leases.acquire(
        context, JOB, HOLDER, ttl=timedelta(days=3650), due_before=context.clock.now()
    )
    return context


async def janitor_pass(ctx: Ctx) -> Report:
    report = await Janitor(ctx, holder=HOLDER).run_if_due(ctx.clock.now())
    assert report is not None, "the pass did not run"
    return report


async def scalar(ctx: Ctx, query: Any) -> Any:
    async with ctx.db.read() as conn:
        return await conn.scalar(query)


async def authored(ctx: Ctx, user_id: int) -> int:
    return int(
        await scalar(
            ctx, select(func.count()).select_from(Message).where(Message.author_id == user_id)
        )
        or 0
    )


class Crash(Exception):
    """The process dying mid-purge."""


# --- resumable hard purge ----------------------------------------------------------------


async def test_a_purge_cut_short_is_finished_by_the_janitor(
    app: Any, ctx: Ctx, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = await users("alice"), await users("bob")
    bobs = await bob.send("general", "bob stays")
    mine = [await alice.send("general", f"alice {i}") for i in range(4)]
    dm = await alice.dm(bob)
    mine.append(await alice.post_to(dm, "secret"))
    upload = await alice.upload("notes.txt", b"alice's late file")
    mine.append(await alice.send_files(alice.channel("general"), [upload["id"]], "with a file"))
    sha = hashlib.sha256(b"alice's late file").hexdigest()
    store = blob_store(ctx)
    assert store.exists(sha)
    log = await EventLog.begin(app)

    # The request's purge: chunks of 2, and the process "dies" right after the first chunk
    # committed (purge_messages reaps blobs once for unsent uploads, then once per chunk).
    real_reap = files.delete_if_unreferenced
    reaps = 0

    async def reap_then_die(c: Ctx, shas: Any) -> int:
        nonlocal reaps
        reaps += 1
        removed = await real_reap(c, shas)
        if reaps == 2:
            raise Crash
        return removed

    monkeypatch.setattr(account_deletion, "PURGE_CHUNK", 2)
    monkeypatch.setattr(account_deletion, "delete_if_unreferenced", reap_then_die)
    with pytest.raises(Crash):
        await account_deletion.remove_account(ctx, alice.id, "hard", by="test")
    monkeypatch.undo()

    # What the crash left: the account is deleted, the purge is owed, 2 of 6 messages went.
    assert await scalar(ctx, select(User.deleted_at).where(User.id == alice.id)) is not None
    assert await scalar(ctx, select(User.purge_requested_at).where(User.id == alice.id))
    assert await authored(ctx, alice.id) == len(mine) - 2
    assert await account_deletion.pending_purges(ctx) == [alice.id]
    assert store.exists(sha), "the file's message is in the unpurged part"

    report = await janitor_pass(ctx)

    assert report.purges_resumed == 1 and report.messages_purged == len(mine) - 2
    assert await authored(ctx, alice.id) == 0
    assert await scalar(ctx, select(User.purge_requested_at).where(User.id == alice.id)) is None
    assert await account_deletion.pending_purges(ctx) == []
    assert await scalar(ctx, select(func.count()).select_from(StoredFile)) == 0
    assert not store.exists(sha)
    history = (await bob.history("general"))["messages"]
    assert [m["id"] for m in history] == [bobs["id"]]
    # Every message announced exactly once across the two runs, as a purge.
    deleted = [e for e in await log.new() if e.type == "message.deleted"]
    assert sorted(e.data["id"] for e in deleted) == sorted(m["id"] for m in mine)
    assert all(e.data["purged"] is True for e in deleted)
    assert {e.conversation_id for e in deleted} == {alice.channel("general"), dm}

    # A second pass has nothing left to resume.
    ctx.clock.advance(DAY + 1)  # type: ignore[attr-defined]
    again = await Janitor(ctx, holder=HOLDER).run_if_due(ctx.clock.now() - timedelta(days=1))
    assert again is not None and again.purges_resumed == 0


async def test_only_an_unfinished_hard_purge_is_pending(ctx: Ctx, users: Any) -> None:
    alice, bob = await users("alice"), await users("bob")
    await alice.send("general", "a")
    await bob.send("general", "b")
    await account_deletion.remove_account(ctx, alice.id, "hard", by="test")
    await account_deletion.remove_account(ctx, bob.id, "soft", by="test")
    # A finished hard purge cleared its mark; a soft deletion never set one.
    for user in (alice, bob):
        assert await scalar(ctx, select(User.purge_requested_at).where(User.id == user.id)) is None
    assert await account_deletion.pending_purges(ctx) == []
    assert await authored(ctx, alice.id) == 0 and await authored(ctx, bob.id) == 1


async def test_two_purges_at_once_announce_each_message_once(
    app: Any, ctx: Ctx, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The janitor may resume a purge the request is still running: both delete, but each
    message is deleted, counted and announced by exactly one of them."""
    monkeypatch.setattr(account_deletion, "PURGE_CHUNK", 1)
    alice = await users("alice")
    mine = [await alice.send("general", f"m{i}") for i in range(8)]
    real_purge = account_deletion.purge_messages

    async def no_purge(c: Ctx, user_id: int, chunk: int | None = None) -> int:
        return 0  # the request "dies" right after marking the account deleted

    monkeypatch.setattr(account_deletion, "purge_messages", no_purge)
    await account_deletion.remove_account(ctx, alice.id, "hard", by="test")
    monkeypatch.setattr(account_deletion, "purge_messages", real_purge)
    log = await EventLog.begin(app)

    request, report = await asyncio.gather(
        account_deletion.purge_messages(ctx, alice.id), janitor_pass(ctx)
    )

    assert await authored(ctx, alice.id) == 0
    assert request + report.messages_purged == len(mine)
    deleted = [e.data["id"] for e in await log.new() if e.type == "message.deleted"]
    assert sorted(deleted) == sorted(m["id"] for m in mine)
    assert await account_deletion.pending_purges(ctx) == []


# --- orphan blobs ------------------------------------------------------------------------


def age(path: Path, days: float) -> None:
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))


async def test_orphan_blobs_older_than_a_day_are_swept(
    ctx: Ctx, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "ORPHAN_BATCH", 2)  # several reference checks
    checks: list[int] = []
    real_reap = files.delete_if_unreferenced

    async def counting_reap(c: Ctx, shas: Any) -> int:
        shas = list(shas)
        checks.append(len(shas))
        return await real_reap(c, shas)

    monkeypatch.setattr(retention, "delete_if_unreferenced", counting_reap)
    alice = await users("alice")
    store = blob_store(ctx)

    # Referenced and old: an upload row (files.sha256) and an avatar (users.avatar_sha256).
    uploaded = await alice.upload("keep.txt", b"referenced bytes")
    kept = hashlib.sha256(b"referenced bytes").hexdigest()
    assert (await alice.put(f"{API}/me/avatar", files={"file": ("me.png", png())})).is_success
    avatar = await scalar(ctx, select(User.avatar_sha256).where(User.id == alice.id))
    assert uploaded["id"] and avatar and store.exists(kept) and store.exists(avatar)
    # Orphans: one old (a rolled-back upload), one fresh (an upload whose row is not
    # committed yet: it must survive).
    orphan = store.commit(store.stage_bytes(b"rolled back long ago"))
    fresh = store.commit(store.stage_bytes(b"row about to commit"))
    for sha in (kept, avatar, orphan):
        age(store.path(sha), 2)
    # Temp files: one a crash left two days ago, one being written now.
    stale_tmp = store.staging(100)
    stale_tmp.write(b"half an upload")
    stale_tmp.finish()
    age(stale_tmp.path, 2)
    live_tmp = store.staging(100)
    # Not a blob name: never touched, whatever its age.
    stray = store.root / orphan[:2] / "README"
    stray.write_text("not mine")
    age(stray, 5)

    report = await janitor_pass(ctx)

    assert not store.exists(orphan)
    assert store.exists(kept) and store.exists(avatar) and store.exists(fresh)
    assert not stale_tmp.path.exists() and live_tmp.path.exists()
    assert stray.exists()
    assert report.orphan_blobs_removed == 1 and report.orphan_blobs_checked == 3
    assert report.tmp_files_removed == 1
    assert sorted(checks) == [1, 2], "old blobs checked in batches of ORPHAN_BATCH"
    assert "orphan blobs removed 1 of 3 checked" in report.summary()
    # The referenced ones still serve.
    response = await alice.get(f"{API}/files/{uploaded['id']}")
    assert response.status_code == 200 and response.content == b"referenced bytes"
    live_tmp.discard()
