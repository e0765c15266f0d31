"""Resolve a session cookie or a bearer token to the acting user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from minimost.db.engine import Database
from minimost.db.models import ApiToken, Session, User
from minimost.domain.context import Actor
from minimost.domain.tokens import token_hash


async def actor_for_session(db: Database, token: str, now: datetime, ip: str = "") -> Actor | None:
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(User.id, User.username, User.display_name, User.is_admin)
                .join(Session, Session.user_id == User.id)
                .where(
                    Session.token_hash == token_hash(token),
                    Session.expires_at > now,
                    User.deleted_at.is_(None),
                )
            )
        ).one_or_none()
    return None if row is None else Actor(row.id, row.username, row.display_name, row.is_admin, ip)


async def actor_for_api_token(db: Database, token: str, ip: str = "") -> Actor | None:
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(User.id, User.username, User.display_name, User.is_admin)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == token_hash(token), User.deleted_at.is_(None))
            )
        ).one_or_none()
    return None if row is None else Actor(row.id, row.username, row.display_name, row.is_admin, ip)
