"""Single messages: read, edit, delete."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from minimost.domain.actions import messages as actions
from minimost.domain.queries import messages
from minimost.web.deps import ActorDep, CtxDep
from minimost.web.schemas.common import ERRORS, IdPath
from minimost.web.schemas.messages import EditIn, MessageEnvelope

router = APIRouter(prefix="/api/v1/messages", tags=["messages"], responses=ERRORS)


@router.get("/{message_id}")
async def get_message(message_id: IdPath, actor: ActorDep, ctx: CtxDep) -> MessageEnvelope:
    return MessageEnvelope.model_validate(
        {"message": await messages.get_message(ctx.db, actor, message_id)}
    )


@router.patch("/{message_id}")
async def edit(message_id: IdPath, body: EditIn, actor: ActorDep, ctx: CtxDep) -> MessageEnvelope:
    """Edit your own message."""
    return MessageEnvelope.model_validate(
        {"message": await actions.edit_message(ctx, actor, message_id, body.text)}
    )


@router.delete("/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(message_id: IdPath, actor: ActorDep, ctx: CtxDep) -> Response:
    """Delete your own message (admins: any). Leaves a tombstone; the text is erased."""
    await actions.delete_message(ctx, actor, message_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
