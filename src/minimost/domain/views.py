"""JSON-ready views shared by API responses and event payloads (one shape, two uses)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, select
from sqlalchemy.orm import aliased

from minimost.db.models import Conversation, Message, User

Author = aliased(User)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_view(user_id: int, username: str, display_name: str) -> dict[str, Any]:
    return {"id": user_id, "username": username, "display_name": display_name}


def message_select() -> Any:
    """Columns ``message_view`` needs: the message and its author."""
    return select(
        Message.id,
        Message.conversation_id,
        Message.client_id,
        Message.body_md,
        Message.body_html,
        Message.created_at,
        Message.edited_at,
        Message.deleted_at,
        Message.mention_ids,
        Message.mention_all,
        Message.author_id,
        Author.username.label("author_username"),
        Author.display_name.label("author_display_name"),
    ).outerjoin(Author, Author.id == Message.author_id)


def message_payload(
    *,
    message_id: int,
    conversation_id: int,
    author: dict[str, Any] | None,
    text: str,
    html: str,
    created_at: datetime,
    edited_at: datetime | None = None,
    deleted_at: datetime | None = None,
    client_id: str | None = None,
    mentions: list[int] | None = None,
    mention_all: str | None = None,
) -> dict[str, Any]:
    """The message as the API and the socket show it (the wire contract, in one place)."""
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "author": author,
        "text": text,
        "html": html,
        "created_at": iso(created_at),
        "edited_at": iso(edited_at),
        "deleted_at": iso(deleted_at),
        "client_id": client_id,
        "mentions": mentions or [],
        "mention_all": mention_all,
    }


def message_view(row: Row[Any]) -> dict[str, Any]:
    author = (
        user_view(row.author_id, row.author_username, row.author_display_name)
        if row.author_id is not None
        else None
    )
    return message_payload(
        message_id=row.id,
        conversation_id=row.conversation_id,
        author=author,
        text=row.body_md,
        html=row.body_html,
        created_at=row.created_at,
        edited_at=row.edited_at,
        deleted_at=row.deleted_at,
        client_id=row.client_id,
        mentions=orjson.loads(row.mention_ids) if row.mention_ids != "[]" else [],
        mention_all=row.mention_all,
    )


def conversation_view(row: Row[Any] | Conversation) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "name": row.name,
        "topic": row.topic,
        "created_at": iso(row.created_at),
        "archived": row.archived_at is not None,
        "created_by": row.created_by,
    }
