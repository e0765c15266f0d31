"""Send, edit and delete messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from minimost.db.models import Message
from minimost.domain.access import access_conversation, access_message
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Conflict, Forbidden, Invalid, NotFound
from minimost.domain.events import Event, EventType, publish_on_commit
from minimost.domain.render import render_markdown
from minimost.domain.views import iso, message_select, message_view

MAX_TEXT = 10_000


def clean_text(text: str) -> str:
    text = text.rstrip()
    if not text.strip():
        raise Invalid("message is empty", fields={"text": "must not be empty"})
    if len(text) > MAX_TEXT:
        raise Invalid("message too long", fields={"text": f"at most {MAX_TEXT} characters"})
    return text


async def _existing_by_client_id(conn: Any, actor: Actor, client_id: str) -> Any:
    return (
        await conn.execute(
            message_select().where(Message.author_id == actor.id, Message.client_id == client_id)
        )
    ).one_or_none()


async def send_message(
    ctx: Ctx, actor: Actor, conversation_id: int, text: str, client_id: str | None
) -> tuple[dict[str, Any], bool]:
    """Post a message. Idempotent by ``client_id``: a retry returns ``(original, False)``."""
    text = clean_text(text)
    html = render_markdown(text)  # CPU work stays outside the write transaction
    now = ctx.clock.now()
    try:
        async with ctx.db.write() as tx:
            conversation = await access_conversation(tx.conn, actor, conversation_id)
            if client_id is not None:
                existing = await _existing_by_client_id(tx.conn, actor, client_id)
                if existing is not None:
                    return _replayed(existing, conversation_id), False
            if not conversation.is_member:
                raise Forbidden("join this channel to post in it", code="not_a_member")
            if conversation.archived_at is not None:
                raise Forbidden("this conversation is archived", code="archived")
            await tx.ordered()  # message ids in commit order, like event ids
            message_id = (
                await tx.conn.execute(
                    insert(Message)
                    .values(
                        conversation_id=conversation_id,
                        author_id=actor.id,
                        client_id=client_id,
                        body_md=text,
                        body_html=html,
                        created_at=now,
                    )
                    .returning(Message.id)
                )
            ).scalar_one()
            view = {
                "id": message_id,
                "conversation_id": conversation_id,
                "author": {
                    "id": actor.id,
                    "username": actor.username,
                    "display_name": actor.display_name,
                },
                "text": text,
                "html": html,
                "created_at": iso(now),
                "edited_at": None,
                "deleted_at": None,
                "client_id": client_id,
            }
            await publish_on_commit(
                tx,
                ctx.publisher,
                Event(EventType.MESSAGE_CREATED, view, conversation_id=conversation_id),
                now,
            )
    except IntegrityError:
        # A concurrent retry with the same client_id committed first (PostgreSQL).
        if client_id is None:
            raise
        async with ctx.db.read() as conn:
            existing = await _existing_by_client_id(conn, actor, client_id)
        if existing is None:
            raise
        return _replayed(existing, conversation_id), False
    return view, True


def _replayed(row: Any, conversation_id: int) -> dict[str, Any]:
    if row.conversation_id != conversation_id:
        raise Conflict("client_id was already used for another message", code="client_id_reused")
    return message_view(row)


async def _own_live_message(tx: Any, actor: Actor, message_id: int) -> Any:
    row = await access_message(tx.conn, actor, message_id)
    if row.deleted_at is not None:
        raise NotFound("message not found")
    if row.author_id != actor.id:
        raise Forbidden("you can only change your own messages")
    return row


async def edit_message(ctx: Ctx, actor: Actor, message_id: int, text: str) -> dict[str, Any]:
    text = clean_text(text)
    html = render_markdown(text)
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        row = await _own_live_message(tx, actor, message_id)
        await tx.conn.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(body_md=text, body_html=html, edited_at=now)
        )
        view = message_view(
            (await tx.conn.execute(message_select().where(Message.id == message_id))).one()
        )
        await publish_on_commit(
            tx,
            ctx.publisher,
            Event(EventType.MESSAGE_UPDATED, view, conversation_id=row.conversation_id),
            now,
        )
    return view


async def delete_message(ctx: Ctx, actor: Actor, message_id: int) -> None:
    """Tombstone: the row stays (ids and order stay stable) but the text is gone for good."""
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        row = await access_message(tx.conn, actor, message_id)
        if row.deleted_at is not None:
            raise NotFound("message not found")
        if row.author_id != actor.id and not actor.is_admin:
            raise Forbidden("you can only delete your own messages")
        await tx.conn.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(body_md="", body_html="", deleted_at=now)
        )
        await publish_on_commit(
            tx,
            ctx.publisher,
            Event(
                EventType.MESSAGE_DELETED,
                {"id": message_id, "conversation_id": row.conversation_id},
                conversation_id=row.conversation_id,
            ),
            now,
        )
