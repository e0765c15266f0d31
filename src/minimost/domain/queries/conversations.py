"""Conversation lists, single conversations and member lists, through the access gate.

The sidebar list is two queries however many conversations a user is in: one for the
conversations with their per-user counts (correlated subqueries that walk the
``(conversation_id, id)`` index from the read position), one for the members of the DMs
(which are named after their people).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from minimost.db.engine import Database
from minimost.db.models import Conversation, Membership, Mention, Message, User
from minimost.domain.access import access_conversation
from minimost.domain.context import Actor
from minimost.domain.views import conversation_fields, user_view
from minimost.wire.models import ConversationOut, UserOut

_READ_FROM = func.coalesce(Membership.last_read_message_id, 0)

_LAST_MESSAGE = (
    select(func.max(Message.id))
    .where(Message.conversation_id == Conversation.id)
    .correlate(Conversation)
    .scalar_subquery()
)
_UNREAD = (
    select(func.count())
    .select_from(Message)
    .where(
        Message.conversation_id == Membership.conversation_id,
        Message.id > _READ_FROM,
        Message.deleted_at.is_(None),
        or_(Message.author_id.is_(None), Message.author_id != Membership.user_id),
    )
    .correlate(Membership)
    .scalar_subquery()
)
_MENTIONED = (
    select(func.count())
    .select_from(Mention)
    .join(Message, Message.id == Mention.message_id)
    .where(
        Mention.user_id == Membership.user_id,
        Mention.conversation_id == Membership.conversation_id,
        Mention.message_id > _READ_FROM,
        Message.deleted_at.is_(None),
    )
    .correlate(Membership)
    .scalar_subquery()
)

_MINE = (
    select(
        Conversation,
        Membership.last_read_message_id,
        Membership.hidden,
        Membership.muted,
        Membership.role,
        _LAST_MESSAGE.label("last_message_id"),
        _UNREAD.label("unread_count"),
        _MENTIONED.label("mention_count"),
    )
    .join(Membership, Membership.conversation_id == Conversation.id)
    .where(Membership.user_id == bindparam("me"))
)

_DM_MEMBERS = (
    select(
        Membership.conversation_id,
        User.id,
        User.username,
        User.display_name,
        User.color,
        User.avatar_sha256,
    )
    .join(User, User.id == Membership.user_id)
    .where(
        Membership.conversation_id.in_(
            select(Membership.conversation_id)
            .join(Conversation, Conversation.id == Membership.conversation_id)
            .where(Membership.user_id == bindparam("me"), Conversation.kind == "dm")
        )
    )
    .order_by(Membership.conversation_id, User.username)
)

_SORT = {"public": 0, "private": 1, "dm": 2}


def member_view(row: Any, members: list[UserOut] | None = None) -> ConversationOut:
    """A conversation as one member sees it: the shared fields plus their own."""
    return ConversationOut.model_construct(
        **conversation_fields(row),
        is_member=True,
        members=members or [],
        unread_count=int(row.unread_count or 0),
        mention_count=int(row.mention_count or 0),
        last_read_message_id=row.last_read_message_id,
        last_message_id=row.last_message_id,
        hidden=bool(row.hidden),
        muted=bool(row.muted),
    )


async def _dm_members(
    conn: AsyncConnection, user_id: int, only: int | None = None
) -> dict[int, list[UserOut]]:
    query = _DM_MEMBERS
    if only is not None:
        query = query.where(Membership.conversation_id == only)
    members: dict[int, list[UserOut]] = {}
    for row in await conn.execute(query, {"me": user_id}):
        members.setdefault(row.conversation_id, []).append(
            user_view(row.id, row.username, row.display_name, row.color, row.avatar_sha256)
        )
    return members


async def list_for(db: Database, actor: Actor) -> list[ConversationOut]:
    """Every conversation the actor is in (hidden DMs flagged, archived ones left out)."""
    async with db.read() as conn:
        rows = (
            await conn.execute(_MINE.where(Conversation.archived_at.is_(None)), {"me": actor.id})
        ).all()
        members = await _dm_members(conn, actor.id)
    ordered = sorted(rows, key=lambda r: (_SORT.get(r.kind, 3), r.name or "", r.id))
    return [member_view(row, members.get(row.id)) for row in ordered]


async def view_for(conn: AsyncConnection, user_id: int, conversation_id: int) -> ConversationOut:
    """One conversation with ``user_id``'s own fields (``user_id`` must be a member)."""
    row = (
        await conn.execute(_MINE.where(Conversation.id == conversation_id), {"me": user_id})
    ).one()
    members = await _dm_members(conn, user_id, conversation_id) if row.kind == "dm" else {}
    return member_view(row, members.get(conversation_id))


async def get(db: Database, actor: Actor, conversation_id: int) -> ConversationOut:
    async with db.read() as conn:
        row = await access_conversation(conn, actor, conversation_id)
        if row.is_member:
            return await view_for(conn, actor.id, conversation_id)
    return ConversationOut.model_construct(**conversation_fields(row), is_member=False, members=[])


async def counts(conn: AsyncConnection, user_id: int, conversation_id: int) -> dict[str, Any]:
    row = (
        await conn.execute(
            select(
                Membership.last_read_message_id,
                _UNREAD.label("unread_count"),
                _MENTIONED.label("mention_count"),
            ).where(Membership.user_id == user_id, Membership.conversation_id == conversation_id)
        )
    ).one()
    return {
        "conversation_id": conversation_id,
        "last_read_message_id": row.last_read_message_id,
        "unread_count": int(row.unread_count),
        "mention_count": int(row.mention_count),
    }


async def members(db: Database, actor: Actor, conversation_id: int) -> list[dict[str, Any]]:
    """The members, with role and read position (read receipts), by username."""
    async with db.read() as conn:
        await access_conversation(conn, actor, conversation_id)
        rows = (
            await conn.execute(
                select(
                    User.id,
                    User.username,
                    User.display_name,
                    User.color,
                    User.avatar_sha256,
                    Membership.role,
                    Membership.last_read_message_id,
                )
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.conversation_id == conversation_id)
                .order_by(User.username)
            )
        ).all()
    return [
        {
            **dict(user_view(row.id, row.username, row.display_name, row.color, row.avatar_sha256)),
            "role": row.role,
            "last_read_message_id": row.last_read_message_id,
        }
        for row in rows
    ]


async def browse(db: Database, actor: Actor, q: str = "") -> list[dict[str, Any]]:
    """Public channels, joined or not, for the channel browser (readable by everyone)."""
    member_count = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    joined = (
        select(Membership.user_id)
        .where(and_(Membership.conversation_id == Conversation.id, Membership.user_id == actor.id))
        .correlate(Conversation)
        .exists()
    )
    query = (
        select(Conversation, member_count.label("member_count"), joined.label("joined"))
        .where(Conversation.kind == "public", Conversation.archived_at.is_(None))
        .order_by(Conversation.name)
    )
    if q:
        query = query.where(Conversation.name.contains(q.lower(), autoescape=True))
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            **conversation_fields(row),
            "is_member": bool(row.joined),
            "members": [],
            "member_count": int(row.member_count),
        }
        for row in rows
    ]
