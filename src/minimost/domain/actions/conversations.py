"""Public channels from settings; joining and leaving them."""

from __future__ import annotations

from sqlalchemy import delete, exists, insert, select

from minimost.db.models import Conversation, Membership, User
from minimost.domain.access import access_conversation
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Forbidden, NotFound
from minimost.domain.events import Event, EventType, member_event, publish_on_commit
from minimost.domain.views import conversation_view, user_view


async def ensure_public_channels(ctx: Ctx, names: list[str]) -> list[str]:
    """Create missing channels named in settings (idempotent; never deletes). New channels
    get every existing account as a member, as the settings channels are everyone's."""
    created = []
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        # Several nodes may start at once on one PostgreSQL: serialise so only one creates.
        await tx.ordered()
        existing = set(
            (
                await tx.conn.execute(
                    select(Conversation.name).where(Conversation.kind == "public")
                )
            ).scalars()
        )
        for name in names:
            if name in existing:
                continue
            conversation_id = (
                await tx.conn.execute(
                    insert(Conversation)
                    .values(kind="public", name=name, topic="", created_at=now)
                    .returning(Conversation.id)
                )
            ).scalar_one()
            users = (
                (await tx.conn.execute(select(User.id).where(User.deleted_at.is_(None))))
                .scalars()
                .all()
            )
            if users:
                await tx.conn.execute(
                    insert(Membership),
                    [
                        {
                            "conversation_id": conversation_id,
                            "user_id": uid,
                            "role": "member",
                            "joined_at": now,
                            "hidden": False,
                            "muted": False,
                        }
                        for uid in users
                    ],
                )
            row = (
                await tx.conn.execute(
                    select(Conversation).where(Conversation.id == conversation_id)
                )
            ).one()
            await publish_on_commit(
                tx,
                ctx.publisher,
                Event(
                    EventType.CONVERSATION_CREATED,
                    conversation_view(row),
                    conversation_id=conversation_id,
                ),
                now,
            )
            created.append(name)
    return created


async def join(ctx: Ctx, actor: Actor, conversation_id: int, user_id: int) -> bool:
    """Join a public channel yourself. Returns False when already a member."""
    if user_id != actor.id:
        # Adding other people is the private-channel invitation flow.
        raise Forbidden("you can only add yourself to a public channel")
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        row = await access_conversation(tx.conn, actor, conversation_id)
        if row.kind != "public" or row.archived_at is not None:
            raise Forbidden("this conversation cannot be joined")
        if row.is_member:
            return False
        await tx.conn.execute(
            insert(Membership).values(
                conversation_id=conversation_id, user_id=actor.id, role="member",
                joined_at=now, hidden=False, muted=False,
            )
        )  # fmt: skip
        await publish_on_commit(
            tx,
            ctx.publisher,
            member_event(
                EventType.MEMBER_ADDED,
                conversation_id,
                user_view(actor.id, actor.username, actor.display_name),
            ),
            now,
        )
    return True


async def leave(ctx: Ctx, actor: Actor, conversation_id: int, user_id: int) -> None:
    if user_id != actor.id:
        raise Forbidden("you can only remove yourself here")
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        row = await access_conversation(tx.conn, actor, conversation_id)
        member = await tx.conn.scalar(
            select(
                exists().where(
                    Membership.conversation_id == conversation_id, Membership.user_id == actor.id
                )
            )
        )
        if not member or not row.is_member:
            raise NotFound("not a member")
        await tx.conn.execute(
            delete(Membership).where(
                Membership.conversation_id == conversation_id, Membership.user_id == actor.id
            )
        )
        await publish_on_commit(
            tx,
            ctx.publisher,
            member_event(
                EventType.MEMBER_REMOVED,
                conversation_id,
                user_view(actor.id, actor.username, actor.display_name),
            ),
            now,
        )
