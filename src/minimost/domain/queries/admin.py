"""Read-only views for the operator CLI (``minimost users``, ``minimost audit``).

No access check: whoever runs the CLI on the server can read the database file anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from minimost.db.models import ApiToken, AuditRecord, Message, Session, StoredFile, User
from minimost.domain.actions.lockout import account_budget


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    username: str
    display_name: str
    is_admin: bool
    status: str  # active | disabled | locked | deleted
    created_at: datetime
    last_seen_at: datetime | None


def _status(row: Any, now: datetime) -> str:
    """``locked``: refused to browsers that never signed in (known devices still may)."""
    if row.deleted_at is not None:
        return "deleted"
    if row.disabled_at is not None:
        return "disabled"
    if row.locked_until is not None:
        return "locked"
    return "active"


async def list_users(
    conn: AsyncConnection, now: datetime, *, lockout_limit: int, include_deleted: bool = False
) -> list[UserRow]:
    seen = (
        select(Session.user_id, func.max(Session.last_seen_at).label("seen"))
        .group_by(Session.user_id)
        .subquery()
    )
    locked_until, _failures = account_budget(lockout_limit, now)
    query = (
        select(User, seen.c.seen, locked_until.label("locked_until"))
        .outerjoin(seen, seen.c.user_id == User.id)
        .where(User.is_system.is_(False))
        .order_by(User.id)
    )
    if not include_deleted:
        query = query.where(User.deleted_at.is_(None))
    rows = (await conn.execute(query)).all()
    return [
        UserRow(r.id, r.username, r.display_name, r.is_admin, _status(r, now), r.created_at, r.seen)
        for r in rows
    ]


async def user_details(
    conn: AsyncConnection, username: str, now: datetime, *, lockout_limit: int
) -> dict[str, Any] | None:
    locked_until, failures = account_budget(lockout_limit, now)
    row = (
        await conn.execute(
            select(User, locked_until.label("locked_until"), failures.label("failed_logins")).where(
                User.username == username, User.deleted_at.is_(None), User.is_system.is_(False)
            )
        )
    ).one_or_none()
    if row is None:
        return None

    async def count(query: Any) -> int:
        return int(await conn.scalar(query) or 0)

    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "is_admin": row.is_admin,
        "status": _status(row, now),
        "created_at": row.created_at,
        "disabled_at": row.disabled_at,
        "locked_until": row.locked_until,
        "failed_logins": row.failed_logins or 0,
        "sessions": await count(
            select(func.count()).where(Session.user_id == row.id, Session.expires_at > now)
        ),
        "last_seen_at": await conn.scalar(
            select(func.max(Session.last_seen_at)).where(Session.user_id == row.id)
        ),
        "api_tokens": await count(select(func.count()).where(ApiToken.user_id == row.id)),
        "messages": await count(
            select(func.count()).select_from(Message).where(Message.author_id == row.id)
        ),
        "uploads": await count(
            select(func.count()).select_from(StoredFile).where(StoredFile.uploader_id == row.id)
        ),
        "upload_bytes": await count(
            select(func.coalesce(func.sum(StoredFile.size), 0)).where(
                StoredFile.uploader_id == row.id
            )
        ),
    }


async def count_messages_by(conn: AsyncConnection, user_id: int) -> int:
    return int(
        await conn.scalar(
            select(func.count()).select_from(Message).where(Message.author_id == user_id)
        )
        or 0
    )


async def audit_records(
    conn: AsyncConnection,
    *,
    since: datetime | None = None,
    user: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[Any]:
    """The newest ``limit`` matching records, returned oldest first. ``user`` matches the
    actor's name or the target ``user:<name>``."""
    query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if since is not None:
        query = query.where(AuditRecord.at >= since)
    if user:
        name = user.strip().lower()
        query = query.where(
            or_(AuditRecord.actor_name == name, AuditRecord.target == f"user:{name}")
        )
    if action:
        query = query.where(AuditRecord.action == action)
    rows = (await conn.execute(query)).all()
    return list(reversed(rows))
