"""Health probes for ``/readyz``: the web layer asks, the database layer answers."""

from __future__ import annotations

from sqlalchemy import text

from minimost.db.engine import Database


async def database_answers(db: Database) -> bool:
    """Whether the database answers a trivial query (any failure means not ready)."""
    try:
        async with db.read() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # not ready, whatever the reason: the probe's whole answer
        return False
    return True
