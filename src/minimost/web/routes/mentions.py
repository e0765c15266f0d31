"""The Mentions view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from minimost.domain.queries.mentions import MAX_PAGE, mentions_of
from minimost.web.deps import ActorDep, CtxDep
from minimost.web.schemas.common import ERRORS, MAX_ID
from minimost.web.schemas.messages import MessagePage

router = APIRouter(prefix="/api/v1/mentions", tags=["mentions"], responses=ERRORS)


@router.get("")
async def list_mentions(
    actor: ActorDep,
    ctx: CtxDep,
    before: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 30,
) -> MessagePage:
    """Messages that mention you (by name, ``@everyone``, ``@here``), newest first."""
    page, has_more = await mentions_of(ctx.db, actor, before=before, limit=limit)
    return MessagePage.model_validate({"messages": page, "has_more": has_more})
