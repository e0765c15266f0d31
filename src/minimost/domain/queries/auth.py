"""Resolve a session cookie or a bearer token to the acting user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from minimost.db.engine import Database
from minimost.db.models import ApiToken, Session, User
from minimost.domain.context import Actor
from minimost.domain.tokens import token_hash

_ACTOR_COLUMNS = (User.id, User.username, User.display_name, User.is_admin)


async def _actor(db: Database, query: Select[int, str, str, bool]) -> Actor | None:
    async with db.read() as conn:
        row = (await conn.execute(query.where(User.deleted_at.is_(None)))).one_or_none()
    return None if row is None else Actor(row.id, row.username, row.display_name, row.is_admin)


async def actor_for_session(db: Database, token: str, now: datetime) -> Actor | None:
    return await _actor(
        db,
        select(*_ACTOR_COLUMNS)
        .join(Session, Session.user_id == User.id)
        .where(Session.token_hash == token_hash(token), Session.expires_at > now),
    )


async def actor_for_api_token(db: Database, token: str) -> Actor | None:
    return await _actor(
        db,
        select(*_ACTOR_COLUMNS)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash(token)),
    )
