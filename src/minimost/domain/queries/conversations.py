"""Conversation lists and single conversations, through the access gate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from minimost.db.engine import Database
from minimost.db.models import Conversation, Membership
from minimost.domain.access import access_conversation
from minimost.domain.context import Actor
from minimost.domain.views import conversation_view


async def list_for(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The conversations the actor is a member of, public channels first, then by name."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(Conversation)
                .join(Membership, Membership.conversation_id == Conversation.id)
                .where(Membership.user_id == actor.id, Conversation.archived_at.is_(None))
                .order_by(Conversation.kind.desc(), Conversation.name, Conversation.id)
            )
        ).all()
    return [{**conversation_view(row), "is_member": True} for row in rows]


async def get(db: Database, actor: Actor, conversation_id: int) -> dict[str, Any]:
    async with db.read() as conn:
        row = await access_conversation(conn, actor, conversation_id)
    return {**conversation_view(row), "is_member": bool(row.is_member)}
