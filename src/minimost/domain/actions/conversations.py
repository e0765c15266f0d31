"""Creating conversations (settings channels, private channels) and changing them.

Joining, inviting and leaving are in ``members``; DMs in ``dms``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from minimost.db.engine import Tx
from minimost.db.models import Conversation, Membership, User
from minimost.domain.access import access_conversation
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Forbidden, Invalid
from minimost.domain.events import EventType, event, publish_on_commit
from minimost.domain.text import check as check_characters
from minimost.domain.views import conversation_view

from . import reads
from .members import can_manage, insert_members, real_users


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
                (
                    await tx.conn.execute(
                        select(User.id).where(User.deleted_at.is_(None), User.is_system.is_(False))
                    )
                )
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
            await _announce(ctx, tx, EventType.CONVERSATION_CREATED, conversation_id, now)
            created.append(name)
    return created


async def _announce(
    ctx: Ctx, tx: Tx, type_: EventType, conversation_id: int, now: datetime
) -> None:
    """Publish the conversation as it now is in ``tx`` (created or updated) on commit."""
    row = (
        await tx.conn.execute(select(Conversation).where(Conversation.id == conversation_id))
    ).one()
    await publish_on_commit(tx, ctx.publisher, event(type_, conversation_view(row)), now)


MAX_NAME = 64
MAX_TOPIC = 250


def clean_name(raw: str) -> str:
    name = " ".join(check_characters("name", raw).split())
    if not 1 <= len(name) <= MAX_NAME:
        raise Invalid("invalid name", fields={"name": f"1 to {MAX_NAME} characters"})
    return name


def clean_topic(raw: str) -> str:
    topic = " ".join(check_characters("topic", raw).split())
    if len(topic) > MAX_TOPIC:
        raise Invalid("topic too long", fields={"topic": f"at most {MAX_TOPIC} characters"})
    return topic


async def create_private(
    ctx: Ctx, actor: Actor, *, name: str, topic: str, member_ids: list[int]
) -> int:
    """A private channel with the creator and ``member_ids``. Returns its id."""
    name, topic = clean_name(name), clean_topic(topic)
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        users = await real_users(tx, {*member_ids, actor.id})
        conversation_id = (
            await tx.conn.execute(
                insert(Conversation)
                .values(kind="private", name=name, topic=topic, created_by=actor.id, created_at=now)
                .returning(Conversation.id)
            )
        ).scalar_one()
        conversation = (
            await tx.conn.execute(select(Conversation).where(Conversation.id == conversation_id))
        ).one()
        # member.added first: it subscribes each member's sockets, which then receive
        # conversation.created like any later event of the channel.
        await insert_members(ctx, tx, conversation, users, now, role_of={actor.id: "admin"})
        await publish_on_commit(
            tx,
            ctx.publisher,
            event(EventType.CONVERSATION_CREATED, conversation_view(conversation)),
            now,
        )
    return int(conversation_id)


async def update_conversation(
    ctx: Ctx,
    actor: Actor,
    conversation_id: int,
    *,
    name: str | None = None,
    topic: str | None = None,
    hidden: bool | None = None,
    muted: bool | None = None,
) -> None:
    """Change a conversation: rename a private channel or set a topic (see
    ``members.can_manage``), and hide or mute it for yourself (``reads.flag_changes``).

    All or nothing: every requested change is authorized before any is written, and all
    are written, with their events, in one transaction.
    """
    changes: dict[str, str] = {}
    if name is not None:
        changes["name"] = clean_name(name)
    if topic is not None:
        changes["topic"] = clean_topic(topic)
    if not changes and hidden is None and muted is None:
        return
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        access = await access_conversation(tx.conn, actor, conversation_id)
        if changes:
            await _authorize_changes(tx, actor, access, changes)
        flags = reads.flag_changes(access, hidden=hidden, muted=muted)
        if changes:
            await tx.conn.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(**changes)
            )
            await _announce(ctx, tx, EventType.CONVERSATION_UPDATED, conversation_id, now)
        await reads.write_flags(ctx, tx, actor, conversation_id, flags, now)


async def _authorize_changes(tx: Tx, actor: Actor, access: Any, changes: dict[str, str]) -> None:
    if access.kind == "dm":
        raise Forbidden("DMs have no name or topic", code="dm_members_fixed")
    if access.archived_at is not None:
        raise Forbidden("this conversation is archived", code="archived")
    if access.kind == "public":
        # Settings own public names; admins may set the topic.
        if "name" in changes:
            raise Forbidden("public channels are named in settings.json")
        if not actor.is_admin:
            raise Forbidden("only an admin can change a public channel's topic")
    elif not await can_manage(tx, actor, access):
        raise Forbidden("only the channel's creator or an admin can change it")
