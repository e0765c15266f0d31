"""The channel directory: public channels, joined or not (the channel browser)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from minimost.domain.queries import conversations
from minimost.web.deps import ActorDep, CtxDep
from minimost.web.schemas.common import ERRORS, Text
from minimost.web.schemas.conversations import BrowseList

router = APIRouter(prefix="/api/v1/channels", tags=["conversations"], responses=ERRORS)


@router.get("")
async def browse(
    actor: ActorDep, ctx: CtxDep, q: Annotated[Text, Query(max_length=64)] = ""
) -> BrowseList:
    """Public channels with their member counts; ``q`` filters by name."""
    return BrowseList.model_validate(
        {"conversations": await conversations.browse(ctx.db, actor, q.strip())}
    )
