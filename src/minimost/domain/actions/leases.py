"""Job leases (table ``job_leases``): run a job in one process only, across every worker
and node sharing the database.

A process *acquires* the named lease with one atomic upsert that succeeds only if nobody
holds it (or the holder's lease expired) and the job is due (``last_run_at`` before
``due_before``). It *renews* while working; a holder that stops renewing (crashed, frozen)
loses the lease when it expires and another process takes over. ``finish`` records the run
and releases.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from minimost.db.models import JobLease
from minimost.domain.context import Ctx


async def acquire(
    ctx: Ctx, name: str, holder: str, *, ttl: timedelta, due_before: datetime
) -> bool:
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        insert = sqlite_insert if tx.dialect == "sqlite" else pg_insert
        statement = (
            insert(JobLease)
            .values(name=name, holder=holder, expires_at=now + ttl, last_run_at=None)
            .on_conflict_do_update(
                index_elements=[JobLease.name],
                set_={"holder": holder, "expires_at": now + ttl},
                where=and_(
                    or_(JobLease.expires_at < now, JobLease.holder == holder),
                    or_(JobLease.last_run_at.is_(None), JobLease.last_run_at < due_before),
                ),
            )
            .returning(JobLease.holder)
        )
        got = await tx.conn.scalar(statement)
    return got == holder


async def renew(ctx: Ctx, name: str, holder: str, *, ttl: timedelta) -> bool:
    """Extend our lease; False if it is no longer ours (expired and taken over)."""
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        result = await tx.conn.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.holder == holder, JobLease.expires_at >= now)
            .values(expires_at=now + ttl)
        )
    return bool(getattr(result, "rowcount", 0))


async def finish(ctx: Ctx, name: str, holder: str, *, completed: bool) -> None:
    """Release the lease; with ``completed`` also record the run (the next is due from now)."""
    now = ctx.clock.now()
    values: dict[str, datetime] = {"expires_at": now}
    if completed:
        values["last_run_at"] = now
    async with ctx.db.write() as tx:
        await tx.conn.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.holder == holder)
            .values(**values)
        )


async def last_run(ctx: Ctx, name: str) -> datetime | None:
    async with ctx.db.read() as conn:
        value: datetime | None = await conn.scalar(
            select(JobLease.last_run_at).where(JobLease.name == name)
        )
        return value
