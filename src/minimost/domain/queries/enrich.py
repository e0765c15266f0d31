"""Fill in the parts of a message that live in other tables, for a whole page at once.

``views.message_view`` gives a message from its own row; replies, reactions, pins and files
come from here with one query each per page (never one per message). Callers have already
passed the access check for these messages: a reply quotes only an original from the same
conversation (``actions.messages`` enforces that at send), so nothing here can reveal a
message its reader could not read anyway.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from minimost.db.models import Message, Pin, Reaction, StoredFile
from minimost.domain.views import Author, file_view, message_select, message_view, user_view
from minimost.wire.models import MessageOut, ReactionOut, ReplyOut

EXCERPT_CHARS = 140

_REACTIONS = (
    select(Reaction.message_id, Reaction.emoji, Reaction.user_id)
    # Emoji in the order they were first used on the message; people in the order they came.
    .order_by(Reaction.message_id, Reaction.created_at, Reaction.user_id)
)
_FILES = select(StoredFile).order_by(StoredFile.id)
_ORIGINALS = select(
    Message.id,
    Message.body_md,
    Message.body_html,
    Message.deleted_at,
    Message.author_id,
    Author.username,
    Author.display_name,
    Author.color,
    Author.avatar_sha256,
).outerjoin(Author, Author.id == Message.author_id)


# Block ends and line breaks become new lines; every other tag goes (the HTML is our own
# sanitized rendering, so a tag never contains a ">" inside an attribute).
_LINE_END = re.compile(r"<br\s*/?>|</(?:p|li|pre|blockquote|h[1-6]|div)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def plain_text(html_text: str) -> str:
    """What a rendered message reads as: ``**v1.0** :tada:`` is quoted as "v1.0 🎉"."""
    return html.unescape(_TAG.sub("", _LINE_END.sub("\n", html_text)))


def excerpt(text: str) -> str:
    """The first non-empty line, cut to a compact quote."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= EXCERPT_CHARS else line[: EXCERPT_CHARS - 1].rstrip() + "…"


async def enrich(
    conn: AsyncConnection, views: Sequence[MessageOut], *, fresh: bool = False
) -> None:
    """Complete ``views`` in place. ``fresh`` (just posted): no reactions or pins yet."""
    live = [v for v in views if v.deleted_at is None]
    if not live:
        return
    ids = [v.id for v in live]
    by_id = {v.id: v for v in live}
    if not fresh:
        await _reactions(conn, ids, by_id)
        pinned = (
            await conn.execute(select(Pin.message_id).where(Pin.message_id.in_(ids)))
        ).scalars()
        for message_id in pinned:
            by_id[message_id].pinned = True
    await _files(conn, ids, by_id)
    await _replies(conn, live)


async def _reactions(conn: AsyncConnection, ids: list[int], by_id: dict[int, MessageOut]) -> None:
    rows = (await conn.execute(_REACTIONS.where(Reaction.message_id.in_(ids)))).all()
    grouped: dict[int, dict[str, list[int]]] = {}
    for row in rows:
        grouped.setdefault(row.message_id, {}).setdefault(row.emoji, []).append(row.user_id)
    for message_id, emojis in grouped.items():
        by_id[message_id].reactions = [
            ReactionOut.model_construct(emoji=emoji, count=len(users), users=users)
            for emoji, users in emojis.items()
        ]


async def _files(conn: AsyncConnection, ids: list[int], by_id: dict[int, MessageOut]) -> None:
    # Rows, not .scalars(): on a Core connection that would be the first column (the id).
    rows = (await conn.execute(_FILES.where(StoredFile.message_id.in_(ids)))).all()
    for row in rows:
        if row.message_id is not None:
            by_id[row.message_id].files.append(file_view(row))


async def _replies(conn: AsyncConnection, views: list[MessageOut]) -> None:
    wanted = {v.reply_to.id for v in views if v.reply_to is not None}
    if not wanted:
        return
    rows = (await conn.execute(_ORIGINALS.where(Message.id.in_(wanted)))).all()
    quotes: dict[int, ReplyOut] = {}
    for row in rows:
        deleted = row.deleted_at is not None
        quotes[row.id] = ReplyOut.model_construct(
            id=row.id,
            author=None
            if deleted or row.author_id is None
            else user_view(
                row.author_id, row.username, row.display_name, row.color, row.avatar_sha256
            ),
            excerpt="" if deleted else excerpt(plain_text(row.body_html) or row.body_md),
            deleted=deleted,
        )
    for view in views:
        if view.reply_to is not None:
            original = view.reply_to.id
            # Gone entirely (retention removed it): shown like a deleted one.
            view.reply_to = quotes.get(original) or ReplyOut.model_construct(
                id=original, author=None, excerpt="", deleted=True
            )


async def current_views(conn: AsyncConnection, message_ids: Sequence[int]) -> list[MessageOut]:
    """The complete wire views of these messages as they are now, in id order (what a
    ``message.updated`` carries). The caller has checked access."""
    rows = (
        await conn.execute(
            message_select().where(Message.id.in_(list(message_ids))).order_by(Message.id)
        )
    ).all()
    views = [message_view(row) for row in rows]
    await enrich(conn, views)
    return views
