"""Pins: any member of a conversation may pin a live message there, and unpin any pin.

Idempotent both ways (pinning a pinned message, or unpinning one that is not, returns the
message and publishes nothing). Deleting a message drops its pin (``actions.messages``):
clients drop it from the pins panel on ``message.deleted``, no separate event.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from minimost.db.engine import Tx
from minimost.db.models import Pin, User
from minimost.domain.actions.reactions import member_live_message
from minimost.domain.context import Actor, Ctx
from minimost.domain.events import EventType, event, publish_on_commit
from minimost.domain.queries.enrich import current_views
from minimost.domain.views import iso, user_view
from minimost.wire.events import MessagePinned, MessageUnpinned
from minimost.wire.models import MessageOut, UserOut, WireModel


async def pin_message(ctx: Ctx, actor: Actor, message_id: int) -> MessageOut:
    """Pin ``message_id``; returns the message (``pinned: true``)."""
    return await _set_pin(ctx, actor, message_id, pinned=True)


async def unpin_message(ctx: Ctx, actor: Actor, message_id: int) -> MessageOut:
    """Unpin ``message_id``; returns the message (``pinned: false``)."""
    return await _set_pin(ctx, actor, message_id, pinned=False)


async def _set_pin(ctx: Ctx, actor: Actor, message_id: int, *, pinned: bool) -> MessageOut:
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        conversation_id = await member_live_message(tx, actor, message_id)
        await tx.ordered()  # PostgreSQL: the "is it pinned?" read stays true until commit
        was = await tx.conn.scalar(select(Pin.message_id).where(Pin.message_id == message_id))
        if pinned and was is None:
            await tx.conn.execute(
                insert(Pin).values(
                    message_id=message_id,
                    conversation_id=conversation_id,
                    pinned_by=actor.id,
                    pinned_at=now,
                )
            )
            data: WireModel = MessagePinned.model_construct(
                message_id=message_id,
                conversation_id=conversation_id,
                pinned_by=await _user(tx, actor.id),
                pinned_at=iso(now),
            )
            event_type = EventType.MESSAGE_PINNED
        elif not pinned and was is not None:
            await tx.conn.execute(delete(Pin).where(Pin.message_id == message_id))
            data = MessageUnpinned.model_construct(
                message_id=message_id,
                conversation_id=conversation_id,
                unpinned_by=await _user(tx, actor.id),
                unpinned_at=iso(now),
            )
            event_type = EventType.MESSAGE_UNPINNED
        else:
            return await _message(tx, message_id)  # nothing changed: no event
        await publish_on_commit(tx, ctx.publisher, event(event_type, data), now)
        return await _message(tx, message_id)


async def _user(tx: Tx, user_id: int) -> UserOut:
    row = (
        await tx.conn.execute(
            select(User.id, User.username, User.display_name, User.color, User.avatar_sha256).where(
                User.id == user_id
            )
        )
    ).one()
    return user_view(row.id, row.username, row.display_name, row.color, row.avatar_sha256)


async def _message(tx: Tx, message_id: int) -> MessageOut:
    return (await current_views(tx.conn, [message_id]))[0]
