"""History pages by keyset on message id (stable under concurrent inserts)."""

from __future__ import annotations

from minimost.db.engine import Database
from minimost.db.models import Message
from minimost.domain.access import access_conversation, access_message
from minimost.domain.context import Actor
from minimost.domain.queries.enrich import current_views, enrich
from minimost.domain.views import message_select, message_view
from minimost.wire.models import MessageOut

MAX_PAGE = 200


async def history(
    db: Database,
    actor: Actor,
    conversation_id: int,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> tuple[list[MessageOut], bool]:
    """A page of messages, oldest first, and whether more exist beyond it.

    ``after`` pages forward (towards newer); otherwise the page ends at ``before`` (or at
    the newest message) and ``has_more`` says whether older ones exist.
    """
    limit = max(1, min(limit, MAX_PAGE))
    async with db.read() as conn:
        await access_conversation(conn, actor, conversation_id)
        query = message_select().where(Message.conversation_id == conversation_id)
        if after is not None:
            query = query.where(Message.id > after)
            if before is not None:
                query = query.where(Message.id < before)
            rows = (await conn.execute(query.order_by(Message.id.asc()).limit(limit + 1))).all()
            views = [message_view(r) for r in rows[:limit]]
        else:
            if before is not None:
                query = query.where(Message.id < before)
            rows = (await conn.execute(query.order_by(Message.id.desc()).limit(limit + 1))).all()
            views = [message_view(r) for r in reversed(rows[:limit])]
        await enrich(conn, views)
    return views, len(rows) > limit


async def get_message(db: Database, actor: Actor, message_id: int) -> MessageOut:
    async with db.read() as conn:
        await access_message(conn, actor, message_id)
        return (await current_views(conn, [message_id]))[0]
