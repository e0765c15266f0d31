"""Who may fetch a link preview's image: whoever may read its message
(``access.access_message``); a deleted message, or one without an image, is the same
``NotFound`` as a missing id."""

from __future__ import annotations

from sqlalchemy import select

from minimost.db.engine import Database
from minimost.db.models import Message
from minimost.domain.access import access_message
from minimost.domain.context import Actor
from minimost.domain.errors import NotFound


async def readable_preview_image(db: Database, actor: Actor, message_id: int) -> str:
    """The blob digest of the message's preview image."""
    async with db.read() as conn:
        message = await access_message(conn, actor, message_id)
        if message.deleted_at is not None:
            raise NotFound("message not found")
        sha = await conn.scalar(
            select(Message.preview_image_sha256).where(Message.id == message_id)
        )
    if sha is None:
        raise NotFound("no preview image")
    return str(sha)
