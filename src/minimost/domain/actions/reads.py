"""Your own place in a conversation: read position, hidden, muted (the flags are changed
through ``conversations.update_conversation``, with the rest of a PATCH, in one transaction).

The read position only moves forward. A ``read.updated`` event tells the other members (read
receipts) and your other tabs (unread counts); posting also moves your position, which
clients infer from the ``message.created`` itself (no extra event per send).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from minimost.db.engine import Tx
from minimost.db.models import Membership, Message
from minimost.domain.access import access_conversation
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Forbidden, NotFound
from minimost.domain.events import EventType, event, publish_on_commit
from minimost.domain.queries.conversations import counts
from minimost.wire.events import MembershipUpdated, ReadUpdated


async def mark_read(
    ctx: Ctx, actor: Actor, conversation_id: int, message_id: int
) -> dict[str, Any]:
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        access = await access_conversation(tx.conn, actor, conversation_id)
        if not access.is_member:
            raise Forbidden("join this channel first", code="not_a_member")
        in_conversation = await tx.conn.scalar(
            select(Message.conversation_id).where(Message.id == message_id)
        )
        if in_conversation != conversation_id:
            raise NotFound("message not found")
        moved = await tx.conn.execute(
            update(Membership)
            .where(
                Membership.conversation_id == conversation_id,
                Membership.user_id == actor.id,
                (Membership.last_read_message_id.is_(None))
                | (Membership.last_read_message_id < message_id),
            )
            .values(last_read_message_id=message_id)
        )
        if moved.rowcount:
            await publish_on_commit(
                tx,
                ctx.publisher,
                event(
                    EventType.READ_UPDATED,
                    ReadUpdated.model_construct(
                        conversation_id=conversation_id, user_id=actor.id, message_id=message_id
                    ),
                ),
                now,
            )
        return await counts(tx.conn, actor.id, conversation_id)


def flag_changes(
    access: Any, *, hidden: bool | None = None, muted: bool | None = None
) -> dict[str, bool]:
    """The membership flags to set, or ``Forbidden``: hide a DM or mute any conversation,
    each for yourself and as a member. Checks only; ``write_flags`` writes."""
    changes: dict[str, bool] = {}
    if hidden is None and muted is None:
        return changes
    if not access.is_member:
        raise Forbidden("join this channel first", code="not_a_member")
    if hidden is not None:
        if access.kind != "dm":
            raise Forbidden("only DMs can be hidden: leave the channel instead")
        changes["hidden"] = hidden
    if muted is not None:
        changes["muted"] = muted
    return changes


async def write_flags(
    ctx: Ctx, tx: Tx, actor: Actor, conversation_id: int, changes: dict[str, bool], now: datetime
) -> None:
    """Set ``changes`` (from ``flag_changes``) in ``tx``; your other tabs follow."""
    if not changes:
        return
    await tx.conn.execute(
        update(Membership)
        .where(Membership.conversation_id == conversation_id, Membership.user_id == actor.id)
        .values(**changes)
    )
    flags = (
        await tx.conn.execute(
            select(Membership.hidden, Membership.muted).where(
                Membership.conversation_id == conversation_id,
                Membership.user_id == actor.id,
            )
        )
    ).one()
    await publish_on_commit(
        tx,
        ctx.publisher,
        event(
            EventType.MEMBERSHIP_UPDATED,
            MembershipUpdated.model_construct(
                conversation_id=conversation_id, hidden=flags.hidden, muted=flags.muted
            ),
            user_id=actor.id,
        ),
        now,
    )
