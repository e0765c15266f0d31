"""Pinned messages: pin and unpin (any member), and a conversation's pins."""

from __future__ import annotations

from fastapi import APIRouter

from minimost.domain.actions import pins as actions
from minimost.domain.queries.pins import list_pins
from minimost.web.deps import ActorDep, CtxDep
from minimost.web.schemas.common import ERRORS, IdPath
from minimost.web.schemas.messages import MessageEnvelope
from minimost.web.schemas.pins import PinList

router = APIRouter(prefix="/api/v1", tags=["pins"], responses=ERRORS)


@router.put("/messages/{message_id}/pin")
async def pin(message_id: IdPath, actor: ActorDep, ctx: CtxDep) -> MessageEnvelope:
    """Pin a message of a conversation you are in (pinning it again changes nothing)."""
    return MessageEnvelope.model_validate(
        {"message": await actions.pin_message(ctx, actor, message_id)}
    )


@router.delete("/messages/{message_id}/pin")
async def unpin(message_id: IdPath, actor: ActorDep, ctx: CtxDep) -> MessageEnvelope:
    """Unpin a message (any member may; unpinning one that is not pinned changes nothing)."""
    return MessageEnvelope.model_validate(
        {"message": await actions.unpin_message(ctx, actor, message_id)}
    )


@router.get("/conversations/{conversation_id}/pins")
async def pins(conversation_id: IdPath, actor: ActorDep, ctx: CtxDep) -> PinList:
    """Pinned messages of a conversation you can read, newest pin first (at most 200)."""
    return PinList.model_validate({"pins": await list_pins(ctx.db, actor, conversation_id)})
