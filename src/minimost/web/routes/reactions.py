"""Emoji reactions on a message: PUT adds yours, DELETE takes it back (both idempotent)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from minimost.domain.actions import reactions as actions
from minimost.web.deps import ActorDep, CtxDep
from minimost.web.schemas.common import ERRORS, IdPath, Text
from minimost.web.schemas.reactions import ReactionsOut

router = APIRouter(prefix="/api/v1/messages", tags=["reactions"], responses=ERRORS)

# The emoji itself, URL-encoded (``%F0%9F%91%8D``); the domain checks it is one of ours.
EmojiPath = Annotated[Text, Path(description="one emoji, URL-encoded", examples=["👍"])]


@router.put("/{message_id}/reactions/{emoji}")
async def add(message_id: IdPath, emoji: EmojiPath, actor: ActorDep, ctx: CtxDep) -> ReactionsOut:
    """React to a message (members only; adding twice changes nothing)."""
    return ReactionsOut.model_validate(
        {"reactions": await actions.add_reaction(ctx, actor, message_id, emoji)}
    )


@router.delete("/{message_id}/reactions/{emoji}")
async def remove(
    message_id: IdPath, emoji: EmojiPath, actor: ActorDep, ctx: CtxDep
) -> ReactionsOut:
    """Take your reaction back (removing one you did not add changes nothing)."""
    return ReactionsOut.model_validate(
        {"reactions": await actions.remove_reaction(ctx, actor, message_id, emoji)}
    )
