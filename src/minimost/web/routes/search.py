"""Message search (syntax: docs/search.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from minimost.domain.queries.search import MAX_PAGE, PAGE, search_messages
from minimost.web.deps import ActorDep, CtxDep
from minimost.web.schemas.common import ERRORS, Text
from minimost.web.schemas.search import SearchPage

router = APIRouter(prefix="/api/v1/search", tags=["search"], responses=ERRORS)


@router.get("")
async def search(
    actor: ActorDep,
    ctx: CtxDep,
    # Length is checked by the parser (a clear ``query_too_long``); this only bounds parsing.
    q: Annotated[Text, Query(max_length=20_000)] = "",
    cursor: Annotated[Text | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE,
) -> SearchPage:
    """Messages you can read that match ``q``, newest first; ``next_cursor`` pages on."""
    results, next_cursor = await search_messages(ctx.db, actor, q, cursor=cursor, limit=limit)
    return SearchPage.model_validate({"results": results, "next_cursor": next_cursor})
