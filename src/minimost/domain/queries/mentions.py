"""The Mentions view: messages that mention you, newest first, where you can still read."""

from __future__ import annotations

from minimost.db.engine import Database
from minimost.db.models import Conversation, Mention, Message
from minimost.domain.access import readable_clause
from minimost.domain.context import Actor
from minimost.domain.queries.enrich import enrich
from minimost.domain.views import message_select, message_view
from minimost.wire.models import MessageOut

MAX_PAGE = 100


async def mentions_of(
    db: Database, actor: Actor, *, before: int | None = None, limit: int = 30
) -> tuple[list[MessageOut], bool]:
    limit = max(1, min(limit, MAX_PAGE))
    query = (
        message_select()
        .join(Mention, Mention.message_id == Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Mention.user_id == actor.id,
            Message.deleted_at.is_(None),
            readable_clause(actor.id),
        )
        .order_by(Message.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(Message.id < before)
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
        views = [message_view(r) for r in rows[:limit]]
        await enrich(conn, views)
    return views, len(rows) > limit
