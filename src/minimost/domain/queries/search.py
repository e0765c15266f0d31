"""Message search: the parsed query, narrowed to what the reader may read (the one rule,
``access.readable_clause``), live messages only, newest first, by keyset pages."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from minimost.db.engine import Database
from minimost.db.models import Conversation, Membership, Message, StoredFile, User
from minimost.domain.access import readable_clause
from minimost.domain.context import Actor
from minimost.domain.errors import Invalid
from minimost.domain.queries.enrich import enrich
from minimost.domain.search import postgres, sqlite
from minimost.domain.search.parse import SearchQuery, parse
from minimost.domain.search.snippet import snippet_html
from minimost.domain.views import message_select, message_view

PAGE = 20
MAX_PAGE = 50
_CURSOR_PREFIX = "s1:"


class InvalidCursor(Invalid):
    code = "invalid_cursor"


def encode_cursor(message_id: int) -> str:
    """Opaque to clients: the id of the last result shown (pages are keyset, by id)."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{message_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        value = int(raw.removeprefix(_CURSOR_PREFIX))
        if not 0 < value < 2**63:
            raise ValueError(raw)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidCursor("bad search cursor", fields={"cursor": "use next_cursor"}) from None
    return value


def _filters(parsed: SearchQuery) -> list[ColumnElement[bool]]:
    """The operators, as conditions over ``Message`` and its ``Conversation``."""
    found: list[ColumnElement[bool]] = []
    if len(parsed.from_users) == 1:
        # Equality (not IN): SQLite then walks that author's index in id order, no sort.
        author = select(User.id).where(User.username == parsed.from_users[0])
        found.append(Message.author_id == author.scalar_subquery())
    elif parsed.from_users:
        found.append(
            Message.author_id.in_(select(User.id).where(User.username.in_(parsed.from_users)))
        )
    places: list[ColumnElement[bool]] = []
    if parsed.in_channels:
        places.append(
            and_(
                Conversation.kind.in_(("public", "private")),
                func.lower(Conversation.name).in_(parsed.in_channels),
            )
        )
    if parsed.in_dms:
        other = aliased(Membership)
        partner = aliased(User)
        places.append(
            and_(
                Conversation.kind == "dm",
                exists().where(
                    other.conversation_id == Conversation.id,
                    other.user_id == partner.id,
                    partner.username.in_(parsed.in_dms),
                ),
            )
        )
    if places:
        found.append(or_(*places))
    if parsed.since is not None:
        found.append(Message.created_at >= parsed.since)
    if parsed.until is not None:
        found.append(Message.created_at < parsed.until)
    if "file" in parsed.has or "image" in parsed.has:
        # "id IN (files)" rather than "EXISTS (file of this message)": the planner can walk
        # the (usually few) attachments instead of testing every readable message (1M
        # messages without files: 125 ms -> under 1 ms, bench/search.py).
        attached = select(StoredFile.message_id).where(StoredFile.message_id.is_not(None))
        if "image" in parsed.has:
            attached = attached.where(StoredFile.is_image.is_(True))
        found.append(Message.id.in_(attached))
    if "link" in parsed.has:
        found.append(
            or_(
                Message.body_html.contains("<a "),
                Message.body_md.contains("http://"),
                Message.body_md.contains("https://"),
            )
        )
    return found


async def search_messages(
    db: Database, actor: Actor, q: str, *, cursor: str | None = None, limit: int = PAGE
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``{message, conversation_id, conversation, snippet_html}`` newest first,
    and the cursor of the next page (None: no more)."""
    parsed = parse(q)
    before = decode_cursor(cursor) if cursor else None
    limit = max(1, min(limit, MAX_PAGE))
    if parsed.nothing:
        return [], None
    query = (
        message_select()
        .add_columns(
            Conversation.kind.label("conversation_kind"),
            Conversation.name.label("conversation_name"),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.deleted_at.is_(None), readable_clause(actor.id), *_filters(parsed))
    )
    backend = postgres if db.dialect == "postgresql" else sqlite
    query, key = backend.apply(query, parsed)
    if before is not None:
        query = query.where(key < before)
    query = query.order_by(key.desc()).limit(limit + 1)
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
        rows, more = rows[:limit], len(rows) > limit
        views = [message_view(row) for row in rows]
        await enrich(conn, views)
    results = [
        {
            "message": view,
            "conversation_id": row.conversation_id,
            "conversation": {
                "id": row.conversation_id,
                "kind": row.conversation_kind,
                "name": row.conversation_name,
            },
            "snippet_html": snippet_html(row.body_md, parsed.highlight),
        }
        for row, view in zip(rows, views, strict=True)
    ]
    return results, encode_cursor(rows[-1].id) if more and rows else None
