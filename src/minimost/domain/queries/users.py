"""The user directory and per-user presence settings.

Every signed-in user may see every other (active, human) account: there is no per-user
access rule for the directory, so no ``access`` call here.
"""

from __future__ import annotations

from sqlalchemy import false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from minimost.db.engine import Database
from minimost.db.models import User
from minimost.domain.views import user_view
from minimost.wire.models import UserOut


async def directory(db: Database, q: str, limit: int) -> list[UserOut]:
    """Users whose username or display name starts with ``q`` (case-insensitive), by
    username; deleted and system accounts are never listed."""
    query = select(User.id, User.username, User.display_name, User.color, User.avatar_sha256).where(
        User.deleted_at.is_(None), User.is_system == false()
    )
    prefix = q.strip().lower()
    if prefix:
        # Usernames are stored lower-case; display names are compared lower-cased.
        query = query.where(
            or_(
                User.username.startswith(prefix, autoescape=True),
                func.lower(User.display_name).startswith(prefix, autoescape=True),
            )
        )
    async with db.read() as conn:
        rows = (await conn.execute(query.order_by(User.username).limit(limit))).all()
    return [user_view(r.id, r.username, r.display_name, r.color, r.avatar_sha256) for r in rows]


async def presence_override(conn: AsyncConnection, user_id: int) -> str | None:
    """The user's manual presence (``away``/``dnd``), ``None`` for automatic."""
    value = await conn.scalar(select(User.presence_override).where(User.id == user_id))
    return None if value is None else str(value)


async def presence_override_of(db: Database, user_id: int) -> str | None:
    async with db.read() as conn:
        return await presence_override(conn, user_id)
