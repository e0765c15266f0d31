"""A conversation's pinned messages, newest pin first."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import aliased

from minimost.db.engine import Database
from minimost.db.models import Message, Pin, User
from minimost.domain.access import access_conversation
from minimost.domain.context import Actor
from minimost.domain.queries.enrich import enrich
from minimost.domain.views import iso, message_select, message_view, user_view

# The panel shows the newest ones; a conversation with more pins than this is an outlier.
MAX_PINS = 200
_Pinner = aliased(User)


async def list_pins(db: Database, actor: Actor, conversation_id: int) -> list[dict[str, Any]]:
    """``[{message, pinned_by, pinned_at}]``; ``NotFound`` unless ``actor`` may read it."""
    async with db.read() as conn:
        await access_conversation(conn, actor, conversation_id)
        query = (
            message_select()
            .add_columns(
                Pin.pinned_at,
                Pin.pinned_by,
                _Pinner.username.label("pinner_username"),
                _Pinner.display_name.label("pinner_display_name"),
                _Pinner.color.label("pinner_color"),
                _Pinner.avatar_sha256.label("pinner_avatar_sha256"),
            )
            .join(Pin, Pin.message_id == Message.id)
            .outerjoin(_Pinner, _Pinner.id == Pin.pinned_by)
            .where(Pin.conversation_id == conversation_id)
            .order_by(Pin.pinned_at.desc(), Pin.message_id.desc())
            .limit(MAX_PINS)
        )
        rows = (await conn.execute(query)).all()
        views = [message_view(row) for row in rows]
        await enrich(conn, views)
    return [
        {
            "message": view,
            "pinned_by": None
            if row.pinned_by is None
            else user_view(
                row.pinned_by,
                row.pinner_username,
                row.pinner_display_name,
                row.pinner_color,
                row.pinner_avatar_sha256,
            ),
            "pinned_at": iso(row.pinned_at),
        }
        for row, view in zip(rows, views, strict=True)
    ]
