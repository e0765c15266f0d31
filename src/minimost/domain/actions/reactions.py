"""Emoji reactions: one person's emoji on one message, toggled on and off.

Both directions are idempotent (adding what you already added, or removing what is not
there, returns the current state and publishes nothing), so a client may retry freely. The
events are small deltas (``{message_id, conversation_id, emoji, user_id}``): clients apply
them as set operations, which makes a replayed or doubled event harmless.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from minimost.db.engine import Tx
from minimost.db.models import Message, Reaction
from minimost.domain.access import access_conversation
from minimost.domain.context import Actor, Ctx
from minimost.domain.emoji import canonical_emoji
from minimost.domain.errors import Conflict, Forbidden, NotFound
from minimost.domain.events import EventType, event, publish_on_commit
from minimost.wire.events import ReactionChange

# Distinct emoji on one message: a bound on the row under it and on what a client renders.
MAX_DISTINCT_EMOJI = 50


async def add_reaction(ctx: Ctx, actor: Actor, message_id: int, emoji: str) -> list[dict[str, Any]]:
    """React with ``emoji``; returns the message's reactions afterwards."""
    return await _toggle(ctx, actor, message_id, emoji, add=True)


async def remove_reaction(
    ctx: Ctx, actor: Actor, message_id: int, emoji: str
) -> list[dict[str, Any]]:
    """Take your ``emoji`` back; returns the message's reactions afterwards."""
    return await _toggle(ctx, actor, message_id, emoji, add=False)


async def _toggle(
    ctx: Ctx, actor: Actor, message_id: int, emoji: str, *, add: bool
) -> list[dict[str, Any]]:
    emoji = canonical_emoji(emoji)  # says nothing about the message: checked first
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        conversation_id = await member_live_message(tx, actor, message_id)
        # Serialise reaction writers (PostgreSQL; SQLite has one writer anyway), so the
        # "already there?" and "how many emoji?" reads below stay true until commit.
        await tx.ordered()
        rows = (
            await tx.conn.execute(
                select(Reaction.emoji, Reaction.user_id).where(Reaction.message_id == message_id)
            )
        ).all()
        mine = any(r.emoji == emoji and r.user_id == actor.id for r in rows)
        if add and not mine:
            if emoji not in {r.emoji for r in rows} and (
                len({r.emoji for r in rows}) >= MAX_DISTINCT_EMOJI
            ):
                raise Conflict(
                    f"a message can have at most {MAX_DISTINCT_EMOJI} different emoji",
                    code="too_many_reactions",
                )
            await tx.conn.execute(
                insert(Reaction).values(
                    message_id=message_id, user_id=actor.id, emoji=emoji, created_at=now
                )
            )
        elif not add and mine:
            await tx.conn.execute(
                delete(Reaction).where(
                    Reaction.message_id == message_id,
                    Reaction.user_id == actor.id,
                    Reaction.emoji == emoji,
                )
            )
        else:
            return await reactions_of(tx, message_id)  # nothing changed: no event
        await publish_on_commit(
            tx,
            ctx.publisher,
            event(
                EventType.REACTION_ADDED if add else EventType.REACTION_REMOVED,
                ReactionChange.model_construct(
                    message_id=message_id,
                    conversation_id=conversation_id,
                    emoji=emoji,
                    user_id=actor.id,
                ),
            ),
            now,
        )
        return await reactions_of(tx, message_id)


async def member_live_message(tx: Tx, actor: Actor, message_id: int) -> int:
    """The conversation of a live message that ``actor`` may act on (react, pin): readable
    (else ``NotFound``, like a missing one), a member (public channels: join first) and not
    archived."""
    row = (
        await tx.conn.execute(
            select(Message.conversation_id, Message.deleted_at).where(Message.id == message_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("message not found")
    try:
        conversation = await access_conversation(tx.conn, actor, row.conversation_id)
    except NotFound:
        raise NotFound("message not found") from None
    if row.deleted_at is not None:
        raise NotFound("message not found")
    if not conversation.is_member:
        raise Forbidden("join this channel first", code="not_a_member")
    if conversation.archived_at is not None:
        raise Forbidden("this conversation is archived", code="archived")
    return int(row.conversation_id)


async def reactions_of(tx: Tx, message_id: int) -> list[dict[str, Any]]:
    """The wire form (as ``queries.enrich``): emoji in first-use order, people in order."""
    rows = (
        await tx.conn.execute(
            select(Reaction.emoji, Reaction.user_id)
            .where(Reaction.message_id == message_id)
            .order_by(Reaction.created_at, Reaction.user_id)
        )
    ).all()
    grouped: dict[str, list[int]] = {}
    for row in rows:
        grouped.setdefault(row.emoji, []).append(row.user_id)
    return [{"emoji": e, "count": len(users), "users": users} for e, users in grouped.items()]
