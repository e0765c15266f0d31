"""Who may fetch an attachment or an avatar.

An attachment is readable by whoever can read its message's conversation
(``access.access_message``); one not sent yet only by its uploader. Everything else is the
same ``NotFound`` as a missing id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from minimost.db.engine import Database
from minimost.db.models import StoredFile, User
from minimost.domain.access import access_message
from minimost.domain.context import Actor
from minimost.domain.errors import NotFound

_FILE = select(
    StoredFile.id,
    StoredFile.uploader_id,
    StoredFile.message_id,
    StoredFile.sha256,
    StoredFile.thumbnail_sha256,
    StoredFile.name,
    StoredFile.size,
    StoredFile.content_type,
    StoredFile.is_image,
)


async def readable_file(db: Database, actor: Actor, file_id: int) -> Any:
    async with db.read() as conn:
        row = (await conn.execute(_FILE.where(StoredFile.id == file_id))).one_or_none()
        if row is None:
            raise NotFound("file not found")
        if row.message_id is None:
            if row.uploader_id != actor.id:
                raise NotFound("file not found")
            return row
        try:
            message = await access_message(conn, actor, row.message_id)
        except NotFound:
            raise NotFound("file not found") from None
        if message.deleted_at is not None:
            raise NotFound("file not found")
    return row


async def avatar_of(db: Database, user_id: int) -> str:
    """The avatar blob of an active user; NotFound when they have none."""
    async with db.read() as conn:
        sha = await conn.scalar(
            select(User.avatar_sha256).where(User.id == user_id, User.deleted_at.is_(None))
        )
    if sha is None:
        raise NotFound("no avatar")
    return str(sha)
