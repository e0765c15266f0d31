"""Retention: age limits and size caps with fair eviction (spec §Configuration).

* Messages older than ``message_retention_days`` are DELETEd (not tombstoned); their
  reactions, pins, mentions and attachment rows go with them.
* Image attachments older than ``image_retention_days`` and other attachments older than
  ``file_retention_days`` lose their file row; blobs no row refers to any more are removed.
* ``max_message_db_size_mb`` / ``max_upload_dir_size_mb`` (0 = off): while a store is over its
  cap, the *account using the most space* loses its oldest content, recomputed after every
  batch, and never more than brings it down to the next-heaviest account (water-filling).
  One flooder therefore pays for their flood; others keep their data until every account
  is trimmed to the same level.

Measures (documented in docs/admin.md):
* messages: ``length(body_md) + length(body_html) + ROW_OVERHEAD`` per row, per author. The
  same on SQLite and PostgreSQL, and it shrinks exactly as rows go. Page counts do not: a
  page is freed only once every row on it is gone, so evicting by page counts deletes far
  more than needed when authors' messages interleave (the original's behaviour).
* uploads: ``files.size``; the total counts each blob once (identical bytes are stored
  once), the per-uploader sum counts every upload row.

Every batch is its own short write transaction (at most ``BATCH`` rows) followed by a pause,
so sends queued behind the write lock get in between; ``Report`` records how long the lock
was held per batch.

Two repairs ride on the same pass:
* first, hard account purges a crash cut short (``users.purge_requested_at`` still set) are
  finished with ``account_deletion.purge_messages``;
* last, orphan blobs: a blob can stay on disk with no row naming it when a transaction rolled
  back after placing it, or the process died between a commit and the blob clean-up. Every
  blob older than ``ORPHAN_GRACE`` (by mtime, so an upload whose row is not committed yet is
  never looked at) goes through the reaper (``files.delete_if_unreferenced``: the one
  definition of "in use", checked under the blob lock, ``ORPHAN_BATCH`` digests per query).
  Stale temp files (``uploads/tmp``) older than the grace period go too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, delete, func, or_, select

from minimost.db.engine import Tx
from minimost.db.models import Message, StoredFile
from minimost.domain.actions.account_deletion import pending_purges, purge_messages
from minimost.domain.actions.files import blob_store, delete_if_unreferenced, detach_files
from minimost.domain.actions.redaction import rewrite_message_events
from minimost.domain.context import Ctx
from minimost.domain.events import (
    Event,
    message_deleted,
    message_updated,
    publish_many_on_commit,
)
from minimost.domain.queries.enrich import current_views

BATCH = 200
PAUSE = 0.005  # seconds between batches: lets queued writers (sends) take the lock
ROW_OVERHEAD = 64  # bytes counted per message row on top of its text
MIB = 1024 * 1024
# Blobs and temp files younger than this (wall-clock mtime) are never swept: an upload in
# flight has its bytes in place before its row commits.
ORPHAN_GRACE = timedelta(days=1)
ORPHAN_BATCH = 500  # digests per reference check (one write transaction each)


class LeaseLost(Exception):
    """Another process took over the job (our lease expired): stop between batches."""


class BlobReaper(Protocol):
    """Removes the blobs of ``shas`` no row uses any more; returns how many went."""

    async def __call__(self, ctx: Ctx, shas: Iterable[str], /) -> int: ...


@dataclass
class Report:
    messages_expired: int = 0
    messages_evicted: int = 0
    files_expired: int = 0
    files_evicted: int = 0
    blobs_removed: int = 0
    purges_resumed: int = 0
    messages_purged: int = 0
    orphan_blobs_checked: int = 0
    orphan_blobs_removed: int = 0
    tmp_files_removed: int = 0
    batches: int = 0
    lock_ms_max: float = 0.0
    lock_ms_total: float = 0.0
    # Evicted rows per account (author / uploader id; None = deleted accounts).
    evicted_messages_by: dict[int | None, int] = field(default_factory=dict)
    evicted_files_by: dict[int | None, int] = field(default_factory=dict)

    def held(self, seconds: float) -> None:
        ms = seconds * 1000
        self.batches += 1
        self.lock_ms_total += ms
        self.lock_ms_max = max(self.lock_ms_max, ms)

    def summary(self) -> str:
        mean = self.lock_ms_total / self.batches if self.batches else 0.0
        return (
            f"messages expired {self.messages_expired}, evicted {self.messages_evicted}; "
            f"files expired {self.files_expired}, evicted {self.files_evicted}; "
            f"blobs removed {self.blobs_removed}; {self.batches} batches, write lock "
            f"held {mean:.1f} ms mean / {self.lock_ms_max:.1f} ms max; "
            f"purges resumed {self.purges_resumed} ({self.messages_purged} messages); "
            f"orphan blobs removed {self.orphan_blobs_removed} of "
            f"{self.orphan_blobs_checked} checked, temp files removed {self.tmp_files_removed}"
        )


KeepGoing = Callable[[], bool]


def _always() -> bool:
    return True


async def _pause(keep_going: KeepGoing) -> None:
    await asyncio.sleep(PAUSE)
    if not keep_going():
        raise LeaseLost("lease lost")


async def _reap(ctx: Ctx, reap: BlobReaper, shas: Iterable[str | None], report: Report) -> None:
    wanted = {sha for sha in shas if sha}
    if wanted:
        report.blobs_removed += await reap(ctx, wanted)


# --- deleting -------------------------------------------------------------------------


async def delete_messages(
    ctx: Ctx, ids: list[int], report: Report, reap: BlobReaper
) -> list[tuple[int, int | None]]:
    """DELETE these messages (and their attachment rows) in one transaction; publish one
    ``message.deleted`` per message on commit; then remove blobs left unreferenced.
    Returns (id, author_id) of the rows actually deleted."""
    if not ids:
        return []
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        # From holding the writer (not from queueing for it) to the end of the commit.
        started = time.perf_counter()
        blobs = await detach_files(tx, ids)
        gone = (
            await tx.conn.execute(
                delete(Message)
                .where(Message.id.in_(ids))
                .returning(
                    Message.id,
                    Message.conversation_id,
                    Message.author_id,
                    Message.preview_image_sha256,
                )
            )
        ).all()
        gone = sorted(gone, key=lambda row: row.id)
        if gone:
            # The replay log forgets them too (and replies' quotes of them).
            await rewrite_message_events(tx, [row.id for row in gone])
            await publish_many_on_commit(
                tx,
                ctx.publisher,
                [message_deleted(row.id, row.conversation_id) for row in gone],
                now,
            )
    report.held(time.perf_counter() - started)
    blobs.update(row.preview_image_sha256 for row in gone if row.preview_image_sha256)
    await _reap(ctx, reap, blobs, report)
    return [(row.id, row.author_id) for row in gone]


async def _updated_views(tx: Tx, message_ids: set[int]) -> list[Event]:
    """``message.updated`` for messages that lost an attachment (open tabs drop it); their
    stored views lose its name too (a quote never shows files: replies stay as they are)."""
    if not message_ids:
        return []
    await rewrite_message_events(tx, message_ids, replies=False)
    return [message_updated(view) for view in await current_views(tx.conn, sorted(message_ids))]


async def delete_files(
    ctx: Ctx, ids: list[int], report: Report, reap: BlobReaper
) -> list[tuple[int, int | None]]:
    """Remove these attachment rows; the messages they were on get ``message.updated``.
    Returns (id, uploader_id) of the rows actually deleted."""
    if not ids:
        return []
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        # From holding the writer (not from queueing for it) to the end of the commit.
        started = time.perf_counter()
        gone = (
            await tx.conn.execute(
                delete(StoredFile)
                .where(StoredFile.id.in_(ids))
                .returning(
                    StoredFile.id,
                    StoredFile.uploader_id,
                    StoredFile.message_id,
                    StoredFile.sha256,
                    StoredFile.thumbnail_sha256,
                )
            )
        ).all()
        events = await _updated_views(tx, {r.message_id for r in gone if r.message_id})
        if events:
            await publish_many_on_commit(tx, ctx.publisher, events, now)
    report.held(time.perf_counter() - started)
    await _reap(ctx, reap, (s for row in gone for s in (row.sha256, row.thumbnail_sha256)), report)
    return [(row.id, row.uploader_id) for row in gone]


# --- age --------------------------------------------------------------------------------


async def expire_messages(
    ctx: Ctx, report: Report, reap: BlobReaper, keep_going: KeepGoing = _always
) -> int:
    cutoff = ctx.clock.now() - timedelta(days=ctx.settings.message_retention_days)
    removed = 0
    while True:
        async with ctx.db.read() as conn:
            # Ids grow with time, so the oldest come first along the primary key.
            ids = list(
                (
                    await conn.execute(
                        select(Message.id)
                        .where(Message.created_at < cutoff)
                        .order_by(Message.id)
                        .limit(BATCH)
                    )
                ).scalars()
            )
        gone = await delete_messages(ctx, ids, report, reap)
        removed += len(gone)
        report.messages_expired += len(gone)
        if len(ids) < BATCH:
            return removed
        await _pause(keep_going)


def _expired_files(now: datetime, image_days: int, file_days: int) -> ColumnElement[bool]:
    expired: ColumnElement[bool] = or_(
        and_(
            StoredFile.is_image.is_(True),
            StoredFile.created_at < now - timedelta(days=image_days),
        ),
        and_(
            StoredFile.is_image.is_(False),
            StoredFile.created_at < now - timedelta(days=file_days),
        ),
    )
    return expired


async def expire_files(
    ctx: Ctx, report: Report, reap: BlobReaper, keep_going: KeepGoing = _always
) -> int:
    s = ctx.settings
    where = _expired_files(ctx.clock.now(), s.image_retention_days, s.file_retention_days)
    removed = 0
    while True:
        async with ctx.db.read() as conn:
            ids = list(
                (
                    await conn.execute(
                        select(StoredFile.id)
                        .where(where)
                        .order_by(StoredFile.created_at, StoredFile.id)
                        .limit(BATCH)
                    )
                ).scalars()
            )
        gone = await delete_files(ctx, ids, report, reap)
        removed += len(gone)
        report.files_expired += len(gone)
        if len(ids) < BATCH:
            return removed
        await _pause(keep_going)


# --- size caps: fair eviction --------------------------------------------------------

_MESSAGE_SIZE = (
    func.coalesce(func.length(Message.body_md), 0)
    + func.coalesce(func.length(Message.body_html), 0)
    + ROW_OVERHEAD
)


async def message_usage(ctx: Ctx) -> dict[int | None, int]:
    """Bytes of message text per author (see the module docstring for the measure)."""
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            select(Message.author_id, func.sum(_MESSAGE_SIZE)).group_by(Message.author_id)
        )
        return {row[0]: int(row[1] or 0) for row in rows}


async def upload_usage(ctx: Ctx) -> tuple[int, dict[int | None, int]]:
    """(bytes stored, each blob once; bytes uploaded per uploader)."""
    async with ctx.db.read() as conn:
        per_blob = (
            select(func.max(StoredFile.size).label("size")).group_by(StoredFile.sha256).subquery()
        )
        total = int(await conn.scalar(select(func.coalesce(func.sum(per_blob.c.size), 0))) or 0)
        rows = await conn.execute(
            select(StoredFile.uploader_id, func.sum(StoredFile.size)).group_by(
                StoredFile.uploader_id
            )
        )
        return total, {row[0]: int(row[1] or 0) for row in rows}


def _heaviest(usage: dict[int | None, int]) -> tuple[int | None, int]:
    """The account using the most, and how much it may lose before it is no longer the
    heaviest (the gap to the runner-up, at least 1). Ties go to the lowest id."""
    ranked = sorted(usage.items(), key=lambda kv: (-kv[1], -1 if kv[0] is None else kv[0]))
    account, used = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    return account, max(1, used - runner_up)


def _prefix(rows: Sequence[Any], need: int) -> list[Any]:
    """The oldest rows whose sizes add up to ``need`` (at least one row)."""
    taken, total = [], 0
    for row in rows:
        taken.append(row)
        total += int(row.size)
        if total >= need:
            break
    return taken


def _owned_by(column: Any, account: int | None) -> ColumnElement[bool]:
    owned: ColumnElement[bool] = column.is_(None) if account is None else column == account
    return owned


async def enforce_message_cap(
    ctx: Ctx, report: Report, reap: BlobReaper, keep_going: KeepGoing = _always
) -> int:
    cap = ctx.settings.max_message_db_size_mb * MIB
    if cap <= 0:
        return 0
    removed = 0
    usage = await message_usage(ctx)
    total = sum(usage.values())
    while total > cap and usage:
        account, gap = _heaviest(usage)
        async with ctx.db.read() as conn:
            rows = (
                await conn.execute(
                    select(Message.id, _MESSAGE_SIZE.label("size"))
                    .where(_owned_by(Message.author_id, account))
                    .order_by(Message.id)
                    .limit(BATCH)
                )
            ).all()
        if not rows:
            usage.pop(account)
            continue
        chosen = _prefix(rows, min(total - cap, gap))
        sizes = {row.id: int(row.size) for row in chosen}
        gone = await delete_messages(ctx, list(sizes), report, reap)
        freed = sum(sizes[mid] for mid, _ in gone)
        removed += len(gone)
        report.messages_evicted += len(gone)
        report.evicted_messages_by[account] = report.evicted_messages_by.get(account, 0) + len(gone)
        if not gone:
            # Someone else changed the rows under us: measure again from the database.
            usage = await message_usage(ctx)
        else:
            usage[account] -= freed
            if usage[account] <= 0:
                usage.pop(account)
        total = sum(usage.values())
        if total <= cap:
            # New sends may have arrived meanwhile: confirm against the database.
            usage = await message_usage(ctx)
            total = sum(usage.values())
        await _pause(keep_going)
    return removed


async def enforce_upload_cap(
    ctx: Ctx, report: Report, reap: BlobReaper, keep_going: KeepGoing = _always
) -> int:
    cap = ctx.settings.max_upload_dir_size_mb * MIB
    if cap <= 0:
        return 0
    removed = 0
    total, usage = await upload_usage(ctx)
    while total > cap and usage:
        account, gap = _heaviest(usage)
        async with ctx.db.read() as conn:
            rows = (
                await conn.execute(
                    select(StoredFile.id, StoredFile.size)
                    .where(_owned_by(StoredFile.uploader_id, account))
                    .order_by(StoredFile.created_at, StoredFile.id)
                    .limit(BATCH)
                )
            ).all()
        if not rows:
            usage.pop(account)
            continue
        chosen = _prefix(rows, min(total - cap, gap))
        gone = await delete_files(ctx, [row.id for row in chosen], report, reap)
        removed += len(gone)
        report.files_evicted += len(gone)
        report.evicted_files_by[account] = report.evicted_files_by.get(account, 0) + len(gone)
        # Cheap enough to measure exactly each time (one row per upload, indexed).
        total, usage = await upload_usage(ctx)
        await _pause(keep_going)
    return removed


# --- repairs ---------------------------------------------------------------------------


async def resume_purges(ctx: Ctx, report: Report, keep_going: KeepGoing = _always) -> int:
    """Finish every hard purge still owed (see ``account_deletion``). Safe alongside a
    purge still running in a request: each message is deleted and announced once."""
    resumed = 0
    for user_id in await pending_purges(ctx):
        report.messages_purged += await purge_messages(ctx, user_id)
        report.purges_resumed += 1
        resumed += 1
        await _pause(keep_going)
    return resumed


async def sweep_orphans(
    ctx: Ctx, report: Report, reap: BlobReaper, keep_going: KeepGoing = _always
) -> int:
    """Remove blobs no row names that are older than ``ORPHAN_GRACE``, and stale temp
    files. Walks one prefix directory at a time (never the whole listing in memory)."""
    store = blob_store(ctx)
    # mtimes are wall-clock, whatever clock the domain runs on.
    older_than = time.time() - ORPHAN_GRACE.total_seconds()
    report.tmp_files_removed += await asyncio.to_thread(store.sweep_tmp, older_than)
    removed = 0
    pending: list[str] = []

    async def check(batch: list[str]) -> None:
        nonlocal removed
        gone = await reap(ctx, batch)
        removed += gone
        report.orphan_blobs_checked += len(batch)
        report.orphan_blobs_removed += gone
        await _pause(keep_going)

    for prefix in await asyncio.to_thread(store.prefixes):
        pending += await asyncio.to_thread(store.old_blobs, prefix, older_than)
        while len(pending) >= ORPHAN_BATCH:
            batch, pending = pending[:ORPHAN_BATCH], pending[ORPHAN_BATCH:]
            await check(batch)
    if pending:
        await check(pending)
    return removed


async def run_retention(
    ctx: Ctx, *, reap: BlobReaper | None = None, keep_going: KeepGoing = _always
) -> Report:
    """One full pass: unfinished purges, ages (cheap, usually all that is needed), the
    caps, then the orphan sweep."""
    reap = reap or delete_if_unreferenced
    report = Report()
    await resume_purges(ctx, report, keep_going)
    await expire_files(ctx, report, reap, keep_going)
    await expire_messages(ctx, report, reap, keep_going)
    await enforce_upload_cap(ctx, report, reap, keep_going)
    await enforce_message_cap(ctx, report, reap, keep_going)
    await sweep_orphans(ctx, report, reap, keep_going)
    return report
