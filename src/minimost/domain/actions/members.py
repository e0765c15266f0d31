"""Who is in a conversation: joining, inviting, leaving, removing.

Rules: a public channel is joined and left by yourself. In a private channel any member adds
people; the creator, a channel admin or a server admin who is a member removes them; anyone
leaves, and the last one out archives it. A DM's people are fixed (start another DM instead;
hide it to get it out of the way).

Every change is a ``member.*`` event to the conversation and to the user: the hub subscribes
or unsubscribes that user's open sockets at once, so a removed member stops receiving the
conversation's events from the next event on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from minimost.db.engine import Tx
from minimost.db.models import Conversation, Membership, Message, User
from minimost.domain import audit
from minimost.domain.access import access_conversation
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Forbidden, Invalid, NotFound
from minimost.domain.events import EventType, event, member_event, publish_many_on_commit
from minimost.domain.views import conversation_view, user_view
from minimost.wire.models import UserOut

MAX_MEMBERS_PER_CALL = 500
DM_FIXED = "dm_members_fixed"


async def real_users(
    tx: Tx, user_ids: Iterable[int], *, allow_system: bool = False
) -> list[UserOut]:
    """The accounts among ``user_ids`` that can be added to conversations, as user views.
    Unknown, deleted or (unless ``allow_system``, for server notices) system ids are an
    error naming them (an id is not a secret)."""
    wanted = sorted(set(user_ids))
    if len(wanted) > MAX_MEMBERS_PER_CALL:
        raise Invalid(
            "too many people at once",
            fields={"members": f"at most {MAX_MEMBERS_PER_CALL}"},
        )
    if not wanted:
        return []
    query = select(User.id, User.username, User.display_name, User.color, User.avatar_sha256).where(
        User.id.in_(wanted), User.deleted_at.is_(None)
    )
    if not allow_system:
        query = query.where(User.is_system.is_(False))
    rows = (await tx.conn.execute(query)).all()
    found = {row.id for row in rows}
    missing = [uid for uid in wanted if uid not in found]
    if missing:
        raise Invalid("unknown user", fields={"members": f"no such user: {missing[0]}"})
    return [
        user_view(row.id, row.username, row.display_name, row.color, row.avatar_sha256)
        for row in rows
    ]


async def insert_members(
    ctx: Ctx,
    tx: Tx,
    conversation: Any,
    users: list[UserOut],
    now: datetime,
    *,
    role_of: dict[int, str] | None = None,
    hidden_for: set[int] | None = None,
) -> None:
    """Add ``users`` (not yet members) and publish one ``member.added`` each.

    New members start with everything already there marked read: joining a busy channel
    should not greet you with thousands of unreads.
    """
    if not users:
        return
    newest = await tx.conn.scalar(
        select(func.max(Message.id)).where(Message.conversation_id == conversation.id)
    )
    role_of = role_of or {}
    hidden_for = hidden_for or set()
    await tx.conn.execute(
        insert(Membership),
        [
            {
                "conversation_id": conversation.id,
                "user_id": user.id,
                "role": role_of.get(user.id, "member"),
                "joined_at": now,
                "last_read_message_id": newest,
                "hidden": user.id in hidden_for,
                "muted": False,
            }
            for user in users
        ],
    )
    view = conversation_view(conversation)
    await publish_many_on_commit(
        tx,
        ctx.publisher,
        [
            member_event(
                EventType.MEMBER_ADDED,
                conversation.id,
                user,
                conversation=view,
                hidden=user.id in hidden_for,
            )
            for user in users
        ],
        now,
    )


async def _conversation_row(tx: Tx, conversation_id: int) -> Any:
    return (
        await tx.conn.execute(select(Conversation).where(Conversation.id == conversation_id))
    ).one()


async def add_member(ctx: Ctx, actor: Actor, conversation_id: int, user_id: int) -> bool:
    """Join a public channel (yourself) or add someone to a private one. False: already in."""
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        access = await access_conversation(tx.conn, actor, conversation_id)
        if access.archived_at is not None:
            raise Forbidden("this conversation is archived", code="archived")
        if access.kind == "dm":
            raise Forbidden("a DM's people are fixed: start a new DM", code=DM_FIXED)
        if access.kind == "public" and user_id != actor.id:
            raise Forbidden("people join public channels themselves")
        if access.kind == "private" and not access.is_member:
            raise NotFound("conversation not found")  # unreachable: access says member
        (user,) = await real_users(tx, [user_id])
        already = await tx.conn.scalar(
            select(Membership.user_id).where(
                Membership.conversation_id == conversation_id, Membership.user_id == user_id
            )
        )
        if already is not None:
            return False
        conversation = await _conversation_row(tx, conversation_id)
        await insert_members(ctx, tx, conversation, [user], now)
        await audit.record(
            tx, at=now, action="member_join" if user_id == actor.id else "member_add",
            outcome="success", actor_id=actor.id, actor_name=actor.username, ip=actor.ip,
            target=f"conversation:{conversation_id}", detail=f"user:{user.username}",
        )  # fmt: skip
    return True


async def remove_member(ctx: Ctx, actor: Actor, conversation_id: int, user_id: int) -> None:
    """Leave (your own id) or remove someone from a private channel (creator/admin)."""
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        access = await access_conversation(tx.conn, actor, conversation_id)
        if access.kind == "dm":
            raise Forbidden("a DM cannot be left: hide it instead", code=DM_FIXED)
        if user_id != actor.id:
            if access.kind != "private":
                raise Forbidden("people leave public channels themselves")
            if not await can_manage(tx, actor, access):
                raise Forbidden("only the channel's creator or an admin can remove people")
        target = (
            await tx.conn.execute(
                select(User.id, User.username, User.display_name, User.color, User.avatar_sha256)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.conversation_id == conversation_id, User.id == user_id)
            )
        ).one_or_none()
        if target is None:
            raise NotFound("not a member")
        await tx.conn.execute(
            delete(Membership).where(
                Membership.conversation_id == conversation_id, Membership.user_id == user_id
            )
        )
        events = [
            member_event(
                EventType.MEMBER_REMOVED,
                conversation_id,
                user_view(
                    target.id,
                    target.username,
                    target.display_name,
                    target.color,
                    target.avatar_sha256,
                ),
            )
        ]
        remaining = await tx.conn.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.conversation_id == conversation_id)
        )
        if access.kind == "private" and remaining == 0:
            await tx.conn.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(archived_at=now)
            )
            conversation = await _conversation_row(tx, conversation_id)
            events.append(event(EventType.CONVERSATION_UPDATED, conversation_view(conversation)))
        await publish_many_on_commit(tx, ctx.publisher, events, now)
        await audit.record(
            tx, at=now, action="member_leave" if user_id == actor.id else "member_remove",
            outcome="success", actor_id=actor.id, actor_name=actor.username, ip=actor.ip,
            target=f"conversation:{conversation_id}", detail=f"user:{target.username}",
        )  # fmt: skip


async def can_manage(tx: Tx, actor: Actor, access: Any) -> bool:
    """Rename, change the topic, remove people: the creator, a channel admin, or a server
    admin, each only as a member (a private channel stays private from admins too)."""
    if not access.is_member:
        return False
    if actor.is_admin or access.created_by == actor.id:
        return True
    role = await tx.conn.scalar(
        select(Membership.role).where(
            Membership.conversation_id == access.id, Membership.user_id == actor.id
        )
    )
    return role == "admin"
