"""The one read gate. Every read of a conversation or message passes through here.

Rule (``can_read``): public conversations are readable by every signed-in user; private
channels and DMs only by their members. Anything else, including "does not exist", is the same
``NotFound``, so a caller can never learn that a conversation it may not read exists.
Live delivery and replay follow the same rule through ``readable_conversation_ids`` (the
conversations a user receives events for are the ones they are a member of; a non-member of a
public channel can read it but is not subscribed to it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from minimost.db.models import Conversation, Membership, Message

from .context import Actor
from .errors import NotFound

# The conversation fields every access check returns.
_CONVERSATION_COLUMNS = (
    Conversation.id,
    Conversation.kind,
    Conversation.name,
    Conversation.topic,
    Conversation.created_at,
    Conversation.archived_at,
    Conversation.created_by,
)

# Built once: composing a select costs as much CPU as executing it, on the hottest path.
_CONVERSATION_FOR_USER = (
    select(
        *_CONVERSATION_COLUMNS,
        (Membership.user_id.is_not(None)).label("is_member"),
    )
    .outerjoin(
        Membership,
        (Membership.conversation_id == Conversation.id)
        & (Membership.user_id == bindparam("user_id")),
    )
    .where(Conversation.id == bindparam("conversation_id"))
)


async def access_conversation(conn: AsyncConnection, actor: Actor, conversation_id: int) -> Any:
    """Return the conversation row with ``is_member``; NotFound unless ``actor`` can read it."""
    row = (
        await conn.execute(
            _CONVERSATION_FOR_USER, {"user_id": actor.id, "conversation_id": conversation_id}
        )
    ).one_or_none()
    if row is None or not can_read(row.kind, bool(row.is_member)):
        raise NotFound("conversation not found")
    return row


def can_read(kind: str, is_member: bool) -> bool:
    return kind == "public" or is_member


def readable_clause(user_id: int) -> ColumnElement[bool]:
    """``can_read`` as SQL over ``Conversation`` (for list queries: mentions, search)."""
    return or_(
        Conversation.kind == "public",
        exists().where(
            Membership.conversation_id == Conversation.id, Membership.user_id == user_id
        ),
    )


async def access_message(conn: AsyncConnection, actor: Actor, message_id: int) -> Any:
    """Return ``(id, conversation_id, author_id, deleted_at)``; NotFound unless readable."""
    row = (
        await conn.execute(
            select(
                Message.id, Message.conversation_id, Message.author_id, Message.deleted_at
            ).where(Message.id == message_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("message not found")
    try:
        await access_conversation(conn, actor, row.conversation_id)
    except NotFound:
        raise NotFound("message not found") from None
    return row


async def readable_conversation_ids(conn: AsyncConnection, user_id: int) -> set[int]:
    """Conversations whose events ``user_id`` receives (live and on replay): memberships."""
    result = await conn.execute(
        select(Membership.conversation_id).where(Membership.user_id == user_id)
    )
    return {int(cid) for cid in result.scalars()}


# Each conversation once per matching member among the users (or once with NULL).
_CONVERSATIONS_FOR_USERS = (
    select(
        *_CONVERSATION_COLUMNS,
        Membership.user_id.label("member_id"),
    )
    .outerjoin(
        Membership,
        (Membership.conversation_id == Conversation.id)
        & Membership.user_id.in_(bindparam("user_ids", expanding=True)),
    )
    .where(Conversation.id.in_(bindparam("conversation_ids", expanding=True)))
)


async def access_conversations(
    conn: AsyncConnection, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], Any]:
    """Batch form of ``access_conversation`` for ``{(user_id, conversation_id)}``: one query,
    same rule. Pairs the user may not read are absent from the result."""
    if not pairs:
        return {}
    user_ids = {user for user, _ in pairs}
    conversation_ids = {conv for _, conv in pairs}
    rows = (
        await conn.execute(
            _CONVERSATIONS_FOR_USERS,
            {"user_ids": list(user_ids), "conversation_ids": list(conversation_ids)},
        )
    ).all()
    members = {(row.member_id, row.id) for row in rows if row.member_id is not None}
    found: dict[tuple[int, int], Any] = {}
    by_id = {row.id: row for row in rows}
    for user, conv in pairs:
        row = by_id.get(conv)
        is_member = (user, conv) in members
        if row is not None and can_read(row.kind, is_member):
            found[(user, conv)] = _WithMembership(row, is_member)
    return found


class _WithMembership:
    """A conversation row plus ``is_member``, shaped like ``access_conversation``'s row."""

    __slots__ = ("_row", "is_member")

    def __init__(self, row: Any, is_member: bool) -> None:
        self._row = row
        self.is_member = is_member

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)
