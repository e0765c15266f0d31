"""Resolve a session cookie or a bearer token to the acting user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from minimost.db.engine import Database
from minimost.db.models import ApiToken, Session, User
from minimost.domain.context import Actor
from minimost.domain.tokens import token_hash

_ACTOR_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.is_admin,
    User.color,
    User.avatar_sha256,
)


async def _actor(db: Database, query: Select[Any, Any, Any, Any, Any, Any]) -> Actor | None:
    async with db.read() as conn:
        row = (
            await conn.execute(query.where(User.deleted_at.is_(None), User.disabled_at.is_(None)))
        ).one_or_none()
    return None if row is None else _actor_of(row)


def _actor_of(row: Any, session_id: int | None = None) -> Actor:
    return Actor(
        row.id,
        row.username,
        row.display_name,
        row.is_admin,
        session_id=session_id,
        color=row.color,
        avatar_sha256=row.avatar_sha256,
    )


async def session_actor(
    db: Database, token: str, now: datetime
) -> tuple[Actor, datetime | None] | None:
    """The actor of a live session (with ``session_id`` set) and when the session was last
    seen (the caller refreshes that every few minutes, see ``actions.sessions``)."""
    query = (
        select(*_ACTOR_COLUMNS, Session.id.label("session_id"), Session.last_seen_at)
        .join(Session, Session.user_id == User.id)
        .where(
            Session.token_hash == token_hash(token),
            Session.expires_at > now,
            User.deleted_at.is_(None),
            User.disabled_at.is_(None),  # disabled by an admin (actions.admin)
        )
    )
    async with db.read() as conn:
        row = (await conn.execute(query)).one_or_none()
    if row is None:
        return None
    actor = _actor_of(row, row.session_id)
    return actor, row.last_seen_at


async def actor_for_session(db: Database, token: str, now: datetime) -> Actor | None:
    found = await session_actor(db, token, now)
    return None if found is None else found[0]


async def actor_for_api_token(db: Database, token: str) -> Actor | None:
    return await _actor(
        db,
        select(*_ACTOR_COLUMNS)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash(token)),
    )
