"""Build the wire shapes (``minimost.wire.models``) from rows: one shape for the API
response and the event payload alike.

Built with ``model_construct``: the values are our own (rows we wrote, URLs we make), so
validating them again on every send would only cost time; ``tests/contract`` validates what
real runs produce instead."""

from __future__ import annotations

from datetime import datetime
from typing import Any, overload

import orjson
from sqlalchemy import Row, select
from sqlalchemy.orm import aliased

from minimost.db.models import Conversation, Message, StoredFile, User
from minimost.wire.models import (
    ConversationView,
    FileOut,
    MessageOut,
    PreviewOut,
    ReplyOut,
    UserOut,
)

Author = aliased(User)


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: datetime | None) -> str | None: ...
def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def avatar_url(user_id: int, avatar_sha256: str | None) -> str | None:
    """Versioned by content, so browsers may cache it for good and a new avatar is a new URL."""
    if avatar_sha256 is None:
        return None
    return f"/api/v1/users/{user_id}/avatar?v={avatar_sha256[:16]}"


def user_view(
    user_id: int,
    username: str,
    display_name: str,
    color: str | None = None,
    avatar_sha256: str | None = None,
) -> UserOut:
    return UserOut.trusted(
        id=user_id,
        username=username,
        display_name=display_name,
        color=color,
        avatar_url=avatar_url(user_id, avatar_sha256),
    )


def preview_image_url(message_id: int, image_sha256: str | None) -> str | None:
    """Our copy of a link preview's image, versioned by content like avatars."""
    if not image_sha256:
        return None
    return f"/api/v1/messages/{message_id}/preview-image?v={image_sha256[:16]}"


def preview_view(message_id: int, stored: str) -> PreviewOut:
    """``messages.preview`` (JSON, see ``actions.previews``) as the wire shows it: the
    blob digest stays home, ``image_url`` points at the route that serves it."""
    data = orjson.loads(stored)
    return PreviewOut.model_construct(
        url=data.get("url"),
        title=data.get("title"),
        description=data.get("description"),
        image_url=preview_image_url(message_id, data.get("image_sha256")),
        site_name=data.get("site_name"),
    )


_FILE_ALWAYS = frozenset({"id", "name", "size", "content_type", "is_image", "url"})


def file_view(row: Row[Any] | StoredFile) -> FileOut:
    """An attachment as the wire shows it (``files`` rows, see ``models.file``). An event
    leaves out ``width``/``height`` of a non-image and a missing ``thumbnail_url``."""
    present = set(_FILE_ALWAYS)
    if row.is_image:
        present |= {"width", "height"}
    thumbnail = row.thumbnail_sha256 is not None
    if thumbnail:
        present.add("thumbnail_url")
    return FileOut.model_construct(
        present,
        id=row.id,
        name=row.name,
        size=row.size,
        content_type=row.content_type,
        is_image=row.is_image,
        url=f"/api/v1/files/{row.id}",
        thumbnail_url=f"/api/v1/files/{row.id}/thumbnail" if thumbnail else None,
        width=row.width if row.is_image else None,
        height=row.height if row.is_image else None,
    )


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
        Message.reply_to_id,
        Message.preview,
        Message.author_id,
        Author.username.label("author_username"),
        Author.display_name.label("author_display_name"),
        Author.color.label("author_color"),
        Author.avatar_sha256.label("author_avatar_sha256"),
    ).outerjoin(Author, Author.id == Message.author_id)


def message_payload(
    *,
    message_id: int,
    conversation_id: int,
    author: UserOut | None,
    text: str,
    html: str,
    created_at: datetime,
    edited_at: datetime | None = None,
    deleted_at: datetime | None = None,
    client_id: str | None = None,
    mentions: list[int] | None = None,
    mention_all: str | None = None,
    reply_to_id: int | None = None,
    preview: PreviewOut | None = None,
) -> MessageOut:
    """The message as the API and the socket show it (the wire contract, in one place).

    ``reply_to``, ``reactions``, ``pinned`` and ``files`` live in other tables:
    ``queries.enrich`` fills them in for a whole page at once. ``reply_to`` holds the
    original's id until then.
    """
    return MessageOut.trusted(
        id=message_id,
        conversation_id=conversation_id,
        author=author,
        text=text,
        html=html,
        created_at=iso(created_at),
        edited_at=iso(edited_at),
        deleted_at=iso(deleted_at),
        client_id=client_id,
        mentions=mentions or [],
        mention_all=mention_all,
        reply_to=None if reply_to_id is None else ReplyOut.model_construct(id=reply_to_id),
        reactions=[],
        pinned=False,
        files=[],
        preview=preview,
    )


def message_view(row: Row[Any]) -> MessageOut:
    author = (
        user_view(
            row.author_id,
            row.author_username,
            row.author_display_name,
            row.author_color,
            row.author_avatar_sha256,
        )
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
        reply_to_id=row.reply_to_id,
        preview=(
            preview_view(row.id, row.preview) if row.preview and row.deleted_at is None else None
        ),
    )


def conversation_fields(row: Row[Any] | Conversation) -> dict[str, Any]:
    """What every view of a conversation shows (``ConversationView`` and its subclasses)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "name": row.name,
        "topic": row.topic,
        "created_at": iso(row.created_at),
        "archived": row.archived_at is not None,
        "created_by": row.created_by,
    }


def conversation_view(row: Row[Any] | Conversation) -> ConversationView:
    return ConversationView.model_construct(**conversation_fields(row))


def with_members(view: ConversationView, members: list[UserOut]) -> ConversationView:
    """``view`` carrying its ``members`` (a new DM's ``conversation.created``)."""
    view.members = members  # an attribute set counts as given: the event carries it
    return view
