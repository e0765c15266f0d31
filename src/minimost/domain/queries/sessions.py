"""Your own sessions and personal access tokens (for Settings). Only ever the caller's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from minimost.db.engine import Database
from minimost.db.models import ApiToken, Session
from minimost.domain.context import Actor
from minimost.domain.views import iso


async def list_sessions(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Newest first; ``current`` marks the session the request came with."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(
                    Session.id,
                    Session.created_at,
                    Session.last_seen_at,
                    Session.ip,
                    Session.user_agent,
                )
                .where(Session.user_id == actor.id)
                .order_by(Session.id.desc())
            )
        ).all()
    return [
        {
            "id": row.id,
            "created_at": iso(row.created_at),
            # Never refreshed yet: it was last seen when it was created.
            "last_seen_at": iso(row.last_seen_at or row.created_at),
            "ip": row.ip,
            "user_agent": row.user_agent,
            "current": row.id == actor.session_id,
        }
        for row in rows
    ]


async def list_tokens(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Names and dates only: the secret is shown once, when created."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(ApiToken.id, ApiToken.name, ApiToken.created_at)
                .where(ApiToken.user_id == actor.id)
                .order_by(ApiToken.id.desc())
            )
        ).all()
    return [{"id": r.id, "name": r.name, "created_at": iso(r.created_at)} for r in rows]
