"""Housekeeping writes: prune the replay log and expired sessions.

Idempotent deletes by age, so several processes running them at once is harmless. The
retention janitor for messages and files (size caps, fair eviction) builds on this.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from minimost.db.models import Event, ServerSecret, Session
from minimost.domain.context import Ctx
from minimost.files.store import store_for

BATCH = 5000


async def prune_events(ctx: Ctx) -> int:
    """Delete events older than ``event_retention_days``, in small batches that never hold
    the write lock for long. Clients resuming from before the cut get ``resync``."""
    cutoff = ctx.clock.now() - timedelta(days=ctx.settings.event_retention_days)
    removed = 0
    while True:
        async with ctx.db.write() as tx:
            ids = (
                (
                    await tx.conn.execute(
                        select(Event.id)
                        .where(Event.created_at < cutoff)
                        .order_by(Event.id)
                        .limit(BATCH)
                    )
                )
                .scalars()
                .all()
            )
            if ids:
                await tx.conn.execute(delete(Event).where(Event.id.in_(ids)))
        removed += len(ids)
        if len(ids) < BATCH:
            return removed


async def prune_sessions(ctx: Ctx) -> int:
    async with ctx.db.write() as tx:
        result = await tx.conn.execute(delete(Session).where(Session.expires_at < ctx.clock.now()))
    return int(getattr(result, "rowcount", 0) or 0)


async def server_secret(ctx: Ctx, name: str = "csrf") -> bytes:
    """The named server secret, created on first use. Every process and node reads the same
    one from the database, so a CSRF token minted by one node is valid on all."""
    async with ctx.db.read() as conn:
        value = await conn.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
    if value is None:
        async with ctx.db.write() as tx:
            await tx.ordered()  # two nodes starting at once: one creates, the other reads
            value = await tx.conn.scalar(
                select(ServerSecret.value).where(ServerSecret.name == name)
            )
            if value is None:
                value = secrets.token_hex(32)
                await tx.conn.execute(insert(ServerSecret).values(name=name, value=value))
    return bytes.fromhex(value)


# The ``server_secrets`` row the storage probe rewrites (a random value, never used).
PROBE_ROW = "storage-probe"


async def probe_storage(ctx: Ctx) -> None:
    """A small real write to the database (a fresh random row value, committed) and to the
    uploads' file system (a fsynced temp file, removed): raises ``StorageFull`` if either
    finds no space. ``/readyz`` runs it only after a write failed for lack of space."""
    await asyncio.to_thread(store_for(ctx.settings.data_dir).probe)
    async with ctx.db.write() as tx:
        upsert = sqlite_insert if tx.dialect == "sqlite" else pg_insert
        value = secrets.token_hex(32)
        await tx.conn.execute(
            upsert(ServerSecret)
            .values(name=PROBE_ROW, value=value)
            .on_conflict_do_update(index_elements=[ServerSecret.name], set_={"value": value})
        )
