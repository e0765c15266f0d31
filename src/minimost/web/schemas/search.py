from __future__ import annotations

from pydantic import BaseModel

from .common import MessageOut


class SearchConversation(BaseModel):
    """Enough to label a result: a channel's name (``null`` for DMs) and kind."""

    id: int
    kind: str
    name: str | None


class SearchResult(BaseModel):
    message: MessageOut
    conversation_id: int
    conversation: SearchConversation
    # The matched excerpt: HTML-escaped text whose only tags are <mark>…</mark>.
    snippet_html: str


class SearchPage(BaseModel):
    results: list[SearchResult]
    next_cursor: str | None
